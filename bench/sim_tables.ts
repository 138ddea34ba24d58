/**
 * The Markdown tables of `deno task sim` (bench/sim.ts): broadcast, cluster
 * memory and cost, and join storm, with the number formats they share.
 *
 * @module
 */

import type { ClusterRow } from "./sim_broadcast.ts";
import type { StormRow } from "./sim_storm.ts";

const pct = (x: number) => `${Math.round(x * 100)}%`;
const ms = (x: number | null) =>
  x === null ? "-" : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(1)} ms`;
const sec = (x: number | null) => (x === null ? "-" : `${(x / 1000).toFixed(2)} s`);
const int = (x: number) => Math.round(x).toLocaleString("en-US");
/** `x` with `d` decimals. */
export const fix = (x: number, d = 1) => x.toFixed(d);
const kb = (x: number) => x >= 1e6 ? `${(x / 1e6).toFixed(1)} MB` : `${(x / 1e3).toFixed(1)} kB`;

function table(header: string[], rows: string[][]): string {
  const align = header.map((_, i) => (i < 3 ? "---" : "---:"));
  return [header, align, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

/** The broadcast table: one row per cluster and loss rate. */
export function broadcastTable(clusters: ClusterRow[]): string {
  const rows: string[][] = [];
  for (const c of clusters) {
    for (const b of c.broadcasts) {
      rows.push([
        int(b.n),
        b.mode,
        pct(b.loss),
        `${ms(b.ms50)} (${b.hops50 ?? "-"})`,
        `${ms(b.ms99)} (${b.hops99 ?? "-"})`,
        b.reachedAll ? `${ms(b.ms100)} (${b.hops100 ?? "-"})` : `reached ${b.delivered}/${b.n}`,
        b.periods100 === null ? "-" : fix(b.periods100, 2),
        `${fix(b.theoryRounds)} / ${fix(b.serfRounds99)} / ${fix(b.serfRounds9999)}`,
        int(b.copies),
        `${fix(b.copiesPerNode)} (max ${b.maxCopiesOneNode})`,
        int(b.packets),
        kb(b.bytes),
        int(b.bytesPerNode),
        fix(b.duplicatesPerDelivery, 2),
      ]);
    }
  }
  return table([
    "N",
    "mode",
    "loss",
    "50% (hops)",
    "99% (hops)",
    "100% (hops)",
    "100% in periods",
    "theory / Serf 99% / Serf 99.99% (rounds)",
    "copies",
    "copies per node",
    "datagrams with it",
    "bytes",
    "bytes per node",
    "duplicates per delivery",
  ], rows);
}

/** The cluster memory and cost table: one row per cluster. */
export function clusterTable(clusters: ClusterRow[]): string {
  return table(
    [
      "N",
      "mode",
      "member entries",
      "bootstrap CPU",
      "bootstrap datagrams",
      "JS heap",
      "typed arrays",
      "bytes per entry",
      "idle datagrams per node per s (of which push-pull)",
      "idle bytes per node per s",
      "CPU for the broadcasts",
    ],
    clusters.map((c) => [
      int(c.n),
      c.mode,
      int(c.n * (c.n - 1)),
      `${fix(c.bootstrapCpuMs / 1000)} s`,
      int(c.bootstrapDatagrams),
      kb(c.heapBytes),
      kb(c.externalBytes),
      fix(c.bytesPerMemberEntry),
      `${fix(c.backgroundPacketsPerNodePerSecond, 2)} (${
        fix(c.backgroundSyncPacketsPerNodePerSecond, 2)
      })`,
      int(c.backgroundBytesPerNodePerSecond),
      `${fix(c.broadcasts.reduce((s, b) => s + b.cpuMs, 0) / 1000)} s`,
    ]),
  );
}

/** The join storm table: one row per N and loss rate. */
export function stormTable(storms: StormRow[]): string {
  return table(
    [
      "N",
      "loss",
      "joined 50% / 99% / 100%",
      "know all 50% / 99% / 100%",
      "know all at end",
      "99% know all, in periods",
      "datagrams",
      "per node (max)",
      "bytes",
      "bytes per node",
      "CPU",
    ],
    storms.map((s) => [
      int(s.n),
      pct(s.loss),
      `${sec(s.joined50)} / ${sec(s.joined99)} / ${sec(s.joined100)}`,
      `${sec(s.complete50)} / ${sec(s.complete99)} / ${sec(s.complete100)}`,
      `${s.completeAtEnd}/${s.n} at ${sec(s.endMs)}`,
      s.complete99 === null ? "-" : fix(s.complete99 / s.period, 0),
      int(s.packets),
      `${int(s.packetsPerNode)} (${int(s.maxPacketsOneNode)})`,
      kb(s.bytes),
      kb(s.bytesPerNode),
      `${fix(s.cpuMs / 1000)} s`,
    ]),
  );
}
