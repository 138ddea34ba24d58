/**
 * The join storm of `deno task sim` (bench/sim.ts): node 0 starts, then N-1
 * nodes start at the same instant with node 0 as their only seed (INIT,
 * cookie PING/ACK, INFO, CONN); the time until 50/99/100% have joined and
 * until they know every member, and the traffic meanwhile, up to a virtual
 * time cap.
 *
 * @module
 */

import { Simulation } from "../src/testing/mod.ts";
import type { Args } from "./sim_args.ts";

/** One join storm at one loss rate. */
export interface StormRow {
  n: number;
  /** Gossip period, ms. */
  period: number;
  loss: number;
  capMs: number;
  /** Virtual ms after the storm began until 50/99/100% had joined (INFO received). */
  joined50: number | null;
  joined99: number | null;
  joined100: number | null;
  /** ... until 50/99/100% knew every member as live. */
  complete50: number | null;
  complete99: number | null;
  complete100: number | null;
  completeAtEnd: number;
  endMs: number;
  packets: number;
  bytes: number;
  packetsPerNode: number;
  bytesPerNode: number;
  maxPacketsOneNode: number;
  cpuMs: number;
}

function percentile(sorted: number[], fraction: number, population: number): number | null {
  const k = Math.max(1, Math.ceil(fraction * population - 1e-9));
  return k <= sorted.length ? sorted[k - 1] : null;
}

/** Runs one join storm of `n` nodes at `loss`. */
export async function runStorm(
  n: number,
  loss: number,
  args: Args,
  log: (s: string) => void,
): Promise<StormRow> {
  const t = performance.now();
  await using sim = new Simulation({
    seed: args.seed,
    delay: args.delay,
    jitter: args.jitter,
    loss,
    trackMembers: true,
  });
  await sim.addNodes(1);
  const mark = sim.snapshot();
  const start = sim.now;
  await sim.addNodes(n - 1, { seeds: [0] });
  const capMs = args.stormTime * 1000;
  sim.runUntil(() => sim.completeCount === n && sim.joinedCount === n, capMs);
  const traffic = sim.trafficSince(mark);
  const joined: number[] = [], complete: number[] = [];
  for (let i = 1; i < n; i++) {
    const j = sim.joinedAt(i), c = sim.completeAt(i);
    if (j !== undefined) joined.push(j - start);
    if (c !== undefined) complete.push(c - start);
  }
  const c0 = sim.completeAt(0);
  if (c0 !== undefined) complete.push(c0 - start);
  joined.sort((a, b) => a - b);
  complete.sort((a, b) => a - b);
  const joiners = n - 1;
  const row: StormRow = {
    n,
    period: sim.config.period,
    loss,
    capMs,
    joined50: percentile(joined, 0.5, joiners),
    joined99: percentile(joined, 0.99, joiners),
    joined100: percentile(joined, 1, joiners),
    complete50: percentile(complete, 0.5, n),
    complete99: percentile(complete, 0.99, n),
    complete100: percentile(complete, 1, n),
    completeAtEnd: sim.completeCount,
    endMs: sim.now - start,
    packets: traffic.totalPackets,
    bytes: traffic.totalBytes,
    packetsPerNode: traffic.totalPackets / n,
    bytesPerNode: traffic.totalBytes / n,
    maxPacketsOneNode: Math.max(...traffic.packets),
    cpuMs: 0,
  };
  row.cpuMs = performance.now() - t;
  log(
    `storm N=${n} loss=${loss}: ${row.completeAtEnd}/${n} complete at ${row.endMs.toFixed(0)} ms`,
  );
  return row;
}
