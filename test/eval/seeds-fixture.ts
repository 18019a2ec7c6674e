// Three seeds of two methods for the seed-summary tests (not a test file itself).
import type { SeedReports } from "../../src/eval/seeds.js";
import { makeReport } from "./report-fixture.js";

/** 100 records; the first `hits` have the target at rank 0, the rest miss. */
export const ranks = (hits: number) => Array.from({ length: 100 }, (_, i) => (i < hits ? 0 : Infinity));

// HR@10 per seed: BIGRec 0.10, 0.12, 0.11; LatentR3 0.13, 0.16, 0.13.
export const THREE_SEEDS: SeedReports[] = [
  { seed: 1, reports: [makeReport("BIGRec", ranks(10)), makeReport("LatentR3", ranks(13))] },
  { seed: 2, reports: [makeReport("BIGRec", ranks(12)), makeReport("LatentR3", ranks(16))] },
  { seed: 3, reports: [makeReport("LatentR3", ranks(13)), makeReport("BIGRec", ranks(11))] },
];
