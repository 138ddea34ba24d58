/**
 * `deno task bench-http`: do 100 clients of `/events` disturb the protocol?
 *
 * Node A is a command-line peer (its own process, as an operator runs it)
 * with `--http`; a few peers in this process join it and probe it (and each
 * other) often, timing every PING they send A until its ACK comes back. The
 * run alternates phases without and with `--clients` event-stream readers
 * (in another process, so their own work is not charged to A or the
 * probers), and reports the round-trip times, A's CPU time and the false
 * suspicions in each. It rewrites the "HTTP endpoint" section of
 * bench/RESULTS.md.
 *
 *   deno task bench-http                           # 100 clients, 4 x 20 s phases
 *   deno task bench-http --clients 50 --phase 10 --rounds 3 --no-write
 */

import { decode, GossipNode, type Message } from "../mod.ts";
import { UdpTransport } from "../src/net/udp.ts";
import { args, percentile, round, sleep } from "./common.ts";

/** Options of {@link benchHttp}. */
export interface HttpBenchOptions {
  /** Event-stream clients in the "with" phases. */
  clients: number;
  /** Length of each phase (ms). */
  phaseMs: number;
  /** Pairs of phases (without, with). */
  rounds: number;
  /** Probing peers in this process. */
  peers: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** One condition's figures. */
export interface PhaseStats {
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Probes of A with no ACK before the next probe. */
  unanswered: number;
  /** CPU time of A's process per second of wall time (ms/s). */
  cpuMsPerS: number;
  /** `suspect` events about A at the probing peers. */
  suspicions: number;
}

/** What {@link benchHttp} measured. */
export interface HttpBenchResult {
  options: Omit<HttpBenchOptions, "log">;
  without: PhaseStats;
  with: PhaseStats;
  /** Bytes the clients read, in all. */
  streamed: number;
}

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;
const CLIENTS = new URL("./sse_clients.ts", import.meta.url).pathname;

/** Messages in a datagram (a batch's parts, or the one). */
function parts(data: Uint8Array): Message[] {
  try {
    const m = decode(data);
    return m.type === "batch" ? m.messages : [m];
  } catch {
    return [];
  }
}

/** CPU time (ms) of a process, from /proc (through `cat`: reading /proc directly needs --allow-all). */
async function cpuMs(pid: number): Promise<number> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`], stdout: "piped" })
    .output();
  const stat = new TextDecoder().decode(out.stdout);
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) * 10; // ticks of 1/100 s
}

/** Reads JSON lines from a stream, handing each to `onLine`. */
async function jsonLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (o: Record<string, unknown>) => void,
) {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        onLine(JSON.parse(line));
      } catch { /* not JSON */ }
      poke();
    }
  }
}

/** Something a wait may depend on happened (a line from a child, a join). */
let poke: () => void = () => {};

/** Waits until `cond()` is true, checking it after each {@link poke}, for at most `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), ms));
  try {
    while (!cond()) {
      const next = new Promise<void>((resolve) => poke = resolve);
      if (await Promise.race([next, late]) === "late") {
        throw new Error(`timed out waiting for ${what}`);
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the benchmark; see the module documentation. */
export async function benchHttp(o: HttpBenchOptions): Promise<HttpBenchResult> {
  const log = o.log ?? (() => {});
  const events: Record<string, unknown>[] = [];
  const a = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      CLI,
      "--json",
      "--message",
      "",
      "--log-level",
      "warning",
      "--http",
      "127.0.0.1:0",
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const aOut = jsonLines(a.stdout, (e) => events.push(e));
  const peers: GossipNode[] = [];
  let current: number[] | undefined;
  const samples: { without: number[]; with: number[] } = { without: [], with: [] };
  const unanswered = { without: 0, with: 0 };
  const suspicions = { without: 0, with: 0 };
  const cpu = { without: 0, with: 0 };
  const wall = { without: 0, with: 0 };
  let phase: "without" | "with" = "without";
  let streamed = 0;
  try {
    await until(() => events.some((e) => e.event === "http"), 20_000, "node A");
    const url = String(events.find((e) => e.event === "http")!.url);
    const address = String(events.find((e) => e.event === "listening")!.address);
    for (let i = 0; i < o.peers; i++) {
      const inner = await UdpTransport.bind({ hostname: "127.0.0.1", port: 0 });
      const pending = new Map<number, number>();
      const transport = {
        get address() {
          return inner.address;
        },
        listen(handler: (from: string, data: Uint8Array) => void) {
          inner.listen((from, data) => {
            const now = performance.now();
            if (from === address) {
              for (const m of parts(data)) {
                if (m.type !== "ack") continue;
                const t0 = pending.get(m.seq);
                pending.delete(m.seq);
                if (t0 !== undefined) current?.push(now - t0);
              }
            }
            handler(from, data);
          });
        },
        send(to: string, data: Uint8Array) {
          if (to === address) {
            for (const m of parts(data)) {
              if (m.type !== "ping" || m.target !== address) continue;
              if (pending.size > 0 && current) unanswered[phase] += pending.size;
              pending.clear();
              pending.set(m.seq, performance.now());
            }
          }
          inner.send(to, data);
        },
        close: () => inner.close(),
      };
      const node = await GossipNode.start({
        transport,
        seeds: [address],
        probeInterval: 100,
        probeTimeout: 80,
      });
      node.addEventListener("join", () => poke());
      node.addEventListener("suspect", (e) => {
        if (e.detail.address === address) suspicions[phase]++;
      });
      peers.push(node);
    }
    await until(() => peers.every((p) => p.peers().length === o.peers), 20_000, "the cluster");
    log(`cluster of ${o.peers + 1} up; A at ${address}, HTTP ${url}`);

    for (let r = 0; r < o.rounds; r++) {
      for (const which of ["without", "with"] as const) {
        let clients: Deno.ChildProcess | undefined;
        let clientsOut: Promise<void> | undefined;
        const said: Record<string, unknown>[] = [];
        if (which === "with") {
          clients = new Deno.Command(Deno.execPath(), {
            args: ["run", "--allow-net", CLIENTS, String(o.clients), `${url}/events`],
            stdin: "piped",
            stdout: "piped",
            stderr: "inherit",
          }).spawn();
          clientsOut = jsonLines(clients.stdout, (e) => said.push(e));
          await until(() => said.some((e) => e.connected === o.clients), 30_000, "the clients");
        }
        phase = which;
        const cpu0 = await cpuMs(a.pid);
        const t0 = performance.now();
        current = samples[which];
        await sleep(o.phaseMs);
        current = undefined;
        wall[which] += performance.now() - t0;
        cpu[which] += (await cpuMs(a.pid)) - cpu0;
        if (clients) {
          await clients.stdin.close();
          await clients.status;
          await clientsOut;
          streamed += Number(said.find((e) => "bytes" in e)?.bytes ?? 0);
        }
        log(`round ${r + 1} ${which}: ${samples[which].length} samples so far`);
      }
    }
  } finally {
    await Promise.all(peers.map((p) => p.close()));
    a.kill("SIGTERM");
    await a.status;
    await aOut;
  }
  const stats = (which: "without" | "with"): PhaseStats => {
    const xs = samples[which];
    return {
      samples: xs.length,
      p50: round(percentile(xs, 50), 3),
      p90: round(percentile(xs, 90), 3),
      p99: round(percentile(xs, 99), 3),
      max: round(Math.max(...xs), 3),
      mean: round(xs.reduce((s, x) => s + x, 0) / xs.length, 3),
      unanswered: unanswered[which],
      cpuMsPerS: round(cpu[which] / (wall[which] / 1000), 1),
      suspicions: suspicions[which],
    };
  };
  const { log: _log, ...options } = o;
  return { options, without: stats("without"), with: stats("with"), streamed };
}

/** The RESULTS.md section for a result. */
export function report(r: HttpBenchResult, when: Date): string {
  const row = (name: string, s: PhaseStats) =>
    `| ${name} | ${s.samples} | ${s.p50} | ${s.p90} | ${s.p99} | ${s.max} | ${s.unanswered} | ${s.suspicions} | ${s.cpuMsPerS} |`;
  const ratio = (k: "p50" | "p90" | "p99") => round(r.with[k] / r.without[k], 2);
  const o = r.options;
  return `## HTTP endpoint: probe round trips with and without ${o.clients} event-stream clients

\`deno task bench-http\` (bench/http.ts), ${when.toISOString().slice(0, 16).replace("T", " ")} UTC.
Node A is a command-line peer with \`--http\` (LAN profile, its own process).
${o.peers} peers in the bench process join it and probe every 100 ms, timing each PING to A until its ACK.
Phases of ${
    o.phaseMs / 1000
  } s alternate without and with ${o.clients} clients reading \`/events\` (in a third process; a snapshot every second), ${o.rounds} of each.
Round-trip times in ms.

| phase | samples | p50 | p90 | p99 | max | unanswered | suspicions of A | A's CPU (ms/s) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${row("without clients", r.without)}
${row(`with ${o.clients} clients`, r.with)}

With/without: p50 ${ratio("p50")}x, p90 ${ratio("p90")}x, p99 ${ratio("p99")}x.
The clients read ${round(r.streamed / 1024 / 1024, 1)} MiB in all.
Other work shares the machine's 2 cores: compare the two rows of one run, not runs.
`;
}

const START = "<!-- http:start (deno task bench-http rewrites this section) -->";
const END = "<!-- http:end -->";

if (import.meta.main) {
  const opt = args(Deno.args);
  const options: HttpBenchOptions = {
    clients: Number(opt.get("clients") ?? 100),
    phaseMs: Number(opt.get("phase") ?? 20) * 1000,
    rounds: Number(opt.get("rounds") ?? 2),
    peers: Number(opt.get("peers") ?? 4),
    log: (line) => console.error(`[bench-http] ${line}`),
  };
  const result = await benchHttp(options);
  console.log(JSON.stringify(result));
  const section = report(result, new Date());
  console.log(section);
  if (!opt.has("no-write")) {
    const url = new URL("RESULTS.md", import.meta.url);
    const text = await Deno.readTextFile(url);
    const block = `${START}\n${section}${END}`;
    const start = text.indexOf(START);
    const end = text.indexOf(END);
    const next = start >= 0 && end > start
      ? text.slice(0, start) + block + text.slice(end + END.length)
      : `${text.trimEnd()}\n\n${block}\n`;
    await Deno.writeTextFile(url, next);
    console.error("[bench-http] wrote bench/RESULTS.md");
  }
}
