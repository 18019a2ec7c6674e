/**
 * Load test of the recommendation server (issue 14): autocannon against 127.0.0.1 with 100
 * concurrent clients, dynamic batching on (max batch 8) and off (max batch 1) side by side. Two
 * server processes run the same randomly initialised model; their runs alternate, and the setting
 * that goes first alternates per round (on off, off on, ...), so a slow patch of the shared machine
 * hits both. Each request of a run is a different test
 * user's history, and every run (after one warm-up run per server) sends the same requests.
 *
 * A run is a fixed amount of work: every client sends `--per-client` requests, one at a time, and the
 * run ends when all are answered. (A fixed duration would count only the requests that got through
 * the queue in time: with 100 clients and a few requests per second, those are the lucky ones.) Each
 * run is bounded in time by `--max-seconds`; a run cut short says so.
 *
 * Per run: wall time, answered requests per second, p50 / p99 latency over every request, errors
 * (connection errors, timeouts and non-2xx answers: must be 0), the mean batch size, the server's peak
 * RSS during the run (VmHWM, reset before the run) and its RSS once idle after it. Three consecutive
 * runs per setting show whether memory stays flat.
 *
 *   npm run build:ts && nice -n 10 node dist/bench/serve/serve.js [--preset tiny] [--connections 100]
 *     [--per-client 2] [--runs 3] [--max-batch 8] [--max-wait 10] [--max-seconds 900]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { loadDataSource } from "../../src/data/data-source.js";
import { intOption, option } from "../support/args.js";
import { cdsDataDir, median } from "../support/setup.js";
import { repoRoot } from "../common/child.js";

const preset = option("preset", "tiny");
const connections = intOption("connections", 100);
const perClient = intOption("per-client", 2);
const maxSeconds = intOption("max-seconds", 900);
const runs = intOption("runs", 3);
const maxBatch = intOption("max-batch", 8);
const maxWait = intOption("max-wait", 10);

interface Server {
  name: string;
  child: ChildProcess;
  url: string;
  pid: number;
}

async function startServer(name: string, batch: number): Promise<Server> {
  const script = join(repoRoot(), "dist", "bench", "serve", "server-child.js");
  const args = ["--preset", preset, "--max-batch", String(batch), "--max-wait", String(maxWait)];
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const first = out.split("\n").find((l) => l.startsWith("{"));
      if (first) resolve(first);
    });
    child.on("exit", (code) => reject(new Error(`${name} server exited with ${code} before listening`)));
  });
  const info = JSON.parse(line) as { url: string; pid: number; data: string; items: number };
  console.log(`${name}: ${info.url} (pid ${info.pid}), ${info.data}, ${info.items} items, max batch ${batch}`);
  return { name, child, url: info.url, pid: info.pid };
}

/** VmRSS / VmHWM of a process in MiB (Linux /proc). */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)![1]) / 1024;
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}

