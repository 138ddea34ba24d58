/**
 * What the benchmarks' charts (latency_svg.ts, trees_report.ts) draw alike:
 * series of points on log-scaled axes.
 *
 * @module
 */

/** One line of a chart: its legend name, colour, optional dash and (N, y) points. */
export interface Series {
  name: string;
  color: string;
  dash?: string;
  points: [number, number][];
}

/** The powers of ten a log axis spans for `ys`: down to at most 1 (0.1 the least), up to at least 10. */
export function logBounds(ys: number[]): { lo: number; hi: number } {
  return {
    lo: 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(1, ...ys)))),
    hi: 10 ** Math.ceil(Math.log10(Math.max(10, ...ys))),
  };
}

/** Where `y` goes on a log axis from `lo` (at pixel `bottom`) up to `hi` (at pixel `top`). */
export function logScale(
  lo: number,
  hi: number,
  top: number,
  bottom: number,
): (y: number) => number {
  return (y) =>
    bottom -
    (Math.log10(Math.max(y, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) *
      (bottom - top);
}

/** The path and dots of `s` (nothing without points), coordinates written by `fmt`. */
export function seriesMarks(
  s: Series,
  px: (n: number) => number,
  py: (y: number) => number,
  fmt: (x: number) => string,
): string[] {
  if (s.points.length === 0) return [];
  const d = s.points.map(([n, y], k) => `${k === 0 ? "M" : "L"}${fmt(px(n))},${fmt(py(y))}`)
    .join(" ");
  const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : "";
  return [
    `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`,
    ...s.points.map(([n, y]) =>
      `<circle cx="${fmt(px(n))}" cy="${fmt(py(y))}" r="3" fill="${s.color}"/>`
    ),
  ];
}
