/**
 * The broadcast scenario of `deno task sim` (bench/sim.ts): N real
 * GossipNodes on one in-process network with a virtual clock, built with the
 * fast INFO bootstrap (its CPU, datagrams and memory measured), left idle for
 * 2 s (background traffic), then one 16-byte message from a random node at
 * each loss rate in turn; beside it the rounds push gossip and the Serf
 * convergence model predict.
 *
 * @module
 */

import { type Broadcast, seededRandom, Simulation } from "../src/testing/mod.ts";
import type { Args } from "./sim_args.ts";

/** Theory: rounds for push gossip with fanout f to reach all of N (as the issue states it). */
function theoryRounds(n: number, fanout: number): number {
  return Math.log(n) / Math.log(fanout) + Math.log(n);
}

/** The Serf convergence model: rounds until `fraction` of N (ANCHORS.md 2.3). */
function serfRounds(n: number, fanout: number, loss: number, fraction: number): number {
  const c = fanout * (1 - loss) * 0.5; // c·N in the model
  return Math.log((n + 1) * fraction / (1 - fraction)) / c;
}

/** One broadcast at one loss rate. */
export interface BroadcastRow {
  n: number;
  mode: "epidemic" | "mesh";
  loss: number;
  origin: number;
  reachedAll: boolean;
  delivered: number;
  /** ms after the broadcast until 50/99/100% had it. */
  ms50: number | null;
  ms99: number | null;
  ms100: number | null;
  /** Hops (generations) of the epidemic until 50/99/100%. */
  hops50: number | null;
  hops99: number | null;
  hops100: number | null;
  /** Time to 100% in gossip periods. */
  periods100: number | null;
  copies: number;
  copiesPerNode: number;
  maxCopiesOneNode: number;
  packets: number;
  bytes: number;
  bytesPerNode: number;
  duplicatesPerDelivery: number;
  theoryRounds: number;
  serfRounds99: number;
  serfRounds9999: number;
  cpuMs: number;
}

/** One cluster: its bootstrap, memory, idle traffic and broadcasts. */
export interface ClusterRow {
  n: number;
  mode: "epidemic" | "mesh";
  bootstrapCpuMs: number;
  bootstrapDatagrams: number;
  heapBytes: number;
  externalBytes: number;
  bytesPerMemberEntry: number;
  /** Traffic per node per second over 2 s with no broadcast (probes and push-pull). */
  backgroundPacketsPerNodePerSecond: number;
  backgroundBytesPerNodePerSecond: number;
  /** ... of which push-pull (SYNC) datagrams. */
  backgroundSyncPacketsPerNodePerSecond: number;
  broadcasts: BroadcastRow[];
}

const gc = (globalThis as { gc?: () => void }).gc;

