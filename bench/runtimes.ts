/**
 * The runtimes, side by side in one run: bench/runtime_bench.ts (bundled,
 * against build/peer.mjs from `deno task bundle`) under Deno with
 * `Deno.listenDatagram`, Deno with `node:dgram` (no --unstable-net), Node.js
 * and Bun, in alternating rounds so a busy spell on the shared machine hits
 * them alike. Each runtime's figures are set against its own raw socket
 * ceiling, measured in the same process. Writes bench/runtimes.jsonl and the
 * "## Runtimes" section of bench/RESULTS.md (between marker comments).
 *
 *   deno run --allow-run --allow-read --allow-write --allow-env --allow-sys bench/runtimes.ts
 *     [--rounds 2] [--seconds 2] [--n 50] [--stream-s 3] [--report]
 *
 * `deno task bench` runs it as its last part (`--skip runtimes` leaves it out).
 */

import { args, round } from "./common.ts";

const opt = args(Deno.args);
const ROUNDS = Number(opt.get("rounds") ?? 2);
const SECONDS = opt.get("seconds") ?? "2";
const N = opt.get("n") ?? "50";
const STREAM_S = opt.get("stream-s") ?? "3";
const REPORT_ONLY = opt.has("report");
const HERE = new URL(".", import.meta.url);
const ROOT = new URL("..", HERE);
const JSONL = new URL("runtimes.jsonl", HERE);
const deno = Deno.execPath();
const text = new TextDecoder();
const log = (s: string) =>
  console.error(`[runtimes ${new Date().toISOString().slice(11, 19)}] ${s}`);

type Line = Record<string, unknown>;

/** How to run the bundled worker on one runtime; `command` undefined when not installed. */
interface Target {
  label: string;
  command?: string;
  argv: (worker: string) => string[];
}

async function version(command: string): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(command, { args: ["--version"], stdout: "piped" }).output();
    return out.success ? text.decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

async function targets(): Promise<Target[]> {
  const pinnedBun = new URL("tools/bun/node_modules/.bin/bun", ROOT).pathname;
  const bun = (await version(pinnedBun)) ? pinnedBun : (await version("bun")) ? "bun" : undefined;
  const node = (await version("node")) ? "node" : undefined;
  const denoRun = ["run", "--no-config", "--allow-net", "--allow-read", "--allow-env"];
  return [
    {
      label: "Deno, Deno.listenDatagram",
      command: deno,
      argv: (w) => [...denoRun, "--unstable-net", w],
    },
    { label: "Deno, node:dgram", command: deno, argv: (w) => [...denoRun, w] },
    { label: "Node.js", command: node, argv: (w) => [w] },
    { label: "Bun", command: bun, argv: (w) => [w] },
  ];
}

async function run(command: string, argv: string[], limitS: number) {
  const out = await new Deno.Command(command, {
    args: argv,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(limitS * 1000),
  }).output().catch((e) => ({ success: false, code: -1, stdout: new Uint8Array(), error: e }));
  return { ok: out.success, code: out.code, stdout: text.decode(out.stdout) };
}

const jsonLines = (s: string): Line[] =>
  s.split("\n").filter((l) => l.startsWith("{")).flatMap((l) => {
    try {
      return [JSON.parse(l) as Line];
    } catch {
      return [];
    }
  });

function loadavg(): string {
  try {
    return Deno.loadavg().map((x) => round(x, 2)).join(", ");
  } catch {
    return "?";
  }
}

