/**
 * The simulator's broadcast-tree figures (part of `deno task sim`):
 *
 * - copies per delivery, one sender: N nodes in tree mode (and the same in
 *   epidemic mode beside them), 10 warm-up messages from node 0, then
 *   `measured` messages; every copy of a measured message put on the wire
 *   (pushes, relays, repairs), over its deliveries.
 * - delivery under faults, tree mode: a stream of messages from three
 *   senders at 10% and at 30% loss, and with 10% of the nodes crashed in the
 *   middle of the stream; the share of (message, live node) pairs delivered.
 *
 * @module
 */

import { type Broadcast, Simulation } from "../src/testing/mod.ts";

/** What the tree part runs. */
export interface TreeArgs {
  seed: number;
  delay: number;
  jitter: number;
  /** N for the copies-per-delivery runs. */
  copySizes: number[];
  /** N for the fault runs. */
  faultSize: number;
  measured: number;
}

/** Copies per delivery of one mode at one N. */
export interface CopiesRow {
  n: number;
  mode: "tree" | "epidemic";
  warmupCopiesPerDelivery: number;
  copiesPerDelivery: number;
  /** Last delivery of the measured messages, ms after each broadcast: p50 and max. */
  lastMsP50: number;
  lastMsMax: number;
  complete: number;
  messages: number;
  cpuSeconds: number;
}

/** Delivery under one fault. */
export interface FaultRow {
  n: number;
  fault: string;
  messages: number;
  /** (message, live node) pairs that delivered, over all such pairs. */
  deliveredShare: number;
  copiesPerDelivery: number;
  lastMsMax: number;
  cpuSeconds: number;
}

/** Copies sent per delivery over `bs` (the origin's own copy of a message is not a delivery). */
function perDelivery(bs: Broadcast[]): number {
  const copies = bs.reduce((s, b) => s + b.copies, 0);
  const deliveries = bs.reduce((s, b) => s + b.delivered - 1, 0);
  return copies / Math.max(1, deliveries);
}

async function stream(
  sim: Simulation,
  count: number,
  from: (k: number) => number,
  gap: number,
  during?: (k: number) => void,
): Promise<Broadcast[]> {
  const bs: Broadcast[] = [];
  for (let k = 0; k < count; k++) {
    bs.push(sim.broadcastFrom(from(k)));
    during?.(k);
    sim.run(gap);
  }
  sim.runUntil(() => bs.every((b) => b.complete), 60_000, 50);
  for (const b of bs) sim.settle(b, 30_000, 1000);
  await Promise.resolve();
  return bs;
}

/** One sender's copies per delivery at `n`, in `mode`. */
export async function copiesRun(
  n: number,
  mode: "tree" | "epidemic",
  args: TreeArgs,
  log: (s: string) => void,
): Promise<CopiesRow> {
  const t = performance.now();
  await using sim = new Simulation({
    seed: args.seed,
    delay: args.delay,
    jitter: args.jitter,
    config: { mode },
  });
  await sim.addNodes(n);
  sim.bootstrap();
  sim.run(1000);
  const warm = await stream(sim, 10, () => 0, 50);
  const bs = await stream(sim, args.measured, () => 0, 50);
  const last = bs.map((b) => b.timeToReach(1) ?? Infinity).sort((a, b) => a - b);
  const row: CopiesRow = {
    n,
    mode,
    warmupCopiesPerDelivery: perDelivery(warm),
    copiesPerDelivery: perDelivery(bs),
    lastMsP50: last[Math.floor(last.length / 2)],
    lastMsMax: last[last.length - 1],
    complete: bs.filter((b) => b.complete).length,
    messages: bs.length,
    cpuSeconds: (performance.now() - t) / 1000,
  };
  log(`trees: N=${n} ${mode}: ${row.copiesPerDelivery.toFixed(3)} copies per delivery`);
  return row;
}

/** Tree mode's delivery at 10% and 30% loss, and with a tenth of the nodes crashed mid-stream. */
export async function faultRuns(args: TreeArgs, log: (s: string) => void): Promise<FaultRow[]> {
  const n = args.faultSize;
  const rows: FaultRow[] = [];
  const run = async (fault: string, loss: number, crash: boolean) => {
    const t = performance.now();
    await using sim = new Simulation({
      seed: args.seed + 17,
      delay: args.delay,
      jitter: args.jitter,
      config: { mode: "tree" },
    });
    await sim.addNodes(n);
    sim.bootstrap();
    sim.run(1000);
    await stream(sim, 10, (k) => k % 3, 50);
    sim.network.loss = loss;
    const victims = crash ? Array.from({ length: n / 10 }, (_, i) => 3 + i * 10) : [];
    const bs = await stream(sim, 30, (k) => k % 3, 50, (k) => {
      if (k === 10) { for (const v of victims) sim.crash(v); }
    });
    sim.network.loss = 0;
    let pairs = 0, delivered = 0;
    for (const b of bs) {
      for (const i of sim.upNodes()) {
        pairs++;
        if (!Number.isNaN(b.times[i])) delivered++;
      }
    }
    const row: FaultRow = {
      n,
      fault,
      messages: bs.length,
      deliveredShare: delivered / pairs,
      copiesPerDelivery: perDelivery(bs),
      lastMsMax: Math.max(...bs.map((b) => b.timeToReach(1) ?? Infinity)),
      cpuSeconds: (performance.now() - t) / 1000,
    };
    log(`trees: N=${n} ${fault}: ${(row.deliveredShare * 100).toFixed(2)}% delivered`);
    rows.push(row);
  };
  await run("10% loss", 0.1, false);
  await run("30% loss", 0.3, false);
  await run("10% of nodes crashed mid-stream", 0, true);
  return rows;
}

/** The tree part's tables, in Markdown. */
export function treeTables(copies: CopiesRow[], faults: FaultRow[]): string {
  const f = (x: number, d = 3) => Number.isFinite(x) ? x.toFixed(d) : "-";
  const lines = [
    "**Broadcast trees: copies per delivery, one sender** (10 warm-up messages from node 0, then the " +
    "measured ones, one every 50 ms; every copy on the wire counted, pushes, relays and repairs alike):",
    "",
    "| N | mode | copies per delivery while forming | copies per delivery | last delivery p50 / max (ms) | complete |",
    "|---:|---|---:|---:|---:|---:|",
    ...copies.map((r) =>
      `| ${r.n} | ${r.mode} | ${f(r.warmupCopiesPerDelivery)} | **${f(r.copiesPerDelivery)}** | ${
        f(r.lastMsP50, 1)
      } / ${f(r.lastMsMax, 1)} | ${r.complete}/${r.messages} |`
    ),
    "",
    "**Broadcast trees under faults** (tree mode; 10 warm-up messages, then 30 from three senders, " +
    "one every 50 ms; loss on while they spread; crashes after the 10th):",
    "",
    "| N | fault | delivered to live nodes | copies per delivery | last delivery max (ms) |",
    "|---:|---|---:|---:|---:|",
    ...faults.map((r) =>
      `| ${r.n} | ${r.fault} | **${f(r.deliveredShare * 100, 2)}%** | ${f(r.copiesPerDelivery)} | ${
        f(r.lastMsMax, 0)
      } |`
    ),
  ];
  return lines.join("\n");
}
