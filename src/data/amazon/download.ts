/**
 * Downloads the Amazon Review Data (2018) files of a category: the 5-core reviews and the
 * metadata. Large files resume: bytes go to `<file>.part`, a retry or a later run continues with an
 * HTTP Range request, the final size is checked against the server's length, and an optional
 * sha256 is verified before the file is renamed into place.
 */
import { boolean, configTable, int, list, required, string } from "../../util/config-table.js";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, statSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";

/** Where the McAuley lab serves the 2018 files (the older `deepyeti.ucsd.edu/jianmo/amazon` mirror has the same layout). */
export const AMAZON_2018_BASE_URL = "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_v2";

export interface RemoteFile {
  name: string;
  url: string;
}

/** The files the preprocessing needs: `{cat}_5.json.gz` (or the full `{cat}.json.gz`) and `meta_{cat}.json.gz`. */
export function amazonFiles(category: string, baseUrl = AMAZON_2018_BASE_URL, full = false): RemoteFile[] {
  const base = baseUrl.replace(/\/+$/, "");
  const reviews = full ? `${category}.json.gz` : `${category}_5.json.gz`;
  return [
    { name: reviews, url: `${base}/${full ? "categoryFiles" : "categoryFilesSmall"}/${reviews}` },
    { name: `meta_${category}.json.gz`, url: `${base}/metaFiles2/meta_${category}.json.gz` },
  ];
}

export interface DownloadProgress {
  file: string;
  received: number;
  total: number | undefined;
  /** Bytes that were already on disk when this request started. */
  resumedFrom: number;
  elapsedMs: number;
}

/** The download command's settings, declared once. */
export const DOWNLOAD_CONFIG = configTable("Amazon download", {
  category: required("Amazon 2018 category, e.g. CDs_and_Vinyl"),
  out: string("raw", "folder to write the files into"),
  baseUrl: string(AMAZON_2018_BASE_URL, "server root holding categoryFilesSmall/ and metaFiles2/"),
  full: boolean("download the complete reviews instead of the official 5-core file"),
  sha256: { ...list([], "expected digests as NAME=HEX, comma-separated"), valueName: "NAME=HEX,..." },
  retries: int(3, "attempts after a dropped connection before giving up", { min: 0 }),
});

export interface DownloadOptions {
  /** Attempts after the first one when the connection drops (default 3). */
  retries?: number;
  retryDelayMs?: number;
  /** Lower-case hex sha256 the finished file must have. */
  sha256?: string;
  onProgress?: (p: DownloadProgress) => void;
  /** Minimum interval between progress callbacks (default 500 ms). */
  progressIntervalMs?: number;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  /** True when some bytes came from an earlier partial download or attempt. */
  resumed: boolean;
  /** True when the file was already complete and nothing was fetched. */
  skipped: boolean;
  attempts: number;
}

export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DownloadError";
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Parses `Content-Range: bytes start-end/total`. */
export function parseContentRange(value: string | null): { start: number; total: number | undefined } | undefined {
  const m = value && /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim());
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[3] === "*" ? undefined : Number(m[3]) };
}

async function remoteLength(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { method: "HEAD" });
    const len = res.headers.get("content-length");
    return res.ok && len !== null ? Number(len) : undefined;
  } catch {
    return undefined;
  }
}

