/**
 * bench/latency.svg, as `deno task bench` (bench/run.ts) draws it: broadcast
 * latency to all peers against N on log scales, our p50 and p99 (tree mode)
 * beside memberlist's one message and gossipsub's p50 and p99.
 *
 * @module
 */

import { type Line, round } from "./common.ts";
import type { PeerLookup } from "./reference_peers.ts";
import { logBounds, logScale, type Series, seriesMarks } from "./_svg.ts";

/** What the chart draws. */
export interface LatencyInputs {
  /** bench/cluster.ts's lines, both modes: tree mode's runs that did not fail are drawn. */
  clusters: Line[];
  /** memberlist's LAN-profile lines. */
  memberlist: PeerLookup;
  /** gossipsub's nosign-fastid lines. */
  gossipsub: PeerLookup;
  /** When the run started (its date is printed under the legend). */
  started: Date;
}

/** The SVG document. */
export function latencySvg(inputs: LatencyInputs): string {
  const { clusters, memberlist: mlLan, gossipsub: gs, started } = inputs;
  const ours = clusters.filter((l) => (l.mode ?? "tree") === "tree").filter((l) => !l.failed);
  const raw: Series[] = [
    {
      name: "peer p50",
      color: "#1f77b4",
      points: ours.map((l) => [l.n as number, l.all_received_p50_ms as number]),
    },
    {
      name: "peer p99",
      color: "#1f77b4",
      dash: "6 4",
      points: ours.map((l) => [l.n as number, l.all_received_p99_ms as number]),
    },
    {
      name: "memberlist (1 message)",
      color: "#d62728",
      points: [10, 50, 100, 200].map((n) => [n, mlLan("broadcast", n)?.all_received_ms as number]),
    },
    {
      name: "gossipsub p50",
      color: "#2ca02c",
      points: [10, 50, 100, 200].map((n) => [
        n,
        (gs("broadcast-latency", n)?.all_received_ms as Record<string, number> | undefined)
          ?.p50 as number,
      ]),
    },
    {
      name: "gossipsub p99",
      color: "#2ca02c",
      dash: "6 4",
      points: [10, 50, 100, 200].map((n) => [
        n,
        (gs("broadcast-latency", n)?.all_received_ms as Record<string, number> | undefined)
          ?.p99 as number,
      ]),
    },
  ];
  const series: Series[] = raw.map((s) => ({
    ...s,
    points: s.points.filter(([, y]) => typeof y === "number" && Number.isFinite(y) && y >= 0),
  }));
  const W = 740, H = 420, L = 70, R = 240, T = 40, B = 60;
  const xs = [10, 50, 100, 200];
  // Log scale on both axes: the figures span 1 ms to most of a second.
  const ys = series.flatMap((s) => s.points.map(([, y]) => y));
  const { lo, hi } = logBounds(ys);
  const lx = (n: number) => Math.log(n), x0 = lx(10), x1 = lx(200);
  const px = (n: number) => L + ((lx(n) - x0) / (x1 - x0)) * (W - L - R);
  const py = logScale(lo, hi, T, H - B);
  const e: string[] = [];
  e.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="22" font-size="15" font-weight="bold">Broadcast latency to all peers vs N (loopback, one process)</text>`,
  );
  for (let y = lo; y <= hi * 1.0001; y *= 10) {
    e.push(
      `<line x1="${L}" y1="${round(py(y), 1)}" x2="${W - R}" y2="${
        round(py(y), 1)
      }" stroke="#ddd"/>`,
      `<text x="${L - 8}" y="${round(py(y) + 4, 1)}" text-anchor="end">${round(y, 1)}</text>`,
    );
  }
  for (const n of xs) {
    e.push(
      `<line x1="${round(px(n), 1)}" y1="${T}" x2="${round(px(n), 1)}" y2="${
        H - B
      }" stroke="#eee"/>`,
      `<text x="${round(px(n), 1)}" y="${H - B + 18}" text-anchor="middle">${n}</text>`,
    );
  }
  e.push(
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 18}" text-anchor="middle">N (peers, log scale)</text>`,
    `<text x="18" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 18 ${
      (T + H - B) / 2
    })">ms until all N-1 have it (log scale)</text>`,
  );
  series.forEach((s, i) => {
    e.push(...seriesMarks(s, px, py, (x) => String(round(x, 1))));
    const ly = T + 10 + i * 22;
    e.push(
      `<line x1="${W - R + 15}" y1="${ly}" x2="${
        W - R + 45
      }" y2="${ly}" stroke="${s.color}" stroke-width="2"${
        s.dash ? ` stroke-dasharray="${s.dash}"` : ""
      }/>`,
      `<text x="${W - R + 52}" y="${ly + 4}">${s.name}${
        s.points.length === 0 ? " (no data)" : ""
      }</text>`,
    );
  });
  e.push(
    `<text x="${W - R + 15}" y="${
      T + 10 + series.length * 22 + 10
    }" font-size="10" fill="#555">memberlist: N = 10, 50, 200</text>`,
    `<text x="${W - R + 15}" y="${
      T + 10 + series.length * 22 + 24
    }" font-size="10" fill="#555">gossipsub: N = 10, 50, 100</text>`,
    `<text x="${W - R + 15}" y="${T + 10 + series.length * 22 + 38}" font-size="10" fill="#555">${
      started.toISOString().slice(0, 10)
    }, see RESULTS.md</text>`,
    "</svg>",
  );
  return e.join("\n") + "\n";
}
