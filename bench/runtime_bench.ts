/**
 * One runtime's figures, for bench/runtimes.ts, which bundles this file and
 * runs it under Deno (with and without --unstable-net), Node.js and Bun. It
 * uses only node: modules, bench/common.ts (bundled in) and the library
 * module given as its first argument (build/peer.mjs), so it runs anywhere;
 * the socket is whatever the library picks there (Deno.listenDatagram when present, else node:dgram), and the
 * raw ceiling uses the same socket API.
 *
 * 1. Ceiling: two raw sockets on loopback, no protocol: A sends datagrams of a
 *    GOSP frame's size to B with at most WINDOW not yet received; B counts.
 * 2. Two GossipNodes (mode `mesh`, then `epidemic`): A broadcasts 100-byte
 *    messages with the same window; B counts `message` events.
 * 3. N nodes (default 50, LAN profile, epidemic): node 0 streams 100-byte
 *    messages for a few seconds with at most 32 not yet everywhere; process
 *    CPU divided by all nodes' deliveries.
 *
 * Prints one JSON line per figure. Run (after `deno task bundle`):
 *   node bench/runtime_bench.mjs build/peer.mjs --seconds 2 --n 50
 *
 * @module
 */

import { createSocket, type Socket } from "node:dgram";
import process from "node:process";
import { pathToFileURL } from "node:url";
import type { GossipNode } from "../mod.ts";
import { cpuMicros, round, sleep, waiter } from "./common.ts";

type Library = typeof import("../mod.ts");

const argv = process.argv.slice(2);
const lib: Library = await import(pathToFileURL(argv[0]).href);
const opt = new Map<string, string>();
for (let i = 1; i + 1 < argv.length; i += 2) opt.set(argv[i].replace(/^--/, ""), argv[i + 1]);
const SECONDS = Number(opt.get("seconds") ?? 2);
const WINDOW = Number(opt.get("window") ?? 64);
const N = Number(opt.get("n") ?? 50);
const STREAM_S = Number(opt.get("stream-s") ?? 3);
const STREAM_WINDOW = 32;

/** Deno's `listenDatagram`, when this runtime has it (Deno with --unstable-net). */
const listenDatagram = (globalThis as { Deno?: { listenDatagram?: typeof Deno.listenDatagram } })
  .Deno?.listenDatagram;
const SOCKET = listenDatagram ? "Deno.listenDatagram" : "node:dgram";

/** A datagram as large as a GOSP frame with a 100-byte payload. */
const FRAME = lib.encode({
  type: "gosp",
  origin: "127.0.0.1:40000",
  id: 1,
  hops: 0,
  payload: new Uint8Array(100),
}).slice();

/**
 * Sends as fast as the window allows for SECONDS: `send()` one more, `received()`
 * how many arrived. Nothing back for 20 ms counts what is in flight as lost.
 */
