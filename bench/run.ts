/**
 * `deno task bench`: runs every benchmark and writes bench/RESULTS.md (its
 * "## Benchmarks" section only, between marker comments; other sections such
 * as "## Simulator" are kept) and bench/latency.svg.
 *
 *   deno task bench                 # codec, socket ceiling, clusters of 10, 50, 100, 200
 *   deno task bench --peers         # also runs ../shared/peers/{memberlist,gossipsub}/run.sh
 *   deno task bench --sizes 10,50   # other cluster sizes
 *   deno task bench --skip codec    # skip parts: codec, socket, cluster, runtimes, http, tags
 *   deno task bench --report        # only rewrite RESULTS.md and latency.svg from results.jsonl
 *
 * Every part runs in its own process (clusters: one per N), so memory and CPU
 * figures are clean. Raw JSON lines go to bench/results.jsonl. The last part,
 * bench/runtimes.ts, measures Deno (both sockets), Node.js and Bun side by
 * side and writes its own section ("## Runtimes") and bench/runtimes.jsonl;
 * bench/http.ts, probe round trips with and without 100 /events clients,
 * writes its own section too (also `deno task bench-http`).
 *
 * This file runs the parts; the section is written by bench/benchmarks_section.ts,
 * the reference peers' figures found by bench/reference_peers.ts and the chart
 * drawn by bench/latency_svg.ts.
 */

import { args, jsonLines, type Line, loadavg, readLines, round, run } from "./common.ts";
import { benchmarksSection, type CodecRow, writeBenchmarksSection } from "./benchmarks_section.ts";
import { latencySvg } from "./latency_svg.ts";
import { gossipsubVariant, memberlistLan, peer } from "./reference_peers.ts";
import { treesSvg } from "./trees_report.ts";