const sizeOf = (path: string): number => (existsSync(path) ? statSync(path).size : 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Downloads `url` to `dest`, resuming from `dest.part`; see the file comment. */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const part = `${dest}.part`;
  const retries = options.retries ?? DOWNLOAD_CONFIG.fields.retries.default;
  const verify = async (
    path: string,
    attempts: number,
    resumed: boolean,
    skipped: boolean,
  ): Promise<DownloadResult> => {
    const sha256 = await sha256File(path);
    if (options.sha256 && sha256 !== options.sha256.toLowerCase()) {
      await rm(path, { force: true });
      throw new DownloadError(
        `${url}: sha256 ${sha256} does not match the expected ${options.sha256}; the file was deleted, run again to re-download`,
      );
    }
    return { path: dest, bytes: sizeOf(path), sha256, resumed, skipped, attempts };
  };

  if (existsSync(dest)) {
    const remote = await remoteLength(url);
    if (remote === undefined || remote === sizeOf(dest)) return verify(dest, 0, false, true);
  }

  let resumed = false;
  let lastError: unknown;
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    let offset = sizeOf(part);
    const started = Date.now();
    let res: Response;
    try {
      res = await fetch(url, offset > 0 ? { headers: { Range: `bytes=${offset}-` } } : {});
    } catch (err) {
      lastError = err;
      await sleep(options.retryDelayMs ?? 1000);
      continue;
    }
    let total: number | undefined;
    if (res.status === 416 && offset > 0) {
      // Nothing left to send: the part may already be complete.
      await res.body?.cancel();
      const remote = await remoteLength(url);
      if (remote === offset) {
        await rename(part, dest);
        return verify(dest, attempt, true, false);
      }
      await rm(part, { force: true });
      continue;
    }
    if (res.status === 206) {
      const range = parseContentRange(res.headers.get("content-range"));
      if (!range || range.start !== offset) {
        await res.body?.cancel();
        await rm(part, { force: true }); // the server answered a different range: start over
        continue;
      }
      total = range.total;
      resumed = true;
    } else if (res.status === 200) {
      offset = 0; // the server ignored the Range header: the body is the whole file
      const len = res.headers.get("content-length");
      total = len === null ? undefined : Number(len);
    } else {
      await res.body?.cancel();
      const message = `${url}: HTTP ${res.status} ${res.statusText}`;
      if (res.status >= 500 || res.status === 408 || res.status === 429) {
        lastError = new DownloadError(message);
        await sleep(options.retryDelayMs ?? 1000);
        continue;
      }
      throw new DownloadError(`${message} (is the category name right? names are case-sensitive, e.g. CDs_and_Vinyl)`);
    }
    if (!res.body) throw new DownloadError(`${url}: empty response body`);

    let received = 0;
    let lastReport = 0;
    const report = (force: boolean) => {
      const now = Date.now();
      if (!options.onProgress || (!force && now - lastReport < (options.progressIntervalMs ?? 500))) return;
      lastReport = now;
      options.onProgress({
        file: dest,
        received: offset + received,
        total,
        resumedFrom: offset,
        elapsedMs: now - started,
      });
    };
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        report(false);
        done(null, chunk);
      },
    });
    try {
      const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
      await pipeline(body, counter, createWriteStream(part, { flags: offset > 0 ? "a" : "w" }));
    } catch (err) {
      lastError = err;
      report(true);
      await sleep(options.retryDelayMs ?? 1000);
      continue; // resume from what reached the disk
    }
    report(true);
    const size = sizeOf(part);
    if (total !== undefined && size !== total) {
      lastError = new DownloadError(`${url}: got ${size} bytes, the server announced ${total}`);
      if (size > total) await rm(part, { force: true });
      continue;
    }
    await rename(part, dest);
    return verify(dest, attempt, resumed, false);
  }
  const detail = lastError instanceof Error ? lastError.message : String(lastError);
  throw new DownloadError(
    `${url}: download failed after ${retries + 1} attempt(s) (${detail}); ${sizeOf(part)} bytes kept in ${part}, run again to resume`,
  );
}

/** `12.3 MB / 45.6 MB (27.0%)  3.2 MB/s  ETA 11 s` */
export function formatProgress(p: DownloadProgress): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const rate = p.elapsedMs > 0 ? (p.received - p.resumedFrom) / (p.elapsedMs / 1000) : 0;
  const parts = [
    p.total ? `${mb(p.received)} / ${mb(p.total)} (${((100 * p.received) / p.total).toFixed(1)}%)` : mb(p.received),
  ];
  if (rate > 0) parts.push(`${mb(rate)}/s`);
  if (p.total && rate > 0) parts.push(`ETA ${Math.ceil((p.total - p.received) / rate)} s`);
  return parts.join("  ");
}

/** Downloads every file of a category into `outDir`; `sha256` maps file names to expected digests. */
export async function downloadAmazonCategory(
  category: string,
  outDir: string,
  options: DownloadOptions & { baseUrl?: string; full?: boolean; sha256ByName?: Record<string, string> } = {},
): Promise<DownloadResult[]> {
  await mkdir(outDir, { recursive: true });
  const results: DownloadResult[] = [];
  for (const f of amazonFiles(category, options.baseUrl, options.full)) {
    const expected = options.sha256ByName?.[f.name];
    results.push(
      await downloadFile(f.url, join(outDir, f.name), { ...options, ...(expected ? { sha256: expected } : {}) }),
    );
  }
  return results;
}
