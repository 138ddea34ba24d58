/**
 * A partition of 20 nodes, healed, in the simulator: how long after the
 * heal until every node's table holds every other node alive again. Runs
 * against this checkout or, with `--root DIR`, another one (its simulator
 * may be `src/testing/mod.ts` or the older `src/simulator.ts`), so that a
 * change can be compared with its branch point on the same scenario.
 *
 * Run: deno run --allow-read --allow-env bench/sim_partition.ts [--n 1000] [--seeds 1,2,3]
 *   [--cut 60] [--root DIR]
 *
 * Prints one JSON line per seed, then one with the median.
 *
 * @module
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

/** The heal of one partition run. */
export interface PartitionRow {
  n: number;
  seed: number;
  cutS: number;
  /** Tables that missed someone when the partition healed. */
  shortAtHeal: number;
  /** Virtual ms from the heal until every table held everyone alive; null: not within 10 minutes. */
  healedMs: number | null;
}

interface Sim {
  now: number;
  bootstrap(): number;
  addNodes(count: number): Promise<number[]>;
  run(ms: number): void;
  partition(a: number[]): void;
  heal(): void;
  node(i: number): { peers(): readonly string[] } | undefined;
  close(): Promise<void>;
}

async function simulator(root: string): Promise<new (o: { seed: number }) => Sim> {
  for (const path of ["src/testing/mod.ts", "src/simulator.ts"]) {
    try {
      await Deno.stat(`${root}/${path}`);
    } catch {
      continue;
    }
    const mod = await import(pathToFileURL(`${root}/${path}`).href);
    return mod.Simulation;
  }
  throw new Error(`no simulator under ${root}`);
}

/**
 * `n` nodes (fast INFO bootstrap), 30 s quiet, nodes 0-19 cut off for
 * `cutS` s (long enough for each side to declare the other dead), healed.
 */
export async function partitionRun(
  n: number,
  seed: number,
  cutS = 60,
  root: string = new URL("..", import.meta.url).pathname,
): Promise<PartitionRow> {
  const Simulation = await simulator(resolve(root));
  const sim = new Simulation({ seed });
  try {
    await sim.addNodes(n);
    sim.bootstrap();
    sim.run(30_000);
    sim.partition(Array.from({ length: 20 }, (_, i) => i));
    sim.run(cutS * 1000);
    const whole = () => {
      for (let i = 0; i < n; i++) if (sim.node(i)!.peers().length !== n - 1) return false;
      return true;
    };
    let shortAtHeal = 0;
    for (let i = 0; i < n; i++) if (sim.node(i)!.peers().length < n - 1) shortAtHeal++;
    sim.heal();
    const healedAt = sim.now;
    let ok = whole();
    while (!ok && sim.now - healedAt < 600_000) {
      sim.run(100);
      ok = whole();
    }
    return { n, seed, cutS, shortAtHeal, healedMs: ok ? sim.now - healedAt : null };
  } finally {
    await sim.close();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      n: { type: "string", default: "1000" },
      seeds: { type: "string", default: "1,2,3" },
      cut: { type: "string", default: "60" },
      root: { type: "string", default: new URL("..", import.meta.url).pathname },
    },
  });
  const heals: number[] = [];
  const seeds = values.seeds!.split(",").map(Number);
  for (const seed of seeds) {
    const row = await partitionRun(Number(values.n), seed, Number(values.cut), values.root);
    if (row.healedMs !== null) heals.push(row.healedMs);
    console.log(JSON.stringify(row));
  }
  heals.sort((a, b) => a - b);
  console.log(JSON.stringify({
    n: Number(values.n),
    root: resolve(values.root!),
    healed: `${heals.length}/${seeds.length}`,
    medianMs: heals.length ? heals[heals.length >> 1] : null,
    maxMs: heals.length ? heals[heals.length - 1] : null,
  }));
}