// --- measure ----------------------------------------------------------------------------
let lines: Line[];
if (REPORT_ONLY) {
  lines = jsonLines(await Deno.readTextFile(JSONL).catch(() => ""));
} else {
  const load0 = loadavg();
  const started = new Date().toISOString();
  log("deno task bundle, and bench/runtime_bench.ts bundled");
  const bundle = await run(deno, ["task", "bundle"], 300);
  if (!bundle.ok) throw new Error(`deno task bundle failed (exit ${bundle.code})`);
  const dir = await Deno.makeTempDir({ prefix: "peer-bench-" });
  const worker = `${dir}/runtime_bench.mjs`;
  const built = await run(deno, [
    "bundle",
    "--quiet",
    "--platform",
    "deno",
    "--output",
    worker,
    "bench/runtime_bench.ts",
  ], 300);
  if (!built.ok) throw new Error(`bundling bench/runtime_bench.ts failed (exit ${built.code})`);
  const library = new URL("build/peer.mjs", ROOT).pathname;
  const all = await targets();
  lines = [];
  for (let r = 1; r <= ROUNDS; r++) {
    for (const t of all) {
      if (!t.command) continue;
      log(`round ${r}/${ROUNDS}: ${t.label}`);
      const argv = [...t.argv(worker), library, "--seconds", SECONDS, "--n", N];
      const out = await run(t.command, [...argv, "--stream-s", STREAM_S], 300);
      const got = jsonLines(out.stdout).map((l) => ({ ...l, label: t.label, round: r }));
      if (!out.ok) log(`${t.label} exited ${out.code}`);
      lines.push(...got);
    }
  }
  await Deno.remove(dir, { recursive: true });
  const missing = all.filter((t) => !t.command).map((t) => t.label);
  lines.unshift({
    figure: "meta",
    started,
    load_start: load0,
    load_end: loadavg(),
    rounds: ROUNDS,
    seconds: Number(SECONDS),
    n: Number(N),
    stream_s: Number(STREAM_S),
    not_installed: missing,
  });
  await Deno.writeTextFile(JSONL, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
}

// --- report -----------------------------------------------------------------------------
const meta = lines.find((l) => l.figure === "meta") ?? {};
const labels = [
  "Deno, Deno.listenDatagram",
  "Deno, node:dgram",
  "Node.js",
  "Bun",
];
const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : NaN);
const max = (xs: number[]) => xs.length ? Math.max(...xs) : NaN;
const min = (xs: number[]) => xs.length ? Math.min(...xs) : NaN;
const of = (label: string, figure: string, mode?: string) =>
  lines.filter((l) => l.label === label && l.figure === figure && (!mode || l.mode === mode));
const f = (x: number, d = 0) => Number.isFinite(x) ? String(round(x, d)) : "n/a";
const rounds = (xs: Line[], key: string) => xs.map((l) => f(num(l[key]))).join(" / ");

interface Row {
  label: string;
  runtime: string;
  socket: string;
  ceiling: number;
  rawCpu: number;
  mesh: number;
  epidemic: number;
  meshCpu: number;
  clusterCpu: number;
  toAll: number;
  perRound: string;
}
const rows: Row[] = [];
for (const label of labels) {
  const raw = of(label, "raw");
  if (raw.length === 0) continue;
  const mesh = of(label, "pair", "mesh"), epi = of(label, "pair", "epidemic");
  const cluster = of(label, "cluster");
  rows.push({
    label,
    runtime: String(raw[0].runtime),
    socket: String(raw[0].socket),
    ceiling: max(raw.map((l) => num(l.datagrams_per_s))),
    rawCpu: min(raw.map((l) => num(l.cpu_us_per_datagram))),
    mesh: max(mesh.map((l) => num(l.delivered_per_s))),
    epidemic: max(epi.map((l) => num(l.delivered_per_s))),
    meshCpu: min(mesh.map((l) => num(l.cpu_us_per_delivery))),
    clusterCpu: min(cluster.map((l) => num(l.cpu_us_per_node_delivery))),
    toAll: max(cluster.map((l) => num(l.stream_msgs_per_s_to_all))),
    perRound: `ceiling ${rounds(raw, "datagrams_per_s")}; mesh ${
      rounds(mesh, "delivered_per_s")
    }; epidemic ${rounds(epi, "delivered_per_s")}; N = ${meta.n} CPU ${
      rounds(cluster, "cpu_us_per_node_delivery")
    }`,
  });
}
const base = rows.find((r) => r.label === labels[0]);
const x = (a: number, b: number) => Number.isFinite(a / b) ? `${round(a / b, 2)}x` : "n/a";

