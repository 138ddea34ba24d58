/**
 * `deno task sim`: the simulator's scenarios, as a table (or JSON).
 *
 * - broadcast: N real GossipNodes on one in-process network with a virtual
 *   clock, built with the fast INFO bootstrap; one 16-byte message from a
 *   random node, at each loss rate in turn (on the same cluster, lowest loss
 *   first). Time and hops until it reached 50%, 99% and 100% of the nodes,
 *   copies, datagrams and bytes that carried it, duplicates per delivery
 *   (bench/sim_broadcast.ts).
 * - join storm: node 0 starts, then N-1 nodes start at the same instant with
 *   node 0 as their only seed (INIT, cookie PING/ACK, INFO, CONN); time until
 *   50/99/100% have joined and until they know every member, and the
 *   traffic meanwhile, up to a virtual time cap (bench/sim_storm.ts).
 *
 * - broadcast trees (bench/sim_trees.ts): copies per delivery of one sender
 *   in tree mode (and epidemic beside it) once the tree formed, and tree
 *   mode's delivery under loss and crashes.
 *
 * Flags: `--json` (JSON instead of tables), `--sizes 10,100,1000,10000`,
 * `--storm-sizes 10,100,1000`, `--tree-sizes 1000,10000`, `--fault-size
 * 1000` (0 skips), `--tag-sizes 1000,5000,10000` (tags and idle cost,
 * bench/sim_tags.ts), `--partition-size 1000` (0 skips; bench/sim_partition.ts), `--loss 0,0.1,0.3`, `--seed 1`,
 * `--storm-time 60` (virtual seconds), `--delay 5`, `--jitter 5` (ms),
 * `--write FILE` (also replace the generated block of FILE's Simulator
 * section, e.g. bench/RESULTS.md). Flags are parsed in bench/sim_args.ts, the
 * broadcast, cluster and storm tables drawn in bench/sim_tables.ts.
 *
 * @module
 */

import { profile } from "../src/core/config.ts";
import { parseArgs } from "./sim_args.ts";
import { type ClusterRow, runCluster } from "./sim_broadcast.ts";
import { runStorm, type StormRow } from "./sim_storm.ts";
import { broadcastTable, clusterTable, fix, stormTable } from "./sim_tables.ts";
import { type CopiesRow, copiesRun, faultRuns, treeTables } from "./sim_trees.ts";
import { type HealFigure, type TagSimRow, tagSimRun, tagTables } from "./sim_tags.ts";
import { partitionRun } from "./sim_partition.ts";

// --- main -------------------------------------------------------------------

if (import.meta.main) {
  const args = parseArgs(Deno.args);
  const log = (s: string) => {
    if (!args.json) console.error(s);
  };
  const started = performance.now();
  const clusters: ClusterRow[] = [];
  for (const n of args.sizes) clusters.push(await runCluster(n, "epidemic", args, log));
  for (const n of args.meshSizes) clusters.push(await runCluster(n, "mesh", args, log));
  const storms: StormRow[] = [];
  for (const n of args.stormSizes) {
    for (const loss of args.loss) storms.push(await runStorm(n, loss, args, log));
  }
  const treeArgs = { ...args, copySizes: args.treeSizes, measured: 10 };
  const copies: CopiesRow[] = [];
  for (const n of args.treeSizes) {
    copies.push(await copiesRun(n, "tree", treeArgs, log));
    // Epidemic beside it where that is affordable (at 10,000 the broadcast table has it).
    if (n <= 1000) copies.push(await copiesRun(n, "epidemic", treeArgs, log));
  }
  const faults = args.faultSize >= 10 ? await faultRuns(treeArgs, log) : [];
  const tagRows: TagSimRow[] = [];
  for (const n of args.tagSizes) tagRows.push(await tagSimRun(n, args.seed, n <= 1000, log));
  let heal: HealFigure | undefined;
  if (args.partitionSize >= 40) {
    const seeds = [1, 2, 3];
    const healedMs = [];
    for (const seed of seeds) {
      healedMs.push((await partitionRun(args.partitionSize, seed)).healedMs);
    }
    heal = { n: args.partitionSize, seeds, healedMs };
    log(`partition of 20 in ${args.partitionSize}: healed in ${healedMs.join(" / ")} ms`);
  }
  const totalSeconds = (performance.now() - started) / 1000;
  const p = profile("lan");
  const setup = {
    seed: args.seed,
    delay: args.delay,
    jitter: args.jitter,
    profile: "lan",
    period: p.period,
    fanout: p.fanout,
    retransmitMult: p.retransmitMult,
    stormTimeSeconds: args.stormTime,
    deno: Deno.version.deno,
    cores: navigator.hardwareConcurrency,
    totalSeconds,
  };
  if (args.json) {
    console.log(
      JSON.stringify({ setup, clusters, storms, copies, faults, tagRows, heal }, null, 2),
    );
  }
  const text = [
    `Run: \`deno task sim --sizes ${args.sizes.join(",")} --storm-sizes ${
      args.stormSizes.join(",")
    } --tree-sizes ${args.treeSizes.join(",")} --fault-size ${args.faultSize} --tag-sizes ${
      args.tagSizes.join(",")
    } --partition-size ${args.partitionSize} --loss ${
      args.loss.join(",")
    } --seed ${args.seed}\` (delay ${args.delay} ms + jitter 0-${args.jitter} ms one way; lan profile: period ${p.period} ms, fanout ${p.fanout}, retransmitMult ${p.retransmitMult}); ${
      fix(totalSeconds, 0)
    } s wall clock on ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}.`,
    "",
    "**Broadcast** (time after the broadcast, and in brackets the hops = epidemic rounds, until 50/99/100% of the nodes had it):",
    "",
    broadcastTable(clusters),
    "",
    "**Cluster memory and cost** (fast INFO bootstrap; JS heap and typed-array memory after a GC, over all N nodes):",
    "",
    clusterTable(clusters),
    "",
    `**Join storm** (N-1 nodes join through node 0 at the same instant; run until all have joined and know all, at most ${args.stormTime} s of virtual time; traffic over that run):`,
    "",
    stormTable(storms),
    "",
    treeTables(copies, faults),
    "",
    tagRows.length > 0 || heal ? tagTables(tagRows, heal) : "",
  ].join("\n");
  if (!args.json) console.log(text);
  if (args.write) {
    const file = await Deno.readTextFile(args.write).catch(() => "");
    const start = "<!-- simulator:start (deno task sim --write rewrites this block) -->";
    const end = "<!-- simulator:end -->";
    const block = `${start}\n${text}\n${end}`;
    const a = file.indexOf(start), b = file.indexOf(end);
    const next = a >= 0 && b > a
      ? file.slice(0, a) + block + file.slice(b + end.length)
      : `${file.trimEnd()}\n\n## Simulator\n\n${block}\n`;
    await Deno.writeTextFile(args.write, next);
  }
}
