/**
 * `latentr3 data …` commands: thin shells over `src/data/` (argument parsing, progress, printing).
 */
import { num, optStr, str, bool, list, UsageError, type CommandSpec, type ParsedArgs } from "./command.js";
import {
  downloadAmazonCategory,
  formatProgress,
  AMAZON_2018_BASE_URL,
  type DownloadProgress,
} from "../data/amazon/download.js";
import { preprocessAmazon, type Preset } from "../data/amazon/preprocess.js";
import type { Dedupe, YearMonth } from "../data/amazon/kcore.js";
import { formatStats, statsForPath } from "../data/stats.js";
import { generateSyntheticDataset, SYNTHETIC_DEFAULTS, writeSyntheticDataset } from "../data/synthetic/generate.js";
import { describeSynthetic } from "../data/synthetic/story.js";
import { existsSync } from "node:fs";

function yearMonth(args: ParsedArgs, name: string): YearMonth {
  const raw = str(args, name);
  const m = /^(\d{4})-(\d{1,2})$/.exec(raw);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12)
    throw new UsageError(`--${name} expects YEAR-MONTH such as 2017-10, got "${raw}"`);
  return { year: Number(m[1]), month: Number(m[2]) };
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
  options: [
    { name: "category", type: "string", required: true, help: "Amazon 2018 category, e.g. CDs_and_Vinyl" },
    { name: "out", type: "string", default: "raw", help: "folder to write the files into" },
    {
      name: "base-url",
      type: "string",
      default: AMAZON_2018_BASE_URL,
      help: "server root holding categoryFilesSmall/ and metaFiles2/",
    },
    { name: "full", type: "boolean", help: "download the complete reviews instead of the official 5-core file" },
    { name: "sha256", type: "list", help: "expected digests as NAME=HEX, comma-separated" },
    { name: "retries", type: "int", default: 3, help: "attempts after a dropped connection before giving up" },
  ],
  examples: [
    "latentr3 data download --category CDs_and_Vinyl --out raw",
    "latentr3 data download --category Video_Games --sha256 Video_Games_5.json.gz=ab12...",
  ],
  async run(args) {
    const sha256ByName: Record<string, string> = {};
    for (const entry of list(args, "sha256")) {
      const m = /^([^=]+)=([0-9a-fA-F]{64})$/.exec(entry);
      if (!m) throw new UsageError(`--sha256 expects NAME=HEX (64 hex digits), got "${entry}"`);
      sha256ByName[m[1]!] = m[2]!.toLowerCase();
    }
    const results = await downloadAmazonCategory(str(args, "category"), str(args, "out"), {
      baseUrl: str(args, "base-url"),
      full: bool(args, "full"),
      sha256ByName,
      retries: num(args, "retries"),
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
  options: [
    {
      name: "category",
      type: "string",
      required: true,
      help: "category name, e.g. CDs_and_Vinyl (also the file-name prefix)",
    },
    {
      name: "raw",
      type: "string",
      default: ".",
      help: "folder with {CATEGORY}_5.json[.gz] (or {CATEGORY}.json[.gz]) and meta_{CATEGORY}.json[.gz]",
    },
    { name: "reviews", type: "string", help: "reviews file (overrides --raw)" },
    { name: "meta", type: "string", help: "metadata file (overrides --raw)" },
    { name: "out", type: "string", default: "data", help: "output dataset folder" },
    {
      name: "preset",
      type: "string",
      choices: ["latentr3", "d3"],
      default: "latentr3",
      help: "reference thresholds: latentr3 = 5000 items / 3-month steps, d3 = 10000 / 12",
    },
    { name: "k", type: "int", default: 5, help: "minimum interactions per user and per item" },
    {
      name: "start",
      type: "string",
      default: "2017-10",
      help: "first month of the window (YEAR-MONTH), widened backwards as needed",
    },
    { name: "end", type: "string", default: "2018-11", help: "month whose first second ends the window (inclusive)" },
    {
      name: "item-threshold",
      type: "int",
      help: "widen until the core has at least this many items (default from --preset)",
    },
    { name: "widen-months", type: "int", help: "months per widening step (default from --preset)" },
    { name: "stop-year", type: "int", default: 1996, help: "no widening once the start year is at or before this" },
    {
      name: "timezone",
      type: "string",
      choices: ["utc", "local"],
      default: "utc",
      help: "month bounds in UTC, or local time as the reference did",
    },
    {
      name: "drop-html-titles",
      type: "boolean",
      help: 'drop items titled "<span class=..." (the reference keeps them)',
    },
    {
      name: "dedupe",
      type: "string",
      choices: ["none", "exact", "user-item"],
      default: "none",
      help: "drop repeated interactions (same user, item[, time]) before counting",
    },
    { name: "history", type: "int", default: 10, help: "history window length" },
    { name: "id-seed", type: "int", default: 42, help: "seed of the CPython shuffle assigning item ids" },
  ],
  examples: [
    "latentr3 data preprocess --category CDs_and_Vinyl --raw raw --out data",
    "latentr3 data preprocess --category Video_Games --raw raw --preset d3 --drop-html-titles --dedupe exact",
  ],
  async run(args) {
    const reviewsPath = optStr(args, "reviews");
    const metaPath = optStr(args, "meta");
    const itemThreshold = args.options["item-threshold"];
    const widenMonths = args.options["widen-months"];
    const result = await preprocessAmazon({
      category: str(args, "category"),
      rawDir: str(args, "raw"),
      ...(reviewsPath ? { reviewsPath } : {}),
      ...(metaPath ? { metaPath } : {}),
      outDir: str(args, "out"),
      preset: str(args, "preset") as Preset,
      k: num(args, "k"),
      start: yearMonth(args, "start"),
      end: yearMonth(args, "end"),
      ...(typeof itemThreshold === "number" ? { itemThreshold } : {}),
      ...(typeof widenMonths === "number" ? { widenMonths } : {}),
      stopYear: num(args, "stop-year"),
      timezone: str(args, "timezone") as "utc" | "local",
      dropHtmlTitles: bool(args, "drop-html-titles"),
      dedupe: str(args, "dedupe") as Dedupe,
      historyLength: num(args, "history"),
      idSeed: num(args, "id-seed"),
      log: (m) => console.error(m),
    });
    console.log(
      `${result.stem}: ${result.items} items, ${result.users} users, train ${result.counts.train}, valid ${result.counts.valid}, test ${result.counts.test}`,
    );
    console.log(`written under ${str(args, "out")}`);
  },
};

const synth: CommandSpec = {
  path: ["data", "synth"],
  summary: "write the embedded synthetic music dataset (seeded; D3 layout)",
  description:
    "Users with latent genre tastes, favourite artists and a preferred format buy album series in order, favourite\n" +
    "artists, genre picks and popular items (see docs/synthetic-data.md). Same seed and sizes give the same bytes.",
  options: [
    { name: "out", type: "string", default: "data/synthetic", help: "output dataset folder" },
    { name: "seed", type: "int", default: SYNTHETIC_DEFAULTS.seed, help: "random seed" },
    { name: "users", type: "int", default: SYNTHETIC_DEFAULTS.users, help: "number of users" },
    { name: "items", type: "int", default: SYNTHETIC_DEFAULTS.items, help: "number of catalogue items (at least 20)" },
    { name: "json", type: "boolean", help: "print the dataset's story statistics as JSON" },
  ],
  examples: [
    "latentr3 data synth --out data/synthetic",
    "latentr3 data synth --users 2000 --items 1200 --seed 7 --out data/synth-large",
  ],
  async run(args) {
    const ds = generateSyntheticDataset({
      seed: num(args, "seed"),
      users: num(args, "users"),
      items: num(args, "items"),
    });
    const files = await writeSyntheticDataset(str(args, "out"), ds);
    const story = describeSynthetic(ds);
    if (bool(args, "json")) {
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

const stats: CommandSpec = {
  path: ["data", "stats"],
  summary: "print statistics of a dataset folder or one CSV file",
  description:
    "Rows, users, items, history-length histogram, popularity concentration (share of targets on the top 20% of items),\n" +
    "shared and HTML-junk titles, repeated targets, cold-start targets (never seen in train, or in valid when there is no\n" +
    "train split). Unreadable rows are counted and reported unless --strict.",
  positionals: [{ name: "path", help: "dataset folder (info/ + train|valid|test/) or a .csv file", required: true }],
  options: [
    { name: "json", type: "boolean", help: "machine-readable output" },
    { name: "strict", type: "boolean", help: "fail on the first bad row instead of counting it" },
  ],
  examples: ["latentr3 data stats ../shared/data/amazon-cds", "latentr3 data stats data/synthetic --json"],
  async run(args) {
    const path = args.positionals.path as string;
    if (!existsSync(path)) throw new UsageError(`latentr3 data stats: ${path} does not exist`);
    const result = await statsForPath(path, bool(args, "strict"));
    console.log(bool(args, "json") ? JSON.stringify(result, null, 2) : formatStats(result));
  },
};

export const dataCommands: CommandSpec[] = [download, preprocess, synth, stats];
