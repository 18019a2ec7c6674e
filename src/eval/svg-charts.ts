/**
 * Small inline-SVG charts for the HTML reports: grouped bars (metric breakdowns, run comparisons) and
 * line plots (training curves). Plain strings, no libraries and no scripts, so a report is one
 * self-contained file that opens anywhere. Every piece of text passes through `escapeHtml`, because
 * titles and run names are data (the CDs catalogue contains `<span class=…` junk titles).
 */

/** Escapes text for HTML and SVG element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "#39" }[c]!};`);
}

/** Colour-blind-friendly palette (Okabe–Ito), cycled for series. */
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

/** Compact tick label: 3 significant digits, no trailing zeros. */
export function formatTick(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(1);
  return String(Number(value.toPrecision(3)));
}

/**
 * About `count` evenly spaced "nice" ticks (steps of 1, 2 or 5 × 10^n), from the last tick at or
 * below `lo` to the first at or above `hi`, so an axis drawn over them covers the whole range.
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9))!;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  // Integer multiples of the step, rounded, so 0.1 + 0.2 noise never reaches a label.
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toPrecision(12)));
}

export interface BarSeries {
  name: string;
  /** One value per category; NaN draws no bar (e.g. an empty group). */
  values: readonly number[];
}

export interface GroupedBarChart {
  title: string;
  /** Category labels under the x axis; "\n" starts a second line (e.g. a record count). */
  categories: readonly string[];
  series: readonly BarSeries[];
  /** Label printed above each bar. */
  format?: (value: number) => string;
}

/** Bars grouped by category, one colour per series, with a legend and value labels. */
export function groupedBarChart(chart: GroupedBarChart): string {
  const format = chart.format ?? ((v: number) => v.toFixed(4));
  const n = chart.series.length;
  const barWidth = 22;
  const labelLines = chart.categories.map((c) => c.split("\n").map((line) => truncate(line, 28)));
  // Wide enough for the bars and for the longest label line (about 6.5 px per character at 11 px).
  const longest = Math.max(0, ...labelLines.flat().map((line) => line.length));
  const groupWidth = Math.max(n * barWidth + 24, 90, longest * 6.5 + 12);
  const left = 52;
  const top = 44 + 16 * Math.ceil(n / 4);
  const plotHeight = 180;
  const width = Math.max(left + groupWidth * chart.categories.length + 16, 320);
  const height = top + plotHeight + 30 + 14 * Math.max(1, ...labelLines.map((l) => l.length));
  const finite = chart.series.flatMap((s) => s.values.filter(Number.isFinite));
  const max = Math.max(...finite, 0);
  // Headroom above the tallest bar for its value label.
  const ticks = niceTicks(0, max > 0 ? max * 1.1 : 1);
  const yMax = ticks[ticks.length - 1]!;
  const y = (v: number): number => top + plotHeight - (v / yMax) * plotHeight;

  const parts: string[] = [svgOpen(width, height, chart.title), title(chart.title, width)];
  chart.series.forEach((s, i) => {
    const lx = left + (i % 4) * 150;
    const ly = 38 + 16 * Math.floor(i / 4);
    parts.push(
      `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${seriesColor(i)}"/>`,
      `<text x="${lx + 14}" y="${ly}" font-size="11">${escapeHtml(truncate(s.name, 22))}</text>`,
    );
  });
  for (const t of ticks) {
    parts.push(
      `<line x1="${left}" x2="${width - 8}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" font-size="10" text-anchor="end">${formatTick(t)}</text>`,
    );
  }
  chart.categories.forEach((category, c) => {
    const x0 = left + c * groupWidth + (groupWidth - n * barWidth) / 2;
    chart.series.forEach((s, i) => {
      const v = s.values[c];
      if (v === undefined || !Number.isFinite(v)) return;
      const x = x0 + i * barWidth;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${barWidth - 3}" height="${(top + plotHeight - y(v)).toFixed(1)}" fill="${seriesColor(i)}">` +
          `<title>${escapeHtml(`${s.name} · ${category}: ${format(v)}`)}</title></rect>`,
        `<text x="${(x + (barWidth - 3) / 2).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" font-size="8" text-anchor="middle">${escapeHtml(format(v))}</text>`,
      );
    });
    const cx = (left + c * groupWidth + groupWidth / 2).toFixed(1);
    const lines = labelLines[c]!.map(
      (line, l) => `<tspan x="${cx}" dy="${l === 0 ? 0 : 14}">${escapeHtml(line)}</tspan>`,
    );
    parts.push(
      `<text x="${cx}" y="${top + plotHeight + 16}" font-size="11" text-anchor="middle">${lines.join("")}</text>`,
    );
  });
  parts.push(axes(left, top, width - 8, top + plotHeight), "</svg>");
  return parts.join("\n");
}

