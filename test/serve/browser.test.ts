/**
 * The web page in a real headless Chromium (Debian's `chromium`, driven by playwright-core; no
 * browser is ever downloaded): type parts of titles, pick them from the catalogue autocomplete, ask
 * for recommendations and check the rendered list against the API's answer; then an unknown title
 * shows the server's error. Skipped, saying why, only when no chromium is on PATH and
 * LATENTR3_CHROMIUM is unset (scripts/setup.sh installs it, so CI runs this test).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { tempDir } from "../support/helpers.js";
import { generativeServer, postRecommend, tinyModel, type Running, type TinyModel } from "../support/serve-fixture.js";

/**
 * The browser: LATENTR3_CHROMIUM if set (a wrong path then fails the test rather than skipping it),
 * else `chromium` on PATH (Debian's package installs /usr/bin/chromium), the same lookup as setup.sh.
 */
function findChromium(): { path?: string; missing?: string } {
  const chosen = process.env.LATENTR3_CHROMIUM;
  if (chosen) return { path: chosen };
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const path = join(dir, "chromium");
    try {
      accessSync(path, constants.X_OK);
      return { path };
    } catch {
      // not in this folder
    }
  }
  return {
    missing:
      "no chromium on PATH: install Debian's chromium (apt-get install chromium, as scripts/setup.sh does) or set LATENTR3_CHROMIUM to a Chromium binary",
  };
}

const { path: CHROMIUM, missing = false } = findChromium();
if (missing) console.log(`# browser test skipped: ${missing}`);

let model: TinyModel | undefined;
let server: Running | undefined;
let context: BrowserContext | undefined;

before(async () => {
  if (missing) return;
  if (!existsSync(CHROMIUM!)) throw new Error(`LATENTR3_CHROMIUM=${CHROMIUM}: no such file`);
  model = await tinyModel();
  server = await generativeServer(model);
  context = await chromium.launchPersistentContext(tempDir("chromium"), {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
});

// Whatever `before` got to (a browser that fails to start must not leave the server holding the process open).
after(async () => {
  await context?.close();
  await server?.app.close();
  model?.rec.dispose();
});

/** Types `title` into the history box and picks it from the suggestions. */
async function addTitle(page: Page, title: string): Promise<void> {
  await page.locator("#history-input").pressSequentially(title, { delay: 10 });
  const option = page.locator("#suggestions li", { hasText: title }).first();
  await option.waitFor({ state: "visible" });
  // Among the suggestions containing the typed text, pick the exact title.
  const options = await page.locator("#suggestions li").allTextContents();
  const index = options.indexOf(title);
  assert.ok(index >= 0, `"${title}" not among the suggestions ${JSON.stringify(options)}`);
  await page.locator("#suggestions li").nth(index).click();
  await page.locator("#history-input").fill("");
}

test("the page recommends for a history built with the autocomplete", { skip: missing }, async () => {
  const page = await context!.newPage();
  page.setDefaultTimeout(120_000); // a shared 2-core machine can be slow; no timing is asserted
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));

  await page.goto(`${server!.url}/`);
  await page.locator("#model-info", { hasText: "model: tiny" }).waitFor();
  const history = model!.source.splits.test[0]!.history.slice(-3);
  for (const item of history) await addTitle(page, item.title);
  assert.deepEqual(
    (await page.locator("#history li").allTextContents()).map((t) => t.replace(/ #\d+remove$/, "")),
    history.map((i) => i.title),
  );

  await page.locator("#k").fill("5");
  await page.locator("#recommend").click();
  await page.locator("#results tbody tr").nth(4).waitFor();
  const rows = await page
    .locator("#results tbody tr")
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
  const api = await postRecommend(server!.url, { history: history.map((i) => i.id), k: 5, lengthPenalty: 1 });
  assert.deepEqual(
    rows,
    api.body.items.map((i: { item_id: number; title: string; score: number }, rank: number) => [
      String(rank + 1),
      i.title,
      String(i.item_id),
      i.score.toFixed(4),
    ]),
  );
  assert.match(
    await page.locator("#latency").innerText(),
    /^tiny: 5 items in [\d.]+ ms on the server \(\d+ ms round trip\)$/,
  );
  assert.equal(await page.locator("#error").isVisible(), false);

  // A title typed without picking it from the catalogue: the server's 400 is shown.
  await page.locator("#history-input").fill("No Such Album (CD)");
  await page.locator("#history-input").press("Enter");
  await page.locator("#recommend").click();
  await page.locator("#error").waitFor({ state: "visible" });
  assert.match(await page.locator("#error").innerText(), /^400 Bad Request: .*"No Such Album \(CD\)" \(history\[3\]\)/);
  assert.deepEqual(pageErrors, []);
  await page.close();
});
