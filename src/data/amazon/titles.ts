/**
 * Title cleaning of the reference preprocessing (spec 1.2 step 2), in its exact order. Only
 * `&quot;` and `&amp;` are decoded; other entities (`&#39;`, `&eacute;`) stay as they are, as in
 * the published files.
 */

/** The HTML fragment the reference's `<span id` filter misses (29 CDs items, 87 test targets). */
export const HTML_JUNK_PREFIX = "<span";

/** Reference: an item is dropped before cleaning if its title contains this. */
export const SPAN_ID_MARKER = "<span id";

/** Python `str.strip(chars)` for a single character. */
function stripChar(text: string, ch: string): string {
  let a = 0;
  let b = text.length;
  while (a < b && text[a] === ch) a++;
  while (b > a && text[b - 1] === ch) b--;
  return text.slice(a, b);
}

/** One application of the reference cleaning: `&quot;`→`"`, `&amp;`→`&`, strip spaces, strip double quotes. */
export function cleanTitle(raw: string): string {
  return stripChar(stripChar(raw.replaceAll("&quot;", '"').replaceAll("&amp;", "&"), " "), '"');
}

/**
 * Whether a cleaned title is kept: more than 1 character (Python counts code points) and at most
 * 20 words when split on single spaces (Python `split(" ")`, so doubled spaces count as words).
 */
export function isTitleKept(cleaned: string): boolean {
  let codePoints = 0;
  for (const _ of cleaned) if (++codePoints > 1) break;
  return codePoints > 1 && cleaned.split(" ").length <= 20;
}

/** The junk HTML titles a cleaner variant drops (off by default, as in the reference). */
export function isHtmlJunkTitle(cleaned: string): boolean {
  return cleaned.startsWith(HTML_JUNK_PREFIX);
}
