/**
 * The public Steam files of Kang & McAuley (UCSD; the Steam data of SASRec, BERT4Rec and AlphaRec):
 * `steam_reviews.json[.gz]` and `steam_games.json[.gz]`. Despite the name, each line is a Python
 * dict literal (single quotes, True/False/None), which the published loaders read with `eval` or
 * `ast.literal_eval`; we parse it with our Python-literal parser. The fields used:
 *
 *   review: {'username': 'Chaos Syren', 'product_id': '725280', 'date': '2017-12-17', ...}
 *           ('user_id' only on some lines; no rating: a review is one implicit interaction)
 *   game:   {'id': '761140', 'app_name': 'Lost Summoner Kitty', 'title': 'Lost Summoner Kitty', ...}
 *
 * Reviews become the same columnar table as Amazon's, so the K-core selection, ids, histories and
 * split of the Amazon preprocessing apply unchanged.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DataFormatError } from "../errors.js";
import { parsePythonLiteral, PythonLiteralError, type PyDict } from "../python-literal.js";
import { readTextLines } from "../amazon/json-lines.js";
import type { RawFiles, RawMetaRecord, RawReviews } from "../amazon/raw.js";

export const STEAM_REVIEWS = "steam_reviews.json";
export const STEAM_GAMES = "steam_games.json";

/** Which review field names a user: `username` (always present; what SASRec's Steam data uses) or `user_id` (on some lines only). */
export type SteamUserKey = "username" | "user-id";

/** Finds the two files in `dir` (plain or .gz). */
export function locateSteamFiles(dir: string): RawFiles {
  const first = (name: string) => [name, `${name}.gz`].map((n) => join(dir, n)).find((p) => existsSync(p));
  const reviews = first(STEAM_REVIEWS);
  const meta = first(STEAM_GAMES);
  if (!reviews || !meta) {
    throw new Error(
      `${dir}: missing Steam files: need ${STEAM_REVIEWS}[.gz] and ${STEAM_GAMES}[.gz] (found reviews: ${reviews ?? "none"}, games: ${meta ?? "none"}); ` +
        "they are the UCSD files steam_reviews.json.gz and steam_games.json.gz (cseweb.ucsd.edu/~wckang)",
    );
  }
  return { reviews, meta };
}

/** Each non-blank line as a dict; a line that is not a Python dict literal is an error naming file and line. */
async function* readDictLines(path: string): AsyncGenerator<{ value: PyDict; line: number }> {
  for await (const { text, line } of readTextLines(path)) {
    let value: unknown;
    try {
      value = parsePythonLiteral(text);
    } catch (err) {
      if (!(err instanceof PythonLiteralError)) throw err;
      throw new DataFormatError({ file: path, line }, err.message, "one Python dict literal per line");
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new DataFormatError({ file: path, line }, "the line is not a dict", "one Python dict literal per line");
    }
    yield { value: value as PyDict, line };
  }
}

/** `'2017-12-17'` → Unix seconds of that day's 00:00 UTC; undefined when it is not a valid YYYY-MM-DD date. */
export function steamDateSeconds(date: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms / 1000;
}

/** Reviews read, and the lines left out because a field the selection needs was absent. */
export interface SteamReviews extends RawReviews {
  /** Lines without the user field, `product_id` or `date`, by missing field. */
  skipped: Record<string, number>;
}

const idOf = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v : typeof v === "number" && Number.isInteger(v) ? String(v) : undefined;

/**
 * Loads the reviews in file order (every review scores 1.0: the data has no rating). A line
 * without the user field, product or date is skipped and counted (`user_id` is absent on most
 * lines); a date that is present but not YYYY-MM-DD is an error. Reviews after `maxTime` are dropped.
 */
export async function readSteamReviews(
  path: string,
  userKey: SteamUserKey = "username",
  maxTime = Infinity,
): Promise<SteamReviews> {
  const table: SteamReviews = { users: [], asins: [], user: [], item: [], time: [], rating: [], skipped: {} };
  const userIndex = new Map<string, number>();
  const itemIndex = new Map<string, number>();
  const userField = userKey === "user-id" ? "user_id" : "username";
  for await (const { value, line } of readDictLines(path)) {
    const user = idOf(value[userField]);
    const product = idOf(value.product_id);
    const date = value.date;
    const missing =
      user === undefined ? userField : product === undefined ? "product_id" : date === undefined ? "date" : undefined;
    if (missing) {
      table.skipped[missing] = (table.skipped[missing] ?? 0) + 1;
      continue;
    }
    const time = typeof date === "string" ? steamDateSeconds(date) : undefined;
    if (time === undefined) {
      throw new DataFormatError(
        { file: path, line, field: "date" },
        `got ${JSON.stringify(date)}`,
        "a YYYY-MM-DD date",
      );
    }
    if (time > maxTime) continue;
    let u = userIndex.get(user!);
    if (u === undefined) {
      u = table.users.length;
      userIndex.set(user!, u);
      table.users.push(user!);
    }
    let it = itemIndex.get(product!);
    if (it === undefined) {
      it = table.asins.length;
      itemIndex.set(product!, it);
      table.asins.push(product!);
    }
    table.user.push(u);
    table.item.push(it);
    table.time.push(time);
    table.rating.push(1);
  }
  return table;
}

/**
 * A game's title: `app_name`, else `title` (both are the store name; each is missing on a few
 * lines). Tabs and line breaks become spaces, since the info file is one tab-separated title per line.
 */
export function steamTitle(game: PyDict): string | undefined {
  const raw =
    typeof game.app_name === "string" ? game.app_name : typeof game.title === "string" ? game.title : undefined;
  return raw?.replace(/[\t\r\n]/g, " ");
}

/** The games of reviewed products, in file order (games without `id` cannot be linked and are left out). */
export async function readSteamGames(path: string, productIds: readonly string[]): Promise<RawMetaRecord[]> {
  const index = new Map(productIds.map((p, i) => [p, i]));
  const records: RawMetaRecord[] = [];
  for await (const { value } of readDictLines(path)) {
    const id = idOf(value.id);
    const item = id === undefined ? undefined : index.get(id);
    if (item !== undefined) records.push({ item, title: steamTitle(value) });
  }
  return records;
}
