import type { CommandSpec } from "./command.js";
import { comparisonTable, loadRunReports } from "../eval/compare.js";
import { renderComparison } from "../eval/report-html.js";
import { writeFileAtomic } from "../util/atomic-file.js";
import { configTable, optional } from "../util/config-table.js";

const COMPARE_OUTPUT = configTable("compare output", {
  html: optional("string", "also write an HTML comparison page (table + charts) to this file"),
});

/** `latentr3 compare RUN...`: runs side by side from their report.json files. */
export const compareCommand: CommandSpec = {
  path: ["compare"],
  summary: "compare evaluated runs side by side (HR/NDCG@5/@10, invalid predictions, popular/long-tail HR@10)",
  description:
    "Reads report.json from each run folder and prints one row per run; * marks the best value per column.\n" +
    "pop/tail = HR@10 on popular (top 20% by training frequency) and long-tail target items.",
  positionals: [{ name: "run", help: "run folders holding a report.json", required: true, variadic: true }],
  options: [COMPARE_OUTPUT],
  examples: [
    "latentr3 compare runs/bigrec runs/latentr3-sft runs/latentr3-rl",
    "latentr3 compare runs/* --html runs/comparison.html",
  ],
  run(args) {
    const runs = loadRunReports(args.positionals.run as string[]);
    console.log(comparisonTable(runs));
    const { html } = COMPARE_OUTPUT.from(args.values);
    if (html !== undefined) {
      writeFileAtomic(
        html,
        renderComparison(
          runs.map((r) => r.report),
          runs.map((r) => r.label),
        ),
      );
      console.log(`\nwrote ${html}`);
    }
  },
};
