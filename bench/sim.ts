/**
 * `deno task sim`: the simulator's scenarios, as a table (or JSON).
 *
 * - broadcast: N real GossipNodes on one in-process network with a virtual
 *   clock, built with the fast INFO bootstrap; one 16-byte message from a
 *   random node, at each loss rate in turn (on the same cluster, lowest loss
 *   first). Time and hops until it reached 50%, 99% and 100% of the nodes,
 *   copies, datagrams and bytes that carried it, duplicates per delivery.
 * - join storm: node 0 starts, then N-1 nodes start at the same instant with
 *   node 0 as their only seed (INIT, cookie PING/ACK, INFO, CONN); time until
 *   50/99/100% have joined and until they know every member, and the
 *   traffic meanwhile, up to a virtual time cap.
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
 * section, e.g. bench/RESULTS.md).
 *
 * @module
 */

import { profile } from "../src/core/config.ts";
import { type Broadcast, seededRandom, Simulation } from "../src/testing/mod.ts";
import { type CopiesRow, copiesRun, faultRuns, treeTables } from "./sim_trees.ts";
import { type HealFigure, type TagSimRow, tagSimRun, tagTables } from "./sim_tags.ts";
import { partitionRun } from "./sim_partition.ts";

interface Args {
  json: boolean;
  sizes: number[];
  stormSizes: number[];
  meshSizes: number[];
  treeSizes: number[];
  faultSize: number;
  tagSizes: number[];
  partitionSize: number;
  loss: number[];
  seed: number;
  stormTime: number;
  delay: number;
  jitter: number;
  write: string | undefined;
}

const HELP = `deno task sim [--json] [--sizes 10,100,1000,10000] [--storm-sizes 10,100,1000]
  [--tree-sizes 1000,10000] [--fault-size 1000] [--tag-sizes 1000,5000,10000]
  [--partition-size 1000] [--loss 0,0.1,0.3] [--seed 1] [--storm-time 60]
  [--delay 5] [--jitter 5] [--write FILE]`;

function parseArgs(argv: string[]): Args {
  const args: Args = {
    json: false,
    sizes: [10, 100, 1000, 10000],
    stormSizes: [10, 100, 1000],
    meshSizes: [10, 100, 1000],
    treeSizes: [1000, 10000],
    faultSize: 1000,
    tagSizes: [1000, 5000, 10000],
    partitionSize: 1000,
    loss: [0, 0.1, 0.3],
    seed: 1,
    stormTime: 60,
    delay: 5,
    jitter: 5,
    write: undefined,
  };
  const list = (v: string | undefined, name: string): number[] => {
    const out = (v ?? "").split(",").filter((x) => x !== "").map(Number);
    if (out.some((x) => !Number.isFinite(x) || x < 0)) throw new TypeError(`bad ${name}: ${v}`);
    return out;
  };
  const num = (v: string | undefined, name: string): number => {
    const x = Number(v);
    if (v === undefined || !Number.isFinite(x) || x < 0) throw new TypeError(`bad ${name}: ${v}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--json":
        args.json = true;
        break;
      case "--sizes":
        args.sizes = list(value(), "--sizes").filter((n) => n >= 2);
        break;
      case "--mesh-sizes":
        args.meshSizes = list(value(), "--mesh-sizes").filter((n) => n >= 2);
        break;
      case "--tree-sizes":
        args.treeSizes = list(value(), "--tree-sizes").filter((n) => n >= 2);
        break;
      case "--fault-size":
        args.faultSize = num(value(), "--fault-size");
        break;
      case "--tag-sizes":
        args.tagSizes = list(value(), "--tag-sizes").filter((n) => n >= 2);
        break;
      case "--partition-size":
        args.partitionSize = num(value(), "--partition-size");
        break;
      case "--storm-sizes":
        args.stormSizes = list(value(), "--storm-sizes").filter((n) => n >= 2);
        break;
      case "--loss":
        args.loss = list(value(), "--loss");
        if (args.loss.some((x) => x >= 1)) throw new TypeError("--loss rates must be below 1");
        break;
      case "--seed":
        args.seed = num(value(), "--seed");
        break;
      case "--storm-time":
        args.stormTime = num(value(), "--storm-time");
        break;
      case "--delay":
        args.delay = num(value(), "--delay");
        break;
      case "--jitter":
        args.jitter = num(value(), "--jitter");
        break;
      case "--write":
        args.write = value();
        break;
      case "--help":
      case "-h":
        console.log(HELP);
        Deno.exit(0);
        break;
      default:
        throw new TypeError(`unknown flag ${argv[i]}\n${HELP}`);
    }
  }
  return args;
}

/** Theory: rounds for push gossip with fanout f to reach all of N (as the issue states it). */
function theoryRounds(n: number, fanout: number): number {
  return Math.log(n) / Math.log(fanout) + Math.log(n);
}

/** The Serf convergence model: rounds until `fraction` of N (ANCHORS.md 2.3). */
function serfRounds(n: number, fanout: number, loss: number, fraction: number): number {
  const c = fanout * (1 - loss) * 0.5; // c·N in the model
  return Math.log((n + 1) * fraction / (1 - fraction)) / c;
}

interface BroadcastRow {
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

interface ClusterRow {
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

interface StormRow {
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

function percentile(sorted: number[], fraction: number, population: number): number | null {
  const k = Math.max(1, Math.ceil(fraction * population - 1e-9));
  return k <= sorted.length ? sorted[k - 1] : null;
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

async function runCluster(
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

async function runStorm(
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

// --- formatting ---------------------------------------------------------------

const pct = (x: number) => `${Math.round(x * 100)}%`;
const ms = (x: number | null) =>
  x === null ? "-" : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(1)} ms`;
const sec = (x: number | null) => (x === null ? "-" : `${(x / 1000).toFixed(2)} s`);
const int = (x: number) => Math.round(x).toLocaleString("en-US");
const fix = (x: number, d = 1) => x.toFixed(d);
const kb = (x: number) => x >= 1e6 ? `${(x / 1e6).toFixed(1)} MB` : `${(x / 1e3).toFixed(1)} kB`;

function table(header: string[], rows: string[][]): string {
  const align = header.map((_, i) => (i < 3 ? "---" : "---:"));
  return [header, align, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

function broadcastTable(clusters: ClusterRow[]): string {
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

function clusterTable(clusters: ClusterRow[]): string {
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

function stormTable(storms: StormRow[]): string {
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
