/**
 * A small raw Amazon-style category (reviews + metadata) whose preprocessing output is worked out
 * by hand in test/data/amazon-preprocess.test.ts: window widening, a cascading K-core, title traps.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export const DAY = {
  apr30last: 1525132799, // 2018-04-30 23:59:59, one second before a 2018-05 window
  may1: 1525132800,
  jun1: 1527811200,
  jun3: 1527984000,
  jun4: 1528070400,
  jun5: 1528156800,
  jun6: 1528243200,
  jun7: 1528329600,
  jun8: 1528416000,
  jun9: 1528502400,
  jun10: 1528588800,
  jun11: 1528675200,
  jun12: 1528761600,
  jun13: 1528848000,
  jun14: 1528934400,
  jun15: 1529020800,
  jun20: 1529452800,
  aug10: 1533859200,
  aug11: 1533945600,
  aug12: 1534032000,
  aug13: 1534118400,
  nov1: 1541030400, // == end bound (2018-11-01 00:00 UTC), included
  nov2: 1541116800,
};
export const JUNK = '<span class="a-size-medium a-color-secondary a-text-normal';
export const REVIEWS: Array<[string, string, number, number]> = [
  ["u3", "B", DAY.apr30last, 1], // outside every window tried
  ["u1", "B", DAY.aug11, 3],
  ["u1", "A", DAY.aug10, 5],
  ["u2", "A", DAY.aug12, 4],
  ["u2", "B", DAY.aug13, 5],
  ["u3", "C", DAY.jun1, 5],
  ["u3", "A", DAY.jun1, 4], // same time as C: file order decides
  ["u3", "H", DAY.jun3, 2],
  ["u4", "C", DAY.jun4, 5],
  ["u4", "H", DAY.jun5, 5],
  ["u4", "I", DAY.jun6, 3],
  ["u5", "I", DAY.may1, 5], // exactly the start bound: included
  ["u5", "I", DAY.jun7, 4],
  ["u5", "D", DAY.jun8, 5], // D: no title
  ["u5", "E", DAY.jun9, 5], // E: "<span id" title
  ["u6", "J", DAY.jun10, 5],
  ["u6", "J", DAY.jun10, 5], // exact duplicate: counts (u6 and J reach K=2 only through it)
  ["u7", "F", DAY.jun11, 5], // F: 21 words
  ["u7", "G", DAY.jun12, 5], // G: one character
  ["u7", "K", DAY.jun13, 5],
  ["u8", "K", DAY.jun14, 5],
  ["u8", "I", DAY.jun15, 5],
  ["u2", "C", DAY.nov1, 5],
  ["u1", "A", DAY.nov2, 5], // after the end bound
  ["u6", "M", DAY.jun20, 5], // M: no metadata record
];
export const META: Array<Record<string, unknown>> = [
  { asin: "A", title: "Alpha" },
  { asin: "B", title: "  &quot;Beta&quot; &amp; Co  " },
  { asin: "C", title: "&amp;quot;Gamma&amp;quot;" }, // needs two cleaning passes to become Gamma
  { asin: "D", price: "$1" },
  { asin: "E", title: '<span id="x">Epsilon</span>' },
  { asin: "F", title: Array.from({ length: 21 }, (_, i) => `w${i}`).join(" ") },
  { asin: "G", title: "X" },
  { asin: "H", title: JUNK },
  { asin: "I", title: '"  Iota  "' },
  { asin: "J", title: "Alpha" }, // a second item titled Alpha
  { asin: "K", title: "Kappa" },
  { asin: "Z", title: "Never reviewed" },
];

export function writeRaw(dir: string): void {
  const reviews = REVIEWS.map(([u, a, t, r]) =>
    JSON.stringify({ overall: r, reviewerID: u, asin: a, unixReviewTime: t, reviewText: "ok" }),
  );
  writeFileSync(join(dir, "Test_5.json.gz"), gzipSync(reviews.join("\n") + "\n"));
  writeFileSync(join(dir, "meta_Test.json"), META.map((m) => JSON.stringify(m)).join("\n") + "\n");
}
