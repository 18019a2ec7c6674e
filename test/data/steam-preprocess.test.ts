import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { preprocessSteam } from "../../src/data/steam/preprocess.js";
import { readSteamGames, readSteamReviews, steamDateSeconds } from "../../src/data/steam/raw.js";
import { loadDataSource } from "../../src/data/data-source.js";
import { STEAM_REVIEWS, writeSteam } from "../support/steam-fixture.js";
import { tempDir } from "../support/helpers.js";

const HEADER =
  "user_id,item_asins,item_asin,history_item_id,item_id,history_item_title,item_title,history_rating,rating,history_timestamp,timestamp\r\n";

test("steam dates are days at 00:00 UTC; malformed ones are rejected", () => {
  assert.equal(steamDateSeconds("2018-01-01"), 1514764800);
  assert.equal(steamDateSeconds("2018-02-01"), 1517443200);
  assert.equal(steamDateSeconds("2018-02-30"), undefined);
  assert.equal(steamDateSeconds("Jan 1, 2018"), undefined);
});

test("steam reader: Python-literal lines, missing fields skipped and counted, titles from app_name then title", async () => {
  const dir = tempDir("steam");
  writeSteam(dir);
  const reviews = await readSteamReviews(join(dir, "steam_reviews.json"));
  assert.equal(reviews.user.length, STEAM_REVIEWS.length - 2);
  assert.deepEqual(reviews.skipped, { username: 1, product_id: 1 });
  assert.deepEqual(reviews.users, ["alice", "bob", "carol", "dave", "frank"]);
  assert.deepEqual(reviews.asins, ["10", "20", "30", "60", "50", "40"]);
  assert.deepEqual(new Set(reviews.rating), new Set([1]), "no rating in the data: one implicit interaction");
  const games = await readSteamGames(join(dir, "steam_games.json.gz"), reviews.asins);
  // The game without an id and the unreviewed ones are left out; an int id matches the string product id.
  assert.deepEqual(
    games.map((g) => [reviews.asins[g.item], g.title]),
    [
      ["10", "Alpha Quest"],
      ["20", "Beta &amp; Wars"],
      ["30", "Gamma"],
      ["40", "D"],
      ["50", "Epsilon Saga"],
    ],
  );
  const byId = await readSteamReviews(join(dir, "steam_reviews.json"), "user-id");
  assert.deepEqual(byId.users, ["76561198000000001", "765"]);
  assert.deepEqual(byId.skipped, { user_id: 13 });
});

test("steam preprocessing: whole-file window, cascading K-core, ids, split, exact files (worked by hand)", async () => {
  const dir = tempDir("steam");
  writeSteam(dir);
  const messages: string[] = [];
  const result = await preprocessSteam({ rawDir: dir, outDir: join(dir, "out"), k: 2, log: (m) => messages.push(m) });
  // Items 40 (one-character title) and 60 (no game) never count. Pass 1: carol has one review left
  // → removed; pass 2: item 30 then has only alice → removed; pass 3: alice keeps 2 → stable.
  assert.deepEqual(
    result.passes.map((p) => [p.pass, p.users, p.items, p.reviews]),
    [
      [1, 5, 4, 14],
      [2, 4, 4, 13],
      [3, 4, 3, 12],
    ],
  );
  assert.equal(result.stem, "steam_2_2018-1-2018-3", "from the first review's month to the month after the last");
  assert.equal(result.users, 4);
  assert.equal(result.items, 3);
  assert.equal(result.interactions, 12);
  // 1 + 2 + 2 + 3 examples (every interaction but each user's first): int(0.8·8) = 6, int(0.9·8) = 7.
  assert.deepEqual(result.counts, { train: 6, valid: 1, test: 1 });
  assert.deepEqual(result.skipped, { username: 1, product_id: 1 });
  assert.ok(messages.some((m) => m.includes("1 without username")));
  // First appearance 10, 20, 50; CPython seed(42) shuffles [0, 1, 2] to [1, 0, 2] → 20, 10, 50 get ids 0..2.
  assert.equal(readFileSync(result.files.info, "utf8"), "Beta & Wars\t0\nAlpha Quest\t1\nEpsilon Saga\t2\n");
  assert.equal(
    readFileSync(result.files.test, "utf8"),
    HEADER +
      `dave,"['50', '10']",20,"[2, 1]",0,"['Epsilon Saga', 'Alpha Quest']",Beta & Wars,"[1.0, 1.0]",1.0,"[1515542400, 1515628800]",1517529600\r\n`,
  );
  assert.equal(
    readFileSync(result.files.valid, "utf8"),
    HEADER +
      `frank,"['10', '50', '20']",10,"[1, 2, 0]",1,"['Alpha Quest', 'Epsilon Saga', 'Beta & Wars']",Alpha Quest,"[1.0, 1.0, 1.0]",1.0,"[1515715200, 1515801600, 1515888000]",1515974400\r\n`,
  );
  const train = readFileSync(result.files.train, "utf8").split("\r\n").slice(1, -1);
  assert.deepEqual(
    train.map((row) => row.split(",")[0]),
    ["alice", "bob", "bob", "dave", "frank", "frank"],
  );
  assert.equal(train[0], "alice,['10'],20,[1],0,['Alpha Quest'],Beta & Wars,[1.0],1.0,[1514764800],1514851200");
  // The folder reads back as a dataset whose category gives the reference's Steam phrase.
  const source = await loadDataSource({ data: join(dir, "out") });
  assert.equal(source.category, "steam");
  assert.equal(source.phrase, "games");
  assert.equal(source.splits.test.length, 1);
});