async function pump(send: () => void, received: () => number, w: ReturnType<typeof waiter>) {
  let sent = 0, lost = 0;
  const c0 = cpuMicros(), t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  while (performance.now() < end) {
    while (sent - received() - lost < WINDOW) {
      sent++;
      send();
    }
    const before = received();
    await w.wait(20);
    if (received() === before) lost = sent - received();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { got: received(), seconds, cpu: cpuMicros() - c0, lost };
}

async function rawCeiling() {
  let received = 0;
  const w = waiter();
  const onReceive = () => {
    received++;
    w.wake();
  };
  if (listenDatagram) {
    const a = listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const b = listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const to = b.addr as Deno.NetAddr;
    let closed = false;
    const buf = new Uint8Array(65507);
    const loop = (async () => {
      while (!closed) {
        try {
          await b.receive(buf);
        } catch {
          return;
        }
        onReceive();
      }
    })();
    const r = await pump(() => a.send(FRAME, to).catch(() => {}), () => received, w);
    closed = true;
    await sleep(20);
    a.close();
    b.close();
    await loop;
    return r;
  }
  const bind = (s: Socket) => new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  const a = createSocket("udp4"), b = createSocket("udp4");
  for (const s of [a, b]) s.on("error", () => {});
  await Promise.all([bind(a), bind(b)]);
  b.on("message", onReceive);
  const port = b.address().port;
  const r = await pump(() => a.send(FRAME, port, "127.0.0.1"), () => received, w);
  await sleep(20);
  await Promise.all([a, b].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return r;
}

async function nodePair(mode: "mesh" | "epidemic") {
  const a = await lib.GossipNode.start({ hostname: "127.0.0.1", port: 0, mode });
  const b = await lib.GossipNode.start({
    hostname: "127.0.0.1",
    port: 0,
    mode,
    seeds: [a.address],
  });
  const deadline = performance.now() + 5000;
  while ((a.peers().length < 1 || b.peers().length < 1) && performance.now() < deadline) {
    await sleep(5);
  }
  let received = 0;
  const w = waiter();
  b.addEventListener("message", () => {
    received++;
    w.wake();
  });
  const payload = new Uint8Array(100).fill(1);
  const r = await pump(() => a.broadcast(payload), () => received, w);
  await Promise.all([a.close(), b.close()]);
  return r;
}

/** N nodes, LAN profile: join, settle, then node 0 streams; CPU per delivery per node. */
async function cluster() {
  const nodes: GossipNode[] = [await lib.GossipNode.start({ hostname: "127.0.0.1", port: 0 })];
  const seed = nodes[0].address;
  for (let i = 1; i < N; i++) {
    nodes.push(await lib.GossipNode.start({ hostname: "127.0.0.1", port: 0, seeds: [seed] }));
  }
  const deadline = performance.now() + 60_000;
  const full = () => nodes.every((n) => n.peers().length === N - 1);
  while (!full() && performance.now() < deadline) await sleep(10);
  const converged = full();
  await sleep(1000); // the join's gossip dies down
  const payload = new Uint8Array(100).fill(9);
  const pending = new Map<number, number>(); // id -> deliveries so far
  const w = waiter();
  let completed = 0;
  for (const n of nodes.slice(1)) {
    n.addEventListener("message", (e) => {
      const { from, id } = e.detail;
      const c = pending.get(id);
      if (from !== seed || c === undefined) return;
      if (c + 1 >= N - 1) {
        pending.delete(id);
        completed++;
        w.wake();
      } else pending.set(id, c + 1);
    });
  }
  const delivered = () => nodes.reduce((s, n) => s + n.metrics().delivered, 0);
  const d0 = delivered();
  const c0 = cpuMicros(), t0 = performance.now();
  while (performance.now() - t0 < STREAM_S * 1000) {
    while (pending.size < STREAM_WINDOW) pending.set(nodes[0].broadcast(payload), 0);
    await w.wait(50);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuMicros() - c0;
  const deliveries = delivered() - d0;
  await Promise.all(nodes.map((n) => n.close()));
  return { converged, seconds, cpu, deliveries, completed };
}

const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
const runtime = g.Bun
  ? `Bun ${g.Bun.version}`
  : g.Deno
  ? `Deno ${g.Deno.version.deno}`
  : `Node.js ${process.version}`;
const base = { runtime, socket: SOCKET };

const raw = await rawCeiling();
console.log(JSON.stringify({
  ...base,
  figure: "raw",
  datagram_bytes: FRAME.length,
  window: WINDOW,
  datagrams_per_s: round(raw.got / raw.seconds, 0),
  cpu_us_per_datagram: round(raw.cpu / Math.max(1, raw.got), 2),
}));
for (const mode of ["mesh", "epidemic"] as const) {
  const r = await nodePair(mode);
  console.log(JSON.stringify({
    ...base,
    figure: "pair",
    mode,
    delivered_per_s: round(r.got / r.seconds, 0),
    cpu_us_per_delivery: round(r.cpu / Math.max(1, r.got), 2),
    abandoned: r.lost,
  }));
}
if (N > 1) {
  const c = await cluster();
  console.log(JSON.stringify({
    ...base,
    figure: "cluster",
    n: N,
    converged: c.converged,
    stream_msgs_per_s_to_all: round(c.completed / c.seconds, 1),
    node_deliveries_per_s: round(c.deliveries / c.seconds, 0),
    cpu_us_per_node_delivery: round(c.cpu / Math.max(1, c.deliveries), 2),
  }));
}
// Node.js keeps running while anything is referenced; nothing should be, but do not wait to find out.
process.exit(0);