async function memory(): Promise<{ heap: number; external: number }> {
  // Collect, let finalizers run (dropped member tables give back their
  // address references then), collect again.
  for (let k = 0; k < 3; k++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const m = Deno.memoryUsage();
  return { heap: m.heapUsed, external: m.external };
}

function sumMetrics(sim: Simulation): { delivered: number; duplicates: number } {
  let delivered = 0, duplicates = 0;
  for (let i = 0; i < sim.size; i++) {
    const m = sim.node(i)?.metrics();
    if (m) {
      delivered += m.delivered;
      duplicates += m.duplicates;
    }
  }
  return { delivered, duplicates };
}

/** Builds a cluster of `n` in `mode` and broadcasts once at each of `args.loss`. */
export async function runCluster(
  n: number,
  mode: "epidemic" | "mesh",
  args: Args,
  log: (s: string) => void,
): Promise<ClusterRow> {
  const before = await memory();
  let counting: ((data: Uint8Array) => void) | undefined;
  await using sim = new Simulation({
    seed: args.seed,
    delay: args.delay,
    jitter: args.jitter,
    tap: (_from, _to, data) => counting?.(data),
    config: { mode },
  });
  await sim.addNodes(n);
  let t = performance.now();
  const datagrams = sim.bootstrap();
  const bootstrapCpuMs = performance.now() - t;
  const after = await memory();
  const entries = n * (n - 1);
  const row: ClusterRow = {
    n,
    mode,
    bootstrapCpuMs,
    bootstrapDatagrams: datagrams,
    heapBytes: after.heap - before.heap,
    externalBytes: after.external - before.external,
    bytesPerMemberEntry: (after.heap - before.heap + after.external - before.external) / entries,
    backgroundPacketsPerNodePerSecond: 0,
    backgroundBytesPerNodePerSecond: 0,
    backgroundSyncPacketsPerNodePerSecond: 0,
    broadcasts: [],
  };
  log(`N=${n} ${mode}: bootstrap ${(bootstrapCpuMs / 1000).toFixed(1)} s`);
  // Background load with no broadcast: probes, push-pull, nothing else.
  let syncPackets = 0;
  counting = (data) => {
    if (data[2] === 0x0d) syncPackets++;
  };
  const quiet = sim.snapshot();
  sim.run(2000);
  counting = undefined;
  const background = sim.trafficSince(quiet);
  row.backgroundPacketsPerNodePerSecond = background.totalPackets / n / 2;
  row.backgroundBytesPerNodePerSecond = background.totalBytes / n / 2;
  row.backgroundSyncPacketsPerNodePerSecond = syncPackets / n / 2;
  const pick = seededRandom(args.seed * 31 + n);
  for (const loss of args.loss) {
    t = performance.now();
    const origin = Math.floor(pick.next() * n);
    const m0 = sumMetrics(sim);
    // Loss applies until every node has the message (what is measured), then
    // stops: left on, SWIM at 30% loss starts suspecting ~20% of probed
    // members a second after it begins, and every node would track every
    // suspicion (an N² state the 10,000-node run cannot hold).
    sim.network.loss = loss;
    const b: Broadcast = sim.broadcastFrom(origin);
    // Mesh mode sends each message once, in one hop, so under loss it never
    // reaches all: half a second is plenty (and ends before SWIM's first
    // suspicions, which mesh mode sends to every member every period).
    const reachedAll = sim.runUntil(() => b.complete, mode === "mesh" ? 500 : 60_000);
    sim.network.loss = 0;
    // Mesh mode sends every copy at once: nothing to wait for. (Waiting would
    // let the suspicions of probes lost meanwhile go out, each to every
    // member every period, which at 1,000 nodes takes minutes to simulate.)
    if (mode === "epidemic") sim.settle(b, 60_000);
    const m1 = sumMetrics(sim);
    const deliveries = m1.delivered - m0.delivered;
    const period = sim.config.period;
    const fanout = sim.config.fanout;
    const ms100 = b.timeToReach(1) ?? null;
    row.broadcasts.push({
      n,
      mode,
      loss,
      origin,
      reachedAll,
      delivered: b.delivered,
      ms50: b.timeToReach(0.5) ?? null,
      ms99: b.timeToReach(0.99) ?? null,
      ms100,
      hops50: b.hopsToReach(0.5) ?? null,
      hops99: b.hopsToReach(0.99) ?? null,
      hops100: b.hopsToReach(1) ?? null,
      periods100: ms100 === null ? null : ms100 / period,
      copies: b.copies,
      copiesPerNode: b.copies / n,
      maxCopiesOneNode: Math.max(...b.copiesBy),
      packets: b.packets,
      bytes: b.bytes,
      bytesPerNode: b.bytes / n,
      duplicatesPerDelivery: deliveries > 0 ? (m1.duplicates - m0.duplicates) / deliveries : 0,
      theoryRounds: theoryRounds(n, fanout),
      serfRounds99: serfRounds(n, fanout, loss, 0.99),
      serfRounds9999: serfRounds(n, fanout, loss, 0.9999),
      cpuMs: performance.now() - t,
    });
    log(`N=${n} ${mode} loss=${loss}: ${ms100?.toFixed(1) ?? "-"} ms to all`);
  }
  return row;
}
