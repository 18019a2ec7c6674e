/**
 * Progress output for long work: a single updating line on a terminal, a line every few seconds
 * otherwise (logs, CI). Shows step, the caller's numbers (loss, tok/s ...) and the ETA.
 */

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * Seconds left at the rate so far: of units (`done` of `total`, not counting the `startAt` a resumed
 * run began with), or of work when `workFraction` says what share of it is done.
 */
export function etaSeconds(p: {
  elapsed: number;
  done: number;
  total: number;
  startAt?: number;
  workFraction?: number;
}): number {
  if (p.workFraction !== undefined) return (p.elapsed * (1 - p.workFraction)) / Math.max(p.workFraction, 1e-9);
  const rate = (p.done - (p.startAt ?? 0)) / Math.max(p.elapsed, 1e-9);
  return (p.total - p.done) / Math.max(rate, 1e-9);
}

export class Progress {
  private readonly start = performance.now();
  private lastPrint = 0;
  private readonly tty: boolean;
  private done = 0;
  private finalPrinted = false;
  private workFraction: number | undefined;

  constructor(
    readonly label: string,
    readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    /** Seconds between lines when not on a terminal. */
    private readonly interval = Number(process.env.LATENTR3_PROGRESS_INTERVAL ?? 10),
    /** Units already done when this progress starts (a resumed run), excluded from the rate. */
    private readonly startAt = 0,
  ) {
    this.tty = Boolean(stream.isTTY) && process.env.LATENTR3_QUIET !== "1";
    this.done = startAt;
  }

  /**
   * Records `done` units. `workFraction` (0–1), when units differ in cost, is the share of the whole
   * work they hold (an evaluation's users by prompt tokens): the ETA then comes from it, not from the count.
   */
  update(done: number, fields: Record<string, string | number> = {}, workFraction?: number): void {
    this.done = done;
    this.workFraction = workFraction;
    const now = performance.now();
    const everyMs = this.tty ? 200 : this.interval * 1000;
    if (done < this.total && now - this.lastPrint < everyMs) return;
    this.lastPrint = now;
    this.print(fields, done >= this.total);
  }

  /** Prints the final line, unless `update` already printed it and there is nothing new to add. */
  finish(fields: Record<string, string | number> = {}): void {
    if (this.finalPrinted && Object.keys(fields).length === 0) return;
    this.print(fields, true);
  }

  elapsedSeconds(): number {
    return (performance.now() - this.start) / 1000;
  }

  private print(fields: Record<string, string | number>, final: boolean): void {
    if (final) this.finalPrinted = true;
    if (process.env.LATENTR3_QUIET === "1") return;
    const elapsed = this.elapsedSeconds();
    const eta = etaSeconds({
      elapsed,
      done: this.done,
      total: this.total,
      startAt: this.startAt,
      workFraction: this.workFraction,
    });
    const parts = Object.entries(fields).map(([k, v]) => `${k} ${typeof v === "number" ? formatNumber(v) : v}`);
    const pct = this.total > 0 ? Math.floor((100 * this.done) / this.total) : 100;
    const line = `[${this.label}] ${this.done}/${this.total} (${pct}%) ${parts.join("  ")}  ${final ? `took ${formatDuration(elapsed)}` : `ETA ${formatDuration(eta)}`}`;
    if (this.tty) this.stream.write(`\r\x1b[K${line}${final ? "\n" : ""}`);
    else this.stream.write(line + "\n");
  }
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 1) return v.toFixed(3);
  return v.toPrecision(3);
}

/** Maps `items` with a progress line: preparation work (tokenizing thousands of rows) is never silent. */
export function mapWithProgress<T, U>(label: string, items: readonly T[], fn: (item: T, index: number) => U): U[] {
  const progress = new Progress(label, items.length);
  const out = items.map((item, i) => {
    const result = fn(item, i);
    progress.update(i + 1);
    return result;
  });
  progress.finish();
  return out;
}
