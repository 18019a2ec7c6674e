// The try-it page: build a history with the catalogue's autocomplete, ask POST /v1/recommend, show
// the ranked items with scores and the latency. Plain browser JavaScript, no build step.
const $ = (id) => document.getElementById(id);
const input = $("history-input");
const suggestions = $("suggestions");
const historyList = $("history");
const history = []; // { item_id, title }
let active = -1; // highlighted suggestion
let searchSeq = 0; // answers of older searches are dropped
let debounce;

async function loadModelInfo() {
  try {
    const health = await (await fetch("/healthz")).json();
    const s = Object.entries(health.settings)
      .map(([key, value]) => `${key} ${value}`)
      .join(", ");
    $("model-info").textContent =
      `model: ${health.model} (${health.kind}; ${s}); ${health.catalogue_items} catalogue items`;
    $("k").max = String(health.max_k);
    $("k").value = String(Math.min(10, health.max_k));
    if (health.length_penalties) {
      $("length-penalty-label").hidden = false;
      $("length-penalty").value = String(health.length_penalties.default);
    }
  } catch (err) {
    $("model-info").textContent = `cannot reach the server: ${err.message}`;
  }
}

function renderHistory() {
  historyList.replaceChildren(
    ...history.map((item, i) => {
      const li = document.createElement("li");
      li.textContent = `${item.title} `;
      const id = document.createElement("span");
      id.className = "muted";
      id.textContent = `#${item.item_id}`;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "remove";
      remove.setAttribute("aria-label", `remove ${item.title}`);
      remove.addEventListener("click", () => {
        history.splice(i, 1);
        renderHistory();
      });
      li.append(id, remove);
      return li;
    }),
  );
  $("history-empty").hidden = history.length > 0;
}

function closeSuggestions() {
  suggestions.hidden = true;
  suggestions.replaceChildren();
  active = -1;
}

function addToHistory(item) {
  clearTimeout(debounce); // a search still pending for the typed text is no longer wanted
  searchSeq++;
  history.push(item);
  renderHistory();
  input.value = "";
  closeSuggestions();
  input.focus();
}

async function search(q) {
  const seq = ++searchSeq;
  if (q.trim() === "") return closeSuggestions();
  const response = await fetch(`/v1/items?q=${encodeURIComponent(q)}&limit=10`);
  if (seq !== searchSeq) return; // a newer keystroke's answer will be shown instead
  const { items = [] } = await response.json();
  suggestions.replaceChildren(
    ...items.map((item, i) => {
      const li = document.createElement("li");
      li.role = "option";
      li.textContent = item.title;
      li.dataset.index = String(i);
      li.addEventListener("mousedown", (event) => {
        event.preventDefault(); // keep the input's focus
        addToHistory(item);
      });
      li.item = item;
      return li;
    }),
  );
  active = -1;
  suggestions.hidden = items.length === 0;
}

function highlight(next) {
  const options = [...suggestions.children];
  if (options.length === 0) return;
  active = (next + options.length) % options.length;
  options.forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
  options[active].scrollIntoView({ block: "nearest" });
}

input.addEventListener("input", () => {
  clearTimeout(debounce);
  debounce = setTimeout(() => search(input.value), 120);
});
input.addEventListener("keydown", (event) => {
  if (event.key === "ArrowDown") highlight(active + 1);
  else if (event.key === "ArrowUp") highlight(active - 1);
  else if (event.key === "Escape") closeSuggestions();
  else if (event.key === "Enter") {
    const chosen = suggestions.children[active] ?? (suggestions.children.length === 1 ? suggestions.children[0] : null);
    if (chosen) addToHistory(chosen.item);
    else if (input.value.trim() !== "") addToHistory({ item_id: "?", title: input.value.trim() }); // the server will say if it is unknown
  } else return;
  event.preventDefault();
});
input.addEventListener("blur", () => setTimeout(closeSuggestions, 100));

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}

async function recommend() {
  $("error").hidden = true;
  const body = {
    history: history.map((h) => (typeof h.item_id === "number" ? h.item_id : h.title)),
    k: Number($("k").value),
  };
  if (!$("length-penalty-label").hidden) body.lengthPenalty = Number($("length-penalty").value);
  $("recommend").disabled = true;
  $("latency").textContent = "decoding…";
  const t0 = performance.now();
  try {
    const response = await fetch("/v1/recommend", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const roundTrip = performance.now() - t0;
    const answer = await response.json();
    if (!response.ok) {
      $("latency").textContent = "";
      $("results").hidden = true;
      return showError(`${response.status} ${answer.error}: ${answer.message}`);
    }
    const rows = answer.items.map((item, i) => {
      const tr = document.createElement("tr");
      for (const [text, cls] of [
        [String(i + 1), "rank"],
        [item.title, "title"],
        [String(item.item_id), "id"],
        [item.score.toFixed(4), "score"],
      ]) {
        const td = document.createElement("td");
        td.textContent = text;
        td.className = cls;
        tr.append(td);
      }
      return tr;
    });
    $("results")
      .querySelector("tbody")
      .replaceChildren(...rows);
    $("results").hidden = false;
    $("latency").textContent =
      `${answer.model}: ${answer.items.length} items in ${answer.latency_ms} ms on the server (${Math.round(roundTrip)} ms round trip)`;
  } catch (err) {
    $("latency").textContent = "";
    showError(`request failed: ${err.message}`);
  } finally {
    $("recommend").disabled = false;
  }
}

$("recommend").addEventListener("click", recommend);
$("clear").addEventListener("click", () => {
  history.length = 0;
  renderHistory();
});
renderHistory();
loadModelInfo();
