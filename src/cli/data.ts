/**
 * `latentr3 data …` commands: thin shells over `src/data/` (argument parsing, progress, printing).
 */
import { existsSync } from "node:fs";
import { UsageError, type CommandSpec } from "./command.js";
import { checkOutput } from "./options.js";
import {
  DOWNLOAD_CONFIG,
  downloadAmazonCategory,
  formatProgress,
  type DownloadProgress,
} from "../data/amazon/download.js";
import { parseYearMonth, type YearMonth } from "../data/amazon/kcore.js";
import { PREPROCESS_CONFIG, preprocessAmazon } from "../data/amazon/preprocess.js";
import { formatStats, statsForPath } from "../data/stats.js";
import { generateSyntheticDataset, SYNTHETIC_CONFIG, writeSyntheticDataset } from "../data/synthetic/generate.js";
import { describeSynthetic } from "../data/synthetic/story.js";
import { boolean, configTable, string } from "../util/config-table.js";

function yearMonth(flag: string, raw: string): YearMonth {
  const parsed = parseYearMonth(raw);
  if (!parsed) throw new UsageError(`--${flag} expects YEAR-MONTH such as 2017-10, got "${raw}"`);
  return parsed;
}

function progressPrinter(): (p: DownloadProgress) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  return (p) => {
    const now = Date.now();
    const done = p.total !== undefined && p.received >= p.total;
    if (!tty && !done && now - last < 5000) return; // one line every 5 s in logs
    last = now;
    const line = `${p.file}: ${formatProgress(p)}`;
    if (tty) process.stderr.write(`\r${line.padEnd(100)}${done ? "\n" : ""}`);
    else process.stderr.write(`${line}\n`);
  };
}

const download: CommandSpec = {
  path: ["data", "download"],
  summary: "download the Amazon Review Data (2018) files of a category (5-core reviews + metadata), resumable",
  description:
    "Fetches {CATEGORY}_5.json.gz (or the full {CATEGORY}.json.gz with --full) and meta_{CATEGORY}.json.gz.\n" +
    "Interrupted downloads resume from {FILE}.part with HTTP Range requests (also across runs); sizes are checked\n" +
    "against Content-Length and an optional sha256. Category names are case-sensitive (CDs_and_Vinyl, Video_Games, ...).",
  options: [DOWNLOAD_CONFIG],
  examples: [
    "latentr3 data download --category CDs_and_Vinyl --out raw",
    "latentr3 data download --category Video_Games --sha256 Video_Games_5.json.gz=ab12...",
  ],
  async run(args) {
    const c = DOWNLOAD_CONFIG.from(args.values);
    checkOutput(c.out);
    const sha256ByName: Record<string, string> = {};
    for (const entry of c.sha256) {
      const m = /^([^=]+)=([0-9a-fA-F]{64})$/.exec(entry);
      if (!m) throw new UsageError(`--sha256 expects NAME=HEX (64 hex digits), got "${entry}"`);
      sha256ByName[m[1]!] = m[2]!.toLowerCase();
    }
    const results = await downloadAmazonCategory(c.category, c.out, {
      baseUrl: c.baseUrl,
      full: c.full,
      sha256ByName,
      retries: c.retries,
      onProgress: progressPrinter(),
    });
    for (const r of results) {
      console.log(
        `${r.path}  ${r.bytes} bytes  sha256 ${r.sha256}${r.skipped ? "  (already complete)" : r.resumed ? "  (resumed)" : ""}`,
      );
    }
  },
};

