import type { CommandSpec } from "./command.js";
import { comparisonTable, loadRunReports } from "../eval/compare.js";
import { findBaseline, pairedComparisons, pairedTable } from "../eval/compare-paired.js";
import { methodOf, seedPattern, seedRunsFromLabels } from "../eval/seed-groups.js";
import { formatSeedsSummary, summariseSeeds } from "../eval/seeds.js";
import { renderComparison } from "../eval/report-html.js";
import { writeFileAtomic } from "../util/atomic-file.js";
import { configTable, optional } from "../util/config-table.js";

const COMPARE_OPTIONS = configTable("compare", {
  html: optional("string", "also write an HTML comparison page (table + charts) to this file"),
  baseline: optional(
    "string",
    "run (name or folder) the others are tested against, pair by pair over test records (default: the first)",
  ),
  seedsFrom: optional(
    "string",
    'regular expression whose capture group is the seed in a run\'s name (e.g. "-seed(\\d+)$": runs equal apart from it are one method\'s seeds) or else in its folder (e.g. "seed-(\\d+)/": the report\'s run name is the method), summarised as mean ± std with tests over seeds and seed-averaged records; runs it matches nowhere stand in every seed',
  ),
});

/** `latentr3 compare RUN...`: runs side by side from their report.json files. */
export const compareCommand: CommandSpec = {
  path: ["compare"],
  summary: "compare evaluated runs side by side (HR/NDCG@5/@10, invalid predictions, popular/long-tail HR@10)",
  description:
    "Reads report.json from each run folder and prints one row per run; * marks the best value per column.\n" +
    "pop/tail = HR@10 on popular (top 20% by training frequency) and long-tail target items.\n" +
    "With several runs, each is tested against the baseline on HR@10 and NDCG@10 over the same test records\n" +
    "(per-user.jsonl): paired t-test p-value and paired bootstrap 95% interval of the difference; n.s. = not significant.\n" +
    "--seeds-from groups runs by method and seed and adds the seeds summary (as `demo --seeds` writes it).",
  positionals: [{ name: "run", help: "run folders holding a report.json", required: true, variadic: true }],
  options: [COMPARE_OPTIONS],
  examples: [
    "latentr3 compare runs/eval-popularity runs/eval-bigrec runs/eval-latentr3",
    "latentr3 compare runs/eval-* --baseline runs/eval-bigrec --html runs/comparison.html",
    "latentr3 compare runs/eval-sft runs/eval-pathwise-seed* --baseline runs/eval-sft --seeds-from '-seed(\\d+)$'",
  ],
  run(args) {
    const { html, baseline, seedsFrom } = COMPARE_OPTIONS.from(args.values);
    const pattern = seedsFrom === undefined ? undefined : seedPattern(seedsFrom);
    const runs = loadRunReports(args.positionals.run as string[]);
    console.log(comparisonTable(runs));
    const paired = runs.length > 1 ? pairedComparisons(runs, { baseline }) : undefined;
    if (paired) console.log(`\n${pairedTable(paired)}`);
    if (pattern) {
      const baselineMethod = methodOf(findBaseline(runs, baseline), pattern);
      const summary = summariseSeeds(seedRunsFromLabels(runs, pattern), { baseline: baselineMethod });
      console.log(`\n${formatSeedsSummary(summary)}`);
    }
    if (html !== undefined) {
      writeFileAtomic(
        html,
        renderComparison(
          runs.map((r) => r.report),
          runs.map((r) => r.label),
          paired,
        ),
      );
      console.log(`\nwrote ${html}`);
    }
  },
};