export interface LineChart {
  title: string;
  /** [x, y] points, x ascending (training step). */
  points: readonly (readonly [number, number])[];
  xLabel?: string;
  color?: string;
}

/** Most points a line plot draws; longer curves are thinned by keeping every k-th point (and the last). */
export const MAX_LINE_POINTS = 600;

/** A single-series line plot with its own y range (one chart per logged series). */
export function lineChart(chart: LineChart): string {
  const width = 420;
  const height = 220;
  const left = 56;
  const right = width - 12;
  const top = 30;
  const bottom = height - 36;
  const points = thin(chart.points, MAX_LINE_POINTS);
  const parts: string[] = [svgOpen(width, height, chart.title), title(chart.title, width)];
  if (points.length === 0) {
    parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="12">no data</text>`, "</svg>");
    return parts.join("\n");
  }
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  let [xLo, xHi] = [Math.min(...xs), Math.max(...xs)];
  let [yLo, yHi] = [Math.min(...ys), Math.max(...ys)];
  if (xHi === xLo) [xLo, xHi] = [xLo - 1, xHi + 1];
  if (yHi === yLo) [yLo, yHi] = [yLo - (Math.abs(yLo) || 1) * 0.1, yHi + (Math.abs(yHi) || 1) * 0.1];
  // The y axis spans whole ticks; the x axis spans exactly the logged steps.
  const yTicks = niceTicks(yLo, yHi, 4);
  [yLo, yHi] = [yTicks[0]!, yTicks[yTicks.length - 1]!];
  const px = (x: number): number => left + ((x - xLo) / (xHi - xLo)) * (right - left);
  const py = (v: number): number => bottom - ((v - yLo) / (yHi - yLo)) * (bottom - top);
  for (const t of yTicks) {
    parts.push(
      `<line x1="${left}" x2="${right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${left - 5}" y="${(py(t) + 4).toFixed(1)}" font-size="10" text-anchor="end">${formatTick(t)}</text>`,
    );
  }
  for (const t of niceTicks(xLo, xHi, 5).filter((t) => t >= xLo && t <= xHi)) {
    parts.push(
      `<text x="${px(t).toFixed(1)}" y="${bottom + 14}" font-size="10" text-anchor="middle">${formatTick(t)}</text>`,
    );
  }
  const d = points.map((p, i) => `${i === 0 ? "M" : "L"}${px(p[0]).toFixed(1)} ${py(p[1]).toFixed(1)}`).join(" ");
  parts.push(
    `<path d="${d}" fill="none" stroke="${chart.color ?? seriesColor(0)}" stroke-width="1.5"/>`,
    points.length === 1
      ? `<circle cx="${px(xs[0]!).toFixed(1)}" cy="${py(ys[0]!).toFixed(1)}" r="3" fill="${chart.color ?? seriesColor(0)}"/>`
      : "",
    `<text x="${(left + right) / 2}" y="${height - 6}" font-size="11" text-anchor="middle">${escapeHtml(chart.xLabel ?? "step")}</text>`,
    axes(left, top, right, bottom),
    "</svg>",
  );
  return parts.join("\n");
}

function thin<T>(points: readonly T[], max: number): readonly T[] {
  if (points.length <= max) return points;
  const stride = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % stride === 0);
  if ((points.length - 1) % stride !== 0) out.push(points[points.length - 1]!);
  return out;
}

function svgOpen(width: number, height: number, label: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(label)}" font-family="sans-serif">`;
}

function title(text: string, width: number): string {
  return `<text x="${width / 2}" y="18" font-size="13" font-weight="bold" text-anchor="middle">${escapeHtml(text)}</text>`;
}

function axes(left: number, top: number, right: number, bottom: number): string {
  return `<path d="M${left} ${top} L${left} ${bottom} L${right} ${bottom}" fill="none" stroke="#333"/>`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
