import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import {
  amazonFiles,
  downloadAmazonCategory,
  downloadFile,
  formatProgress,
  parseContentRange,
} from "../../src/data/amazon/download.js";
import { tempDir } from "../support/helpers.js";

const BODY = randomBytes(300_000);
const SHA = createHash("sha256").update(BODY).digest("hex");

interface Behaviour {
  /** Requests (1-based) on which the server sends this many bytes and then kills the connection. */
  cutAt?: Record<number, number>;
  ignoreRange?: boolean;
  /** Kill a cut connection when this settles instead of 20 ms after the bytes were written. */
  cutWhen?: Promise<void>;
}

async function serve(
  behaviour: Behaviour = {},
): Promise<{ url: string; server: Server; requests: IncomingHttpHeaders[]; methods: string[] }> {
  const requests: IncomingHttpHeaders[] = [];
  const methods: string[] = [];
  const server = createServer((req, res) => {
    if (!req.url?.endsWith(".json.gz")) {
      res.writeHead(404).end("not found");
      return;
    }
    methods.push(req.method ?? "");
    if (req.method === "HEAD") {
      res.writeHead(200, { "Content-Length": BODY.length }).end();
      return;
    }
    requests.push(req.headers);
    const n = requests.length;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = range && !behaviour.ignoreRange ? Number(range[1]) : 0;
    const slice = BODY.subarray(start);
    if (start > 0) {
      res.writeHead(206, {
        "Content-Length": slice.length,
        "Content-Range": `bytes ${start}-${BODY.length - 1}/${BODY.length}`,
      });
    } else {
      res.writeHead(200, { "Content-Length": BODY.length });
    }
    const cut = behaviour.cutAt?.[n];
    if (cut !== undefined) {
      const kill = (): void => void res.socket?.destroy();
      res.write(slice.subarray(0, cut), () =>
        behaviour.cutWhen ? void behaviour.cutWhen.then(kill) : setTimeout(kill, 20),
      );
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests, methods };
}

/** Resolves once `path` exists and is not empty. */
async function partWritten(path: string): Promise<void> {
  while (!existsSync(path) || statSync(path).size === 0) await new Promise((r) => setTimeout(r, 5));
}

test("download: an interrupted transfer resumes with a Range request and the bytes are exact", async () => {
  // The cut waits until the client has all 100,000 bytes in hand: a fixed delay let a loaded machine cut
  // before any byte reached the part file, and the retry then rightly started over without a Range.
  let arrived!: () => void;
  const cutWhen = new Promise<void>((resolve) => (arrived = resolve));
  const { url, server, requests } = await serve({ cutAt: { 1: 100_000 }, cutWhen });
  try {
    const dest = join(tempDir("dl"), "meta_X.json.gz");
    const progress: number[] = [];
    const result = await downloadFile(`${url}/metaFiles2/meta_X.json.gz`, dest, {
      retryDelayMs: 10,
      sha256: SHA,
      onProgress: (p) => {
        progress.push(p.received);
        // Received is not yet written: cut only once the part file holds bytes (as a kill would find it).
        if (p.received >= 100_000) void partWritten(`${dest}.part`).then(arrived);
      },
      progressIntervalMs: 0,
    });
    assert.equal(requests.length, 2);
    assert.equal(requests[0]!.range, undefined);
    assert.match(requests[1]!.range!, /^bytes=\d+-$/);
    const resumedAt = Number(/\d+/.exec(requests[1]!.range!)![0]);
    assert.ok(resumedAt > 0 && resumedAt <= 100_000, `resumed at ${resumedAt}`);
    assert.ok(readFileSync(dest).equals(BODY));
    assert.equal(result.sha256, SHA);
    assert.equal(result.bytes, BODY.length);
    assert.ok(result.resumed);
    assert.equal(result.attempts, 2);
    assert.equal(progress.at(-1), BODY.length);
    assert.ok(!existsSync(`${dest}.part`));
  } finally {
    server.close();
  }
});

test("download: a partial file left by an earlier run is continued; a complete file is skipped", async () => {
  const { url, server, requests } = await serve();
  try {
    const dir = tempDir("dl");
    const dest = join(dir, "X_5.json.gz");
    writeFileSync(`${dest}.part`, BODY.subarray(0, 123_456));
    const result = await downloadFile(`${url}/categoryFilesSmall/X_5.json.gz`, dest);
    assert.equal(requests[0]!.range, "bytes=123456-");
    assert.ok(readFileSync(dest).equals(BODY));
    assert.ok(result.resumed);
    const again = await downloadFile(`${url}/categoryFilesSmall/X_5.json.gz`, dest, { sha256: SHA });
    assert.ok(again.skipped);
    assert.equal(requests.length, 1, "no GET for a complete file");
  } finally {
    server.close();
  }
});

test("download: a server ignoring Range restarts cleanly; wrong sha256, HTTP 404 and too many cuts are errors", async () => {
  const ignoring = await serve({ ignoreRange: true });
  try {
    const dest = join(tempDir("dl"), "a.json.gz");
    writeFileSync(`${dest}.part`, Buffer.from("stale bytes"));
    await downloadFile(`${ignoring.url}/a.json.gz`, dest);
    assert.ok(readFileSync(dest).equals(BODY));
    const other = join(tempDir("dl"), "b.json.gz");
    await assert.rejects(
      downloadFile(`${ignoring.url}/b.json.gz`, other, { sha256: "0".repeat(64) }),
      /sha256 [0-9a-f]{64} does not match/,
    );
    assert.ok(!existsSync(other));
    await assert.rejects(downloadFile(`${ignoring.url}/missing.txt`, other), /HTTP 404.*category name/);
  } finally {
    ignoring.server.close();
  }
  const flaky = await serve({ cutAt: { 1: 1000, 2: 1000 } });
  try {
    const dest = join(tempDir("dl"), "c.json.gz");
    await assert.rejects(
      downloadFile(`${flaky.url}/c.json.gz`, dest, { retries: 1, retryDelayMs: 5 }),
      /failed after 2 attempt\(s\).*bytes kept in .*c\.json\.gz\.part, run again to resume/,
    );
    assert.ok(existsSync(`${dest}.part`));
  } finally {
    flaky.server.close();
  }
});

test("download: category file names and URLs; progress formatting", async () => {
  assert.deepEqual(amazonFiles("CDs_and_Vinyl", "http://h/base/"), [
    { name: "CDs_and_Vinyl_5.json.gz", url: "http://h/base/categoryFilesSmall/CDs_and_Vinyl_5.json.gz" },
    { name: "meta_CDs_and_Vinyl.json.gz", url: "http://h/base/metaFiles2/meta_CDs_and_Vinyl.json.gz" },
  ]);
  assert.equal(amazonFiles("Books", "http://h", true)[0]!.url, "http://h/categoryFiles/Books.json.gz");
  assert.deepEqual(parseContentRange("bytes 100-199/200"), { start: 100, total: 200 });
  assert.equal(parseContentRange("nonsense"), undefined);
  assert.equal(
    formatProgress({ file: "f", received: 25e6, total: 100e6, resumedFrom: 0, elapsedMs: 5000 }),
    "25.0 MB / 100.0 MB (25.0%)  5.0 MB/s  ETA 15 s",
  );
  const { url, server } = await serve();
  try {
    const dir = tempDir("dl");
    const results = await downloadAmazonCategory("X", dir, { baseUrl: url, sha256ByName: { "X_5.json.gz": SHA } });
    assert.deepEqual(
      results.map((r) => r.path),
      [join(dir, "X_5.json.gz"), join(dir, "meta_X.json.gz")],
    );
  } finally {
    server.close();
  }
});
