/**
 * The socket ceiling and how close a node gets to it.
 *
 * 1. Ceiling: two raw `Deno.listenDatagram` sockets on loopback, no protocol:
 *    A sends datagrams of a GOSP frame's size to B, keeping at most WINDOW
 *    not yet received; B counts. Datagrams received per second. B receives
 *    into one reused buffer (the fastest loop); `receive()` without a buffer
 *    (a fresh 64 KiB array per datagram) is measured too.
 * 2. Two GossipNodes (mode `mesh`, `epidemic`, then `tree`): A broadcasts 100-byte
 *    messages with the same window; B counts `message` events. Messages
 *    delivered per second, as a fraction of the ceiling.
 *
 * Prints one JSON line per measurement. Run:
 * deno run --allow-net --allow-read --allow-env --allow-sys bench/socket.ts [--seconds 2]
 */

import { GossipNode } from "../mod.ts";
import { encode } from "../src/wire/codec.ts";
import { args, cpuMicros, round, sleep, waiter } from "./common.ts";

const opt = args(Deno.args);
const SECONDS = Number(opt.get("seconds") ?? 2);
const WINDOW = Number(opt.get("window") ?? 64);
const ROUNDS = Number(opt.get("rounds") ?? 2);
const MODES = new Set((opt.get("modes") ?? "raw,mesh,epidemic,tree").split(","));

/** A datagram as large as a GOSP frame with a 100-byte payload. */
const FRAME = encode({
  type: "gosp",
  origin: "127.0.0.1:40000",
  id: 1,
  hops: 0,
  payload: new Uint8Array(100),
}).slice();

interface Result {
  received: number;
  seconds: number;
  cpu_s: number;
  lost: number;
}

async function rawCeiling(reuse: boolean): Promise<Result> {
  const a = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const b = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const { hostname, port } = b.addr as Deno.NetAddr;
  const to: Deno.NetAddr = { transport: "udp", hostname, port };
  let received = 0, closed = false, sent = 0, lost = 0;
  const w = waiter();
  const buf = new Uint8Array(65507);
  const loop = (async () => {
    while (!closed) {
      try {
        await (reuse ? b.receive(buf) : b.receive());
      } catch {
        return;
      }
      received++;
      if (sent - received < WINDOW / 2) w.wake();
    }
  })();
  const c0 = cpuMicros(), t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  while (performance.now() < end) {
    while (sent - received - lost < WINDOW) {
      sent++;
      a.send(FRAME, to).catch(() => {});
    }
    const before = received;
    await w.wait(20);
    if (received === before) lost = sent - received; // nothing came back in 20 ms: count the rest lost
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuMicros() - c0;
  const got = received;
  closed = true;
  await sleep(20);
  a.close();
  b.close();
  await loop;
  return { received: got, seconds, cpu_s: cpu / 1e6, lost };
}

async function nodePair(
  mode: "mesh" | "epidemic" | "tree",
): Promise<Result & { copies: number; datagrams: number }> {
  const a = await GossipNode.start({ hostname: "127.0.0.1", port: 0, mode });
  const b = await GossipNode.start({ hostname: "127.0.0.1", port: 0, mode, seeds: [a.address] });
  const deadline = performance.now() + 5000;
  while ((a.peers().length < 1 || b.peers().length < 1) && performance.now() < deadline) {
    await sleep(5);
  }
  let received = 0;
  const w = waiter();
  let sent = 0, lost = 0;
  b.addEventListener("message", () => {
    received++;
    if (sent - received - lost < WINDOW / 2) w.wake();
  });
  const payload = new Uint8Array(100).fill(1);
  const m0 = b.metrics(), a0 = a.metrics();
  const s0 = a0.packetsSent + m0.packetsSent;
  const c0 = cpuMicros(), t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  while (performance.now() < end) {
    while (sent - received - lost < WINDOW) {
      sent++;
      a.broadcast(payload);
    }
    const before = received;
    await w.wait(20);
    if (received === before) lost = sent - received;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuMicros() - c0;
  const got = received;
  const m1 = b.metrics(), a1 = a.metrics();
  const s1 = a1.packetsSent + m1.packetsSent;
  await Promise.all([a.close(), b.close()]);
  const delivered = m1.delivered - m0.delivered;
  return {
    received: got,
    seconds,
    cpu_s: cpu / 1e6,
    lost,
    copies: (a1.copiesSent - a0.copiesSent + m1.copiesSent - m0.copiesSent) /
      Math.max(1, delivered),
    datagrams: (s1 - s0) / Math.max(1, delivered),
  };
}

const best = <T extends Result>(rs: T[]) =>
  rs.reduce((x, y) => (y.received / y.seconds > x.received / x.seconds ? y : x));

// Alternate the measurements so a busy spell on the machine hits all of them alike.
const raw: Result[] = [], rawAlloc: Result[] = [];
const mesh: (Result & { copies: number; datagrams: number })[] = [], epi: typeof mesh = [];
const tree: typeof mesh = [];
for (let r = 0; r < ROUNDS; r++) {
  if (MODES.has("raw")) {
    raw.push(await rawCeiling(true));
    rawAlloc.push(await rawCeiling(false));
  }
  if (MODES.has("mesh")) mesh.push(await nodePair("mesh"));
  if (MODES.has("epidemic")) epi.push(await nodePair("epidemic"));
  if (MODES.has("tree")) tree.push(await nodePair("tree"));
}
const ceiling = raw.length > 0 ? best(raw) : { received: NaN, seconds: 1, cpu_s: NaN, lost: 0 };
const ceilingRate = ceiling.received / ceiling.seconds;
if (raw.length > 0) {
  console.log(JSON.stringify({
    scenario: "socket-ceiling",
    datagram_bytes: FRAME.length,
    window: WINDOW,
    rounds: ROUNDS,
    datagrams_per_s: round(ceilingRate, 0),
    per_round: raw.map((r) => round(r.received / r.seconds, 0)),
    default_receive_datagrams_per_s: round(best(rawAlloc).received / best(rawAlloc).seconds, 0),
    cpu_us_per_datagram: round((ceiling.cpu_s * 1e6) / Math.max(1, ceiling.received), 2),
  }));
}
for (const [mode, rs] of [["mesh", mesh], ["epidemic", epi], ["tree", tree]] as const) {
  if (rs.length === 0) continue;
  const r = best(rs);
  const rate = r.received / r.seconds;
  console.log(JSON.stringify({
    scenario: "node-pair",
    mode,
    payload_bytes: 100,
    window: WINDOW,
    delivered_per_s: round(rate, 0),
    per_round: rs.map((x) => round(x.received / x.seconds, 0)),
    fraction_of_ceiling: round(rate / ceilingRate, 3),
    cpu_us_per_delivery: round((r.cpu_s * 1e6) / Math.max(1, r.received), 2),
    copies_per_delivery: round(r.copies, 2),
    datagrams_per_delivery: round(r.datagrams, 3),
    abandoned: r.lost,
  }));
}
