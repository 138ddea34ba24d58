/**
 * Tags in the simulator (issue 12's figures), one JSON line each:
 *
 * - idle: N nodes (fast INFO bootstrap), with two small tags each up to
 *   `--tagged-up-to` nodes (every node pulls every other's tags: N² states,
 *   beyond the simulator's reach at 10,000); once quiet, bytes sent per node
 *   per second (the member table and the tags reconciled by digest, nothing
 *   else to send).
 * - write: on the same cluster, one node broadcasts twice (the first forms
 *   its tree), then sets a tag; the time until every other node had the
 *   second broadcast, and the write.
 *
 * Run: deno run --allow-read --allow-env --v8-flags=--max-old-space-size=8192 bench/sim_tags.ts
 *   [--sizes 1000,5000,10000] [--tagged-up-to 1000] [--seed 7]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Simulation } from "../src/testing/mod.ts";

/** One cluster's figures. */
export interface TagSimRow {
  n: number;
  /** Tags each node started with. */
  tagsPerNode: number;
  idleBytesPerNodeS: number;
  idlePacketsPerNodeS: number;
  broadcastAllMs: number;
  writeAllMs: number | null;
  wallS: number;
}

/** Runs the idle and write scenarios on one cluster of `n`. */
export async function tagSimRun(
  n: number,
  seed: number,
  tagged: boolean,
  log: (s: string) => void = () => {},
): Promise<TagSimRow> {
  const started = performance.now();
  await using sim = new Simulation({ seed });
  for (let i = 0; i < n; i++) {
    const tags: Record<string, string> = tagged
      ? { role: i % 3 === 0 ? "db" : "web", zone: `z${i % 4}` }
      : {};
    await sim.addNodes(1, { tags });
  }
  sim.bootstrap();
  sim.run(60_000);
  const mark = sim.snapshot();
  sim.run(20_000);
  const idle = sim.trafficSince(mark);
  const seconds = idle.duration / 1000;
  log(`  N=${n}: idle ${(idle.totalBytes / n / seconds).toFixed(1)} B per node per s`);
  // The first broadcast forms the writer's tree (its duplicates prune it);
  // the second, like the write after it, travels the formed tree.
  const writer = 1;
  let broadcastAllMs = NaN;
  for (let k = 0; k < 2; k++) {
    const b = sim.broadcastFrom(writer);
    sim.settle(b, 60_000);
    broadcastAllMs = Math.max(...b.times.filter((t) => !Number.isNaN(t)));
    sim.untrack(b);
  }
  sim.run(2_000);
  let left = n - 1;
  for (let i = 0; i < n; i++) {
    if (i === writer) continue;
    const node = sim.node(i)!;
    const seen = (e: Event) => {
      const d = (e as CustomEvent).detail;
      if (d.key === "load" && d.value === "0.42") {
        left--;
        node.removeEventListener("tag", seen);
      }
    };
    node.addEventListener("tag", seen);
  }
  const t0 = sim.now;
  sim.node(writer)!.setTag("load", "0.42");
  const ok = sim.runUntil(() => left === 0, 60_000, 1);
  const writeAllMs = ok ? sim.now - t0 : null;
  log(`  N=${n}: broadcast seen by all in ${broadcastAllMs.toFixed(1)} ms, write ${writeAllMs} ms`);
  return {
    n,
    tagsPerNode: tagged ? 2 : 0,
    idleBytesPerNodeS: idle.totalBytes / n / seconds,
    idlePacketsPerNodeS: idle.totalPackets / n / seconds,
    broadcastAllMs,
    writeAllMs,
    wallS: (performance.now() - started) / 1000,
  };
}

/** Heal times of the partition scenario (bench/sim_partition.ts), this checkout's. */
export interface HealFigure {
  n: number;
  seeds: number[];
  healedMs: (number | null)[];
}

/** The tags section of the simulator's report. */
export function tagTables(rows: readonly TagSimRow[], heal: HealFigure | undefined): string {
  const f = (x: number | null, d = 1) => x === null ? "not within 60 s" : x.toFixed(d);
  const out = [
    "**Tags and digest anti-entropy** (bench/sim_tags.ts; fast INFO bootstrap, two tags per node where",
    "marked, else none; idle = 20 s of virtual time after 60 s; then one node broadcasts twice, the",
    "first forming its tree, and sets a tag: time until every other node had the second broadcast,",
    "and the write):",
    "",
    "| N | tags per node | idle bytes per node per s | idle datagrams per node per s | broadcast seen by all | write seen by all |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) =>
      `| ${r.n.toLocaleString("en-US")} | ${r.tagsPerNode} | ${f(r.idleBytesPerNodeS)} | ${
        f(r.idlePacketsPerNodeS, 2)
      } | ${f(r.broadcastAllMs)} ms | ${f(r.writeAllMs)} ms |`
    ),
  ];
  if (heal) {
    const done = heal.healedMs.filter((x): x is number => x !== null).sort((a, b) => a - b);
    out.push(
      "",
      `**A partition of 20 nodes healed** (bench/sim_partition.ts, N = ${heal.n}, 60 s cut, seeds ${
        heal.seeds.join(", ")
      }): every table holds every node alive again ${
        heal.healedMs.map((x) => x === null ? "never (10 min)" : `${(x / 1000).toFixed(1)} s`).join(
          " / ",
        )
      } after the heal (median ${
        done.length ? (done[done.length >> 1] / 1000).toFixed(1) : "-"
      } s). \`--root DIR\` runs the same scenario against another checkout.`,
    );
  }
  return out.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      sizes: { type: "string", default: "1000,5000,10000" },
      seed: { type: "string", default: "7" },
      "tagged-up-to": { type: "string", default: "1000" },
    },
  });
  const taggedUpTo = Number(values["tagged-up-to"]);
  for (const n of values.sizes!.split(",").map(Number)) {
    const row = await tagSimRun(n, Number(values.seed), n <= taggedUpTo, (s) => console.error(s));
    console.log(JSON.stringify(row));
  }
}