const preprocess: CommandSpec = {
  path: ["data", "preprocess"],
  summary: "turn raw Amazon 2018 reviews + metadata into a D3 dataset folder, as the reference preprocessing",
  description:
    "Reference behaviour (spec 1.2-1.6): month window [start, end] with inclusive bounds, title cleaning, iterative\n" +
    "K-core counting duplicate reviews, the start widened backwards until the core has --item-threshold items,\n" +
    "item ids by CPython random.seed(42)+shuffle, histories of 10, global chronological 8:1:1 split.\n" +
    "Writes OUT/info/{stem}.txt and OUT/{train,valid,test}/{stem}.csv with stem {CATEGORY}_{K}_{sy}-{sm}-{ey}-{em}.\n" +
    "Differences from the reference by default: none except --timezone utc (the reference used the machine's local time).",
  options: [PREPROCESS_CONFIG],
  examples: [
    "latentr3 data preprocess --category CDs_and_Vinyl --raw raw --out data",
    "latentr3 data preprocess --category Video_Games --raw raw --preset d3 --drop-html-titles --dedupe exact",
  ],
  async run(args) {
    const c = PREPROCESS_CONFIG.from(args.values);
    checkOutput(c.out);
    const result = await preprocessAmazon({
      category: c.category,
      rawDir: c.raw,
      ...(c.reviews ? { reviewsPath: c.reviews } : {}),
      ...(c.meta ? { metaPath: c.meta } : {}),
      outDir: c.out,
      preset: c.preset,
      k: c.k,
      start: yearMonth("start", c.start),
      end: yearMonth("end", c.end),
      ...(c.itemThreshold !== undefined ? { itemThreshold: c.itemThreshold } : {}),
      ...(c.widenMonths !== undefined ? { widenMonths: c.widenMonths } : {}),
      stopYear: c.stopYear,
      timezone: c.timezone,
      dropHtmlTitles: c.dropHtmlTitles,
      dedupe: c.dedupe,
      historyLength: c.history,
      idSeed: c.idSeed,
      log: (m) => console.error(m),
    });
    console.log(
      `${result.stem}: ${result.items} items, ${result.users} users, train ${result.counts.train}, valid ${result.counts.valid}, test ${result.counts.test}`,
    );
    console.log(`written under ${c.out}`);
  },
};

/** Printing options of the data commands (they configure output, not the data). */
const SYNTH_OUTPUT = configTable("synth output", {
  out: string("data/synthetic", "output dataset folder"),
  json: boolean("print the dataset's story statistics as JSON"),
});

const synth: CommandSpec = {
  path: ["data", "synth"],
  summary: "write the embedded synthetic music dataset (seeded; D3 layout)",
  description:
    "Users with latent genre tastes, favourite artists and a preferred format buy album series in order, favourite\n" +
    "artists, genre picks and popular items (see docs/synthetic-data.md). Same seed and sizes give the same bytes.",
  options: [SYNTH_OUTPUT, SYNTHETIC_CONFIG],
  examples: [
    "latentr3 data synth --out data/synthetic",
    "latentr3 data synth --users 2000 --items 1200 --seed 7 --out data/synth-large",
  ],
  async run(args) {
    const out = SYNTH_OUTPUT.from(args.values);
    checkOutput(out.out);
    const ds = generateSyntheticDataset(SYNTHETIC_CONFIG.from(args.values));
    const files = await writeSyntheticDataset(out.out, ds);
    const story = describeSynthetic(ds);
    if (out.json) {
      console.log(JSON.stringify({ files, story }, null, 2));
      return;
    }
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    console.log(`${files.stem}: ${story.items} items (${story.distinctTitles} distinct titles), ${story.users} users`);
    console.log(`rows: train ${story.rows.train}, valid ${story.rows.valid}, test ${story.rows.test}`);
    const r = story.testReasonShare;
    console.log(
      `test targets by mechanism: series ${pct(r.series)}, favourite artist ${pct(r.artist)}, genre ${pct(r.genre)}, popularity noise ${pct(r.popular)}`,
    );
    console.log(
      `baselines on test: continuation rule HR@1 ${pct(story.continuationHitRate)}, popularity HR@10 ${pct(story.popularityHitRate10)}`,
    );
    console.log(`written under ${files.dir}`);
  },
};

const STATS_OUTPUT = configTable("stats output", {
  json: boolean("machine-readable output"),
  strict: boolean("fail on the first bad row instead of counting it"),
});

const stats: CommandSpec = {
  path: ["data", "stats"],
  summary: "print statistics of a dataset folder or one CSV file",
  description:
    "Rows, users, items, history-length histogram, popularity concentration (share of targets on the top 20% of items),\n" +
    "shared and HTML-junk titles, repeated targets, cold-start targets (never seen in train, or in valid when there is no\n" +
    "train split). Unreadable rows are counted and reported unless --strict.",
  positionals: [{ name: "path", help: "dataset folder (info/ + train|valid|test/) or a .csv file", required: true }],
  options: [STATS_OUTPUT],
  examples: ["latentr3 data stats ../shared/data/amazon-cds", "latentr3 data stats data/synthetic --json"],
  async run(args) {
    const path = args.positionals.path as string;
    const out = STATS_OUTPUT.from(args.values);
    if (!existsSync(path)) throw new UsageError(`latentr3 data stats: ${path} does not exist`);
    const result = await statsForPath(path, out.strict);
    console.log(out.json ? JSON.stringify(result, null, 2) : formatStats(result));
  },
};

export const dataCommands: CommandSpec[] = [download, preprocess, synth, stats];