/** Resets the peak-RSS mark (VmHWM) so the next reading is the peak of the coming run. */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Waits until the server has no queued or decoding request (abandoned requests of the last run). */
async function idle(url: string): Promise<void> {
  for (;;) {
    const health = (await (await fetch(`${url}/healthz`)).json()) as { queue: { depth: number; decoding: boolean } };
    if (health.queue.depth === 0 && !health.queue.decoding) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const source = await loadDataSource(cdsDataDir() ? { data: cdsDataDir() } : {});
const bodies = source.splits.test.map((e) => JSON.stringify({ history: e.history.map((i) => i.id), k: 10 }));
let next = 0;

/** `requests` requests from `connections` clients; stopped (and said so) after `maxSeconds`. */
async function load(url: string, requests: number): Promise<autocannon.Result & { cut: boolean }> {
  next = 0; // every run sends the same requests, so the two settings do the same work
  let cut = false;
  let timer: NodeJS.Timeout | undefined;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/v1/recommend`,
        connections,
        amount: requests,
        timeout: maxSeconds, // a queued request waits for the ones ahead of it: seconds, not milliseconds
        method: "POST",
        headers: { "content-type": "application/json" },
        requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    timer = setTimeout(() => {
      cut = true;
      instance.stop();
    }, maxSeconds * 1000);
  });
  clearTimeout(timer);
  return { ...result, cut };
}

interface Row {
  server: string;
  run: number;
  seconds: number;
  cut: boolean;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  meanBatch: number;
  peakMiB: number;
  rssAfterMiB: number;
  load1: number;
}

const servers = [await startServer("batching on", maxBatch), await startServer("batching off", 1)];
const rows: Row[] = [];
try {
  for (const s of servers) {
    await load(s.url, connections * perClient); // warm-up (JIT, caches, allocator), not reported
    await idle(s.url);
  }
  console.log(
    `\n${connections} clients × ${perClient} requests per run, ${runs} runs per setting (alternating), max wait ${maxWait} ms, preset ${preset}\n`,
  );
  console.log(
    "server        run  wall s   req/s   p50 ms   p99 ms  errors  mean batch  peak RSS MiB  RSS after MiB  load1",
  );
  for (let run = 1; run <= runs; run++) {
    // Each round, the other setting goes first.
    for (const s of run % 2 === 1 ? servers : [...servers].reverse()) {
      const before = {
        count: await metric(s.url, "latentr3_batch_size_count"),
        sum: await metric(s.url, "latentr3_batch_size_sum"),
      };
      resetPeak(s.pid);
      const load1 = loadavg()[0]!;
      const r = await load(s.url, connections * perClient);
      await idle(s.url);
      const peakMiB = memory(s.pid).peak;
      const batches = (await metric(s.url, "latentr3_batch_size_count")) - before.count;
      const decoded = (await metric(s.url, "latentr3_batch_size_sum")) - before.sum;
      const row: Row = {
        server: s.name,
        run,
        seconds: r.duration,
        cut: r.cut,
        rps: r["2xx"] / r.duration,
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors + r.timeouts + r.non2xx,
        meanBatch: batches > 0 ? decoded / batches : 0,
        peakMiB,
        rssAfterMiB: memory(s.pid).rss,
        load1,
      };
      rows.push(row);
      console.log(
        `${row.server.padEnd(12)} ${String(run).padStart(4)} ${row.seconds.toFixed(0).padStart(7)} ${row.rps.toFixed(2).padStart(7)} ${row.p50.toFixed(0).padStart(8)} ${row.p99.toFixed(0).padStart(8)} ` +
          `${String(row.errors).padStart(7)} ${row.meanBatch.toFixed(2).padStart(11)} ${row.peakMiB.toFixed(0).padStart(13)} ${row.rssAfterMiB.toFixed(0).padStart(14)} ${load1.toFixed(1).padStart(6)}` +
          (row.cut ? `  (cut at ${maxSeconds} s: not every request was answered)` : ""),
      );
    }
  }
} finally {
  for (const s of servers) s.child.kill("SIGTERM");
}

const of = (name: string) => rows.filter((r) => r.server === name);
const [on, off] = [of("batching on"), of("batching off")];
const med = (rs: Row[], key: keyof Row) => median(rs.map((r) => r[key] as number));
console.log(
  `\nmedians: batching on ${med(on, "rps").toFixed(2)} req/s, p50 ${med(on, "p50").toFixed(0)} ms, p99 ${med(on, "p99").toFixed(0)} ms; ` +
    `off ${med(off, "rps").toFixed(2)} req/s, p50 ${med(off, "p50").toFixed(0)} ms, p99 ${med(off, "p99").toFixed(0)} ms; ` +
    `throughput on / off ${(med(on, "rps") / med(off, "rps")).toFixed(2)}×`,
);
for (const rs of [on, off]) {
  console.log(
    `${rs[0]!.server}: RSS after runs ${rs.map((r) => r.rssAfterMiB.toFixed(0)).join(" → ")} MiB (run ${runs} − run 1: ${(rs[rs.length - 1]!.rssAfterMiB - rs[0]!.rssAfterMiB).toFixed(0)} MiB), ` +
      `peak ${Math.max(...rs.map((r) => r.peakMiB)).toFixed(0)} MiB, errors ${rs.reduce((n, r) => n + r.errors, 0)}`,
  );
}
console.log(JSON.stringify({ bench: "serve", preset, connections, perClient, runs, maxBatch, maxWait, rows }));
