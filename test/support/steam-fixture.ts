/**
 * A small pair of Steam files (Python-literal lines, as the UCSD steam_reviews.json.gz and
 * steam_games.json.gz) whose preprocessing is worked out by hand in test/data/steam-preprocess.test.ts.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** One review line: the fields the reader uses plus some it ignores (floats, booleans, an apostrophe). */
function review(fields: { username?: string; user_id?: string; product_id?: string; date?: string }): string {
  const parts = [
    ...(fields.username !== undefined ? [`'username': '${fields.username}'`] : []),
    `'hours': 12.5`,
    `'products': 41`,
    ...(fields.product_id !== undefined ? [`'product_id': '${fields.product_id}'`] : []),
    `'page_order': 0`,
    ...(fields.date !== undefined ? [`'date': '${fields.date}'`] : []),
    `'text': "it's fun"`,
    `'early_access': False`,
    `'page': 1`,
    ...(fields.user_id !== undefined ? [`'user_id': '${fields.user_id}'`] : []),
  ];
  return `{${parts.join(", ")}}`;
}

const FRANK_ID = "76561198000000001";

/** [username, product, date, user_id?] in file order. */
export const STEAM_REVIEWS: Array<[string | undefined, string | undefined, string, string?]> = [
  ["alice", "10", "2018-01-01"],
  ["alice", "20", "2018-01-02"],
  ["alice", "30", "2018-01-03"], // 30 loses its second user (carol) in pass 1, then drops in pass 2
  ["alice", "60", "2018-01-04"], // 60: no game record
  ["bob", "20", "2018-01-05"],
  ["bob", "10", "2018-01-06"],
  ["bob", "50", "2018-01-07"],
  ["carol", "30", "2018-01-08"],
  ["carol", "40", "2018-01-09"], // 40: one-character title
  ["dave", "50", "2018-01-10"],
  ["dave", "10", "2018-01-11"],
  ["dave", "20", "2018-02-02"], // the only February review
  ["frank", "10", "2018-01-12", FRANK_ID],
  ["frank", "50", "2018-01-13", FRANK_ID],
  ["frank", "20", "2018-01-14", FRANK_ID],
  ["frank", "10", "2018-01-15", FRANK_ID], // a repeat: counts
  [undefined, "10", "2018-01-20", "765"], // no username
  ["gina", undefined, "2018-01-21"], // no product
];

export const STEAM_GAMES = [
  "{'publisher': 'Kotoshiro', 'genres': ['Action', 'Casual'], 'app_name': 'Alpha Quest', 'title': 'Alpha Quest', 'id': '10', 'price': 4.99, 'early_access': False}",
  "{'app_name': 'Beta &amp; Wars', 'title': 'Other Name', 'id': 20, 'price': 'Free To Play', 'metascore': None}", // int id; app_name wins
  "{'title': 'Gamma', 'id': '30'}",
  "{'app_name': 'D', 'id': '40'}",
  "{'app_name': 'No Id Game', 'tags': ['Indie']}",
  "{'title': 'Epsilon\\tSaga', 'id': '50', 'tags': ['RPG'], 'specs': ['Single-player']}", // title only, with a tab
];

/** Writes steam_reviews.json (plain) and steam_games.json.gz into `dir`. */
export function writeSteam(dir: string): void {
  const lines = STEAM_REVIEWS.map(([username, product_id, date, user_id]) =>
    review({ username, product_id, date, user_id }),
  );
  writeFileSync(join(dir, "steam_reviews.json"), lines.join("\n") + "\n");
  writeFileSync(join(dir, "steam_games.json.gz"), gzipSync(STEAM_GAMES.join("\n") + "\n"));
}