const md: string[] = [];
md.push("## Runtimes", "");
md.push(
  `Generated by bench/runtimes.ts (part of \`deno task bench\`) on ${
    String(meta.started ?? "?").slice(0, 16).replace("T", " ")
  } UTC; raw lines in bench/runtimes.jsonl. The same bundled script (bench/runtime_bench.ts against ` +
    "build/peer.mjs from `deno task bundle`) ran under each runtime in turn, " +
    `${meta.rounds} alternating rounds, best round shown. Load average at start: ${meta.load_start}; at end: ${meta.load_end} ` +
    "(2 shared cores: compare the ratios, not absolute figures across runs).",
  "",
  "- **ceiling**: two raw sockets of that runtime's API on loopback, no protocol, " +
    `${
      lines.find((l) => l.figure === "raw")?.datagram_bytes ?? "?"
    }-byte datagrams (a GOSP frame with a ` +
    `100-byte payload), at most ${
      lines.find((l) => l.figure === "raw")?.window ?? "?"
    } in flight, ${meta.seconds} s; ` +
    "node:dgram receives a fresh buffer per datagram, `Deno.listenDatagram` into one reused buffer.",
  "- **two nodes**: node A broadcasts 100-byte messages to node B with the same window; B's deliveries per " +
    "second, and that as a fraction of the same runtime's ceiling.",
  `- **N = ${meta.n}**: ${meta.n} nodes in one process (LAN profile, epidemic); node 0 streams 100-byte messages ` +
    `for ${meta.stream_s} s with at most 32 not yet everywhere; process CPU (user + system) per delivery per node, ` +
    "and that over the raw loop's CPU per datagram (how many raw datagram round trips one delivery costs).",
  "",
);
md.push(
  "| runtime | socket | ceiling datagrams/s | two nodes, mesh msgs/s | of ceiling | two nodes, epidemic msgs/s | of ceiling | mesh vs Deno listenDatagram |",
  "|---|---|---:|---:|---:|---:|---:|---:|",
);
for (const r of rows) {
  md.push(
    `| ${r.runtime} | ${r.socket} | ${f(r.ceiling)} | ${f(r.mesh)} | **${
      f(r.mesh / r.ceiling, 2)
    }** | ${f(r.epidemic)} | **${f(r.epidemic / r.ceiling, 2)}** | ${
      base ? x(r.mesh, base.mesh) : "n/a"
    } |`,
  );
}
md.push("");
md.push(
  `| runtime | socket | N = ${meta.n}: CPU us per delivery per node | raw CPU us per datagram | delivery / raw datagram | msgs/s to all ${meta.n} | CPU vs Deno listenDatagram |`,
  "|---|---|---:|---:|---:|---:|---:|",
);
for (const r of rows) {
  md.push(
    `| ${r.runtime} | ${r.socket} | ${f(r.clusterCpu, 1)} | ${f(r.rawCpu, 2)} | **${
      f(r.clusterCpu / r.rawCpu, 1)
    }** | ${f(r.toAll, 0)} | ${base ? x(r.clusterCpu, base.clusterCpu) : "n/a"} |`,
  );
}
md.push("");
const missing = (meta.not_installed as string[] | undefined) ?? [];
if (missing.length > 0) md.push(`Not installed, so not measured: ${missing.join(", ")}.`, "");
md.push("Per round: " + rows.map((r) => `${r.label}: ${r.perRound}`).join(". ") + ".", "");

const START = "<!-- runtimes:start (bench/runtimes.ts rewrites this section) -->";
const END = "<!-- runtimes:end -->";
const section = `${START}\n${md.join("\n")}\n${END}`;
const resultsUrl = new URL("RESULTS.md", HERE);
let doc = await Deno.readTextFile(resultsUrl).catch(() => "# Results\n");
const a = doc.indexOf(START), b = doc.indexOf(END);
if (a >= 0 && b > a) {
  doc = doc.slice(0, a) + section + doc.slice(b + END.length);
} else {
  const after = "<!-- benchmarks:end -->";
  const i = doc.indexOf(after);
  doc = i >= 0
    ? doc.slice(0, i + after.length) + "\n\n" + section + doc.slice(i + after.length)
    : doc.trimEnd() + "\n\n" + section + "\n";
}
await Deno.writeTextFile(resultsUrl, doc);
log("wrote the Runtimes section of bench/RESULTS.md");