const opt = args(Deno.args);
const HERE = new URL(".", import.meta.url);
const SIZES = (opt.get("sizes") ?? "10,50,100,200").split(",").map(Number);
const SKIP = new Set((opt.get("skip") ?? "").split(",").filter(Boolean));
const REPORT_ONLY = opt.has("report");
if (REPORT_ONLY) { for (const part of ["codec", "socket", "cluster"]) SKIP.add(part); }
const deno = Deno.execPath();
const log = (s: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

async function machine(): Promise<Record<string, string>> {
  let cpu = "?";
  try {
    // /proc needs --allow-all to read directly; cat needs only --allow-run.
    const out = await new Deno.Command("cat", {
      args: ["/proc/cpuinfo"],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    const m = new TextDecoder().decode(out.stdout).match(/model name\s*:\s*(.*)/);
    if (m) cpu = m[1].trim();
  } catch { /* not Linux */ }
  return {
    cpu,
    cores: String(navigator.hardwareConcurrency),
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    memory_gb: String(round(Deno.systemMemoryInfo().total / 2 ** 30, 1)),
    deno: `${Deno.version.deno} (V8 ${Deno.version.v8})`,
  };
}

const all: Line[] = [];
/** With --report: the lines of the last run, to report again without measuring. */
const saved = REPORT_ONLY ? readLines(new URL("results.jsonl", HERE)) : [];
const meta = saved.find((l) => l.scenario === "meta") ?? {};
const RUN_PEERS = REPORT_ONLY ? meta.run_peers === true : opt.has("peers");
const started = REPORT_ONLY && typeof meta.started === "string"
  ? new Date(meta.started)
  : new Date();
const load0 = REPORT_ONLY ? String(meta.load_start ?? "?") : loadavg();

// --- 1. codec ---------------------------------------------------------------------------
const codecRows: CodecRow[] = [];
const SET_SIZES: Record<string, number> = { data: 1000, probes: 1000, membership: 100, mix: 2100 };
let codecSizes: Record<string, Record<string, number>> =
  (meta.codec_sizes as Record<string, Record<string, number>>) ?? {};
if (REPORT_ONLY && Object.keys(codecSizes).length === 0) {
  codecSizes = (await import("./codec_bench.ts")).sizes();
}
for (const l of saved.filter((l) => l.scenario === "codec")) {
  codecRows.push(l as unknown as CodecRow);
  all.push(l);
}
if (!SKIP.has("codec")) {
  log("codec: deno bench bench/codec_bench.ts (about 40 s)");
  const r = await run(deno, [
    "bench",
    "--lock=bench/deno.lock",
    "--allow-all",
    "--json",
    "bench/codec_bench.ts",
  ], 300);
  try {
    const j = JSON.parse(r.stdout) as {
      benches: { name: string; group: string; results: { ok?: { avg: number } }[] }[];
    };
    for (const b of j.benches) {
      const [set, op, codec] = b.name.split(" ");
      const avg = b.results[0]?.ok?.avg;
      if (avg !== undefined) codecRows.push({ set, op, codec, avg_ns: avg, msgs: SET_SIZES[set] });
    }
  } catch (e) {
    log(`codec bench output unreadable: ${e}`);
  }
  // Importing the bench file outside `deno bench` registers nothing (Deno.bench is a no-op).
  const { sizes } = await import("./codec_bench.ts");
  codecSizes = sizes();
  for (const row of codecRows) all.push({ scenario: "codec", ...row });
}

// --- 2. socket ceiling and a node pair ------------------------------------------------------
let socketLines: Line[] = saved.filter((l) =>
  l.scenario === "socket-ceiling" || l.scenario === "node-pair"
);
all.push(...socketLines);
if (!SKIP.has("socket")) {
  log("socket: raw loopback ceiling, then two nodes (mesh, epidemic, tree)");
  const r = await run(deno, [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    "bench/socket.ts",
  ], 120);
  socketLines = jsonLines(r.stdout);
  all.push(...socketLines);
}

// --- 3. clusters --------------------------------------------------------------------------
const clusters: Line[] = saved.filter((l) => l.scenario === "cluster");
all.push(...clusters);
if (!SKIP.has("cluster")) {
  // Each N in tree mode (the default: every scenario) and in epidemic mode beside it
  // (what the trees are compared with: join, broadcast and every node sending).
  for (const n of SIZES) {
    for (const mode of ["tree", "epidemic"]) {
      log(`cluster: N=${n}, ${mode}`);
      const scenarios = mode === "tree" ? [] : [
        "--scenarios",
        n <= 100 ? "join,broadcast,all" : "join,broadcast",
      ];
      const r = await run(deno, [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-env",
        "--allow-sys",
        "--v8-flags=--expose-gc",
        "bench/cluster.ts",
        "--n",
        String(n),
        "--mode",
        mode,
        ...scenarios,
      ], 300);
      const lines = jsonLines(r.stdout);
      if (lines.length === 0) {
        log(`cluster N=${n} ${mode} failed (exit ${r.code})`);
        clusters.push({ scenario: "cluster", n, mode, failed: true, exit_code: r.code });
      } else clusters.push(...lines);
    }
  }
  all.push(...clusters);
}

// --- 4. runtimes: Deno (both sockets), Node.js and Bun side by side (own section) ----------
if (!SKIP.has("runtimes") || REPORT_ONLY) {
  log(`runtimes: bench/runtimes.ts${REPORT_ONLY ? " --report" : " (about 2 min)"}`);
  const r = await run(deno, [
    "run",
    "--allow-run",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    "bench/runtimes.ts",
    ...(REPORT_ONLY ? ["--report"] : []),
  ], 1200);
  if (!r.ok) log(`runtimes failed (exit ${r.code})`);
}

// --- 5. the HTTP endpoint: probe round trips with and without 100 /events clients (own section)
if (!SKIP.has("http") && !REPORT_ONLY) {
  log("http: bench/http.ts (about 2 min)");
  const r = await run(deno, [
    "run",
    "--allow-net",
    "--allow-run",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "bench/http.ts",
  ], 600);
  if (!r.ok) log(`http failed (exit ${r.code})`);
}

// --- 5b. tags: a write against a broadcast, a joiner, idle with and without tags (own section)
if (!SKIP.has("tags") && !REPORT_ONLY) {
  log("tags: bench/tags.ts (about 3 min)");
  const args = [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
  ];
  const r = await run(deno, [...args, "bench/tags.ts"], 900);
  if (!r.ok) log(`tags failed (exit ${r.code})`);
}

// --- 5. reference peers --------------------------------------------------------------------
const peerOptions = { meta, reportOnly: REPORT_ONLY, runPeers: RUN_PEERS, log };
const memberlist = await peer("memberlist", peerOptions);
const gossipsub = await peer("gossipsub", peerOptions);

// --- report -----------------------------------------------------------------------------------
const mach = REPORT_ONLY && meta.machine ? meta.machine as Record<string, string> : await machine();
const load1 = REPORT_ONLY ? String(meta.load_end ?? "?") : loadavg();
if (!REPORT_ONLY) {
  all.unshift({
    scenario: "meta",
    started: started.toISOString(),
    load_start: load0,
    load_end: load1,
    machine: mach,
    run_peers: RUN_PEERS,
    peer_sources: { memberlist: memberlist.source, gossipsub: gossipsub.source },
    codec_sizes: codecSizes,
  });
  Deno.writeTextFileSync(
    new URL("results.jsonl", HERE),
    all.map((l) => JSON.stringify(l)).join("\n") + "\n",
  );
}

// --- write RESULTS.md (its "## Benchmarks" section), keeping other sections -----------------------
writeBenchmarksSection(benchmarksSection({
  runPeers: RUN_PEERS,
  started,
  machine: mach,
  loadStart: load0,
  loadEnd: load1,
  codecRows,
  codecSizes,
  socketLines,
  clusters,
  memberlist,
  gossipsub,
}));
log("wrote bench/RESULTS.md");

// --- latency.svg --------------------------------------------------------------------------------
const mlLan = memberlistLan(memberlist);
const gs = gossipsubVariant(gossipsub);
Deno.writeTextFileSync(
  new URL("latency.svg", HERE),
  latencySvg({ clusters, memberlist: mlLan, gossipsub: gs, started }),
);
Deno.writeTextFileSync(
  new URL("trees.svg", HERE),
  treesSvg({
    clusters,
    pairs: [],
    memberlist: (scenario, n) => mlLan(scenario, n),
    gossipsub: (scenario, n) => gs(scenario, n),
  }),
);
// deno fmt formats SVG too: leave the file as `deno fmt --check` (deno task check) wants it.
await run(deno, ["fmt", "--quiet", "bench/latency.svg"], 60);
log("wrote bench/latency.svg");