test("steam preprocessing by user_id, and with an explicit window", async () => {
  const dir = tempDir("steam");
  writeSteam(dir);
  // Only frank's lines (and one single-review user) carry user_id; frank keeps item 10 twice.
  const byId = await preprocessSteam({ rawDir: dir, outDir: join(dir, "by-id"), k: 2, userKey: "user-id" });
  assert.deepEqual([byId.users, byId.items, byId.interactions], [1, 1, 2]);
  assert.deepEqual(byId.skipped, { user_id: 13 });
  // A January-only window (its end, 2018-02-01 00:00, is inclusive) drops dave's review of 2018-02-02:
  // dave keeps 50, 10, so 1 example instead of 2.
  const jan = await preprocessSteam({
    rawDir: dir,
    outDir: join(dir, "jan"),
    k: 2,
    start: { year: 2018, month: 1 },
    end: { year: 2018, month: 2 },
  });
  assert.equal(jan.stem, "steam_2_2018-1-2018-2");
  assert.equal(jan.counts.train + jan.counts.valid + jan.counts.test, 7);
});

test("steam reader: a bad line or date names the file, line and field", async () => {
  const dir = tempDir("steam");
  const path = join(dir, "steam_reviews.json");
  writeFileSync(path, "{'username': 'a', 'product_id': '1', 'date': '2018-01-01'}\n{'username': 'b', 'product_id'\n");
  await assert.rejects(
    readSteamReviews(path),
    /steam_reviews\.json:2: unclosed "\{".*expected one Python dict literal per line/s,
  );
  writeFileSync(path, "{'username': 'a', 'product_id': '1', 'date': '01/02/2018'}\n");
  await assert.rejects(
    readSteamReviews(path),
    /steam_reviews\.json:1 \(field "date"\): got "01\/02\/2018"; expected a YYYY-MM-DD date/,
  );
  const games = join(dir, "steam_games.json");
  writeFileSync(games, "{'id': '1', 'app_name': 'A'}\n\n{'id': '2', 'app_name': 'B', 'tags': ['x', 'y']\n");
  await assert.rejects(
    readSteamGames(games, ["1"]),
    /steam_games\.json:3: unclosed "\{"; expected "\}" at character 0/,
    "a blank line still counts in the line number",
  );
  writeFileSync(path, "['not', 'a', 'dict']\n");
  await assert.rejects(readSteamReviews(path), /steam_reviews\.json:1: the line is not a dict/);
  await assert.rejects(
    preprocessSteam({ rawDir: tempDir("empty"), outDir: join(dir, "out") }),
    /missing Steam files: need steam_reviews\.json\[\.gz\] and steam_games\.json\[\.gz\]/,
  );
});
