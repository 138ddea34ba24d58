/**
 * Fuzzes a live keyed node over real UDP on loopback: random datagrams,
 * plaintext and labelled frames, and mutations and replays of sealed
 * datagrams captured from its peer. Afterwards the node must be running with
 * its member table unchanged, and its drop counters must account for every
 * datagram sent. Then floods an unkeyed pair with INFO, SYNC and INIT frames,
 * valid and mutated, from 16 loopback addresses ({@link flood}): no record
 * from a non-member may be merged, and delivery between the two must go on.
 *
 * ```
 * deno run --allow-net --allow-read bench/fuzz.ts [datagrams, default 1000000] [flood, default 200000]
 * ```
 *
 * tests/fuzz_test.ts runs the same with 100 000 datagrams and the flood with 200 000.
 *
 * @module
 */

import type { DatagramHandler } from "../src/net/transport.ts";
import { encode, generateKey, GossipNode, type Message } from "../mod.ts";
import type { Transport } from "../src/net/transport.ts";
import { UdpTransport } from "../src/net/udp.ts";

/** What a fuzz run did. */
export interface FuzzResult {
  /** Datagrams sent to the node. */
  sent: number;
  /** Datagrams sent, by how they were made. */
  kinds: Record<string, number>;
  /** Drops the node counted during the run, by reason (those that moved). */
  drops: Record<string, number>;
  /** Seconds from the first send until every datagram was accounted for. */
  seconds: number;
  /** Datagrams per second, sent and accounted for. */
  rate: number;
  /** Whether the node's member table was the same afterwards. */
  tableUnchanged: boolean;
  /** Whether the node still delivered a broadcast from its peer afterwards. */
  stillWorks: boolean;
}

/** What a flood run did. */
export interface FloodResult {
  /** Frames sent, all told, and from how many source addresses. */
  sent: number;
  sources: number;
  /** Frames sent, by how they were made. */
  kinds: Record<string, number>;
  /** Drops the two nodes counted during the flood, by reason. */
  drops: Record<string, number>;
  seconds: number;
  rate: number;
  /** Addresses other than the two nodes that either ever listed (`join` events). */
  bogus: string[];
  /** Broadcasts one node made during the flood, and how many the other delivered during it. */
  broadcastsDuring: number;
  deliveredDuring: number;
  /** How many of those it had delivered `settle` seconds after the flood. */
  deliveredBy: number;
  settle: number;
  /** Whether a broadcast after the flood was delivered. */
  deliveredAfter: boolean;
}

/**
 * Floods an unkeyed 2-node cluster with `n` INFO, SYNC and INIT frames,
 * valid and mutated, carrying made-up members and forged DEADs of the real
 * ones, from `sources` loopback addresses (127.0.0.2 and up), in bursts of
 * `burst` (waiting, with a deadline, until both nodes received each burst).
 * One node broadcasts every `every` frames meanwhile. Afterwards: which
 * bogus members either node ever listed, and what was delivered.
 *
 * @example
 * ```ts ignore
 * const r = await flood(20_000);
 * console.log(r.bogus.length, r.deliveredBy, r.broadcastsDuring);
 * ```
 */
export async function flood(
  n: number,
  { seed = 14, sources = 16, burst = 64, every = 2000, timeout = 10_000 } = {},
): Promise<FloodResult> {
  const a = await GossipNode.start({ hostname: "127.0.0.1", port: 0 });
  const b = await GossipNode.start({ hostname: "127.0.0.1", port: 0, seeds: [a.address] });
  const sockets: Deno.DatagramConn[] = [];
  const real = new Set([a.address, b.address]);
  const bogus = new Set<string>();
  const heard = new Set<string>();
  for (const node of [a, b]) {
    node.addEventListener("join", (e) => {
      if (!real.has(e.detail.address)) bogus.add(e.detail.address);
    });
  }
  b.addEventListener("message", (e) => heard.add(new TextDecoder().decode(e.detail.payload)));
  try {
    for (let i = 0; i < sources; i++) {
      const hostname = `127.0.0.${2 + i}`;
      sockets.push(Deno.listenDatagram({ transport: "udp", hostname, port: 0 }));
    }
    await until(() => a.peers().length === 1 && b.peers().length === 1, timeout, "pair");
    const next = xorshift(seed);
    const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length];
    const states = ["alive", "suspect", "dead", "left"] as const;
    const record = () =>
      next() % 3 === 0
        ? { address: pick([a.address, b.address]), state: pick(states), incarnation: next() % 4 }
        : {
          address: `10.${next() % 256}.${next() % 256}.${next() % 256}:${1 + next() % 65535}`,
          state: pick(states),
          incarnation: next() % 8,
        };
    const records = () => Array.from({ length: 1 + next() % 12 }, record);
    const frame = (): [string, Uint8Array] => {
      const r = next() % 3;
      const m: Message = r === 0
        ? { type: "info", members: records() }
        : r === 1
        ? { type: "sync", reply: next() % 2 === 0, members: records() }
        : { type: "init", incarnation: next() % 16 };
      const bytes = encode(m).slice();
      const kind = m.type;
      if (next() % 4 === 0) return [kind, bytes];
      // Mutated: a few bits flipped, cut short or grown.
      const how = next() % 3;
      if (how === 0) {
        for (let k = 1 + next() % 3; k > 0; k--) bytes[next() % bytes.length] ^= 1 << (next() % 8);
        return [`${kind}-flipped`, bytes];
      }
      if (how === 1) return [`${kind}-cut`, bytes.slice(0, 1 + next() % bytes.length)];
      const grown = new Uint8Array(bytes.length + 1 + next() % 16);
      grown.set(bytes);
      for (let k = bytes.length; k < grown.length; k++) grown[k] = next();
      return [`${kind}-grown`, grown];
    };
    const targets = [a, b].map((node) => {
      const [hostname, port] = [node.address.split(":")[0], Number(node.address.split(":")[1])];
      return { transport: "udp" as const, hostname, port };
    });
    const received = () => a.metrics().packetsReceived + b.metrics().packetsReceived;
    const dropsOf = () => [a, b].map((node) => ({ ...node.metrics().dropped }));
    const before = dropsOf();
    const kinds: Record<string, number> = {};
    let broadcasts = 0;
    const start = performance.now();
    let sent = 0;
    while (sent < n) {
      const base = received();
      const count = Math.min(burst, n - sent);
      for (let i = 0; i < count; i++) {
        const [kind, data] = frame();
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        await sockets[(sent + i) % sockets.length].send(data, targets[(sent + i) % 2]);
        if ((sent + i) % every === 0) a.broadcast(`during ${broadcasts++}`);
      }
      sent += count;
      await until(() => received() - base >= count, timeout, `the nodes to receive ${sent} frames`);
    }
    const seconds = (performance.now() - start) / 1000;
    const deliveredDuring = heard.size;
    const settleStart = performance.now();
    await until(() => heard.size >= broadcasts, timeout, "every broadcast of the flood delivered")
      .catch(() => {});
    const settle = (performance.now() - settleStart) / 1000;
    const deliveredBy = heard.size;
    a.broadcast("after");
    const after = await until(() => heard.has("after"), timeout, "delivery after the flood")
      .then(() => true, () => false);
    const drops: Record<string, number> = {};
    dropsOf().forEach((d, k) => {
      for (const [reason, count] of Object.entries(d)) {
        const moved = count - before[k][reason as keyof typeof d];
        if (moved > 0) drops[reason] = (drops[reason] ?? 0) + moved;
      }
    });
    for (const node of [a, b]) {
      for (const m of node.members()) if (!real.has(m.address)) bogus.add(m.address);
    }
    return {
      sent,
      sources,
      kinds,
      drops,
      seconds,
      rate: sent / seconds,
      bogus: [...bogus],
      broadcastsDuring: broadcasts,
      deliveredDuring,
      deliveredBy,
      settle,
      deliveredAfter: after,
    };
  } finally {
    for (const s of sockets) s.close();
    await b.close();
    await a.close();
  }
}

/** A UDP transport that records what it sends (sealed). */
class Tap implements Transport {
  readonly sent: Uint8Array[] = [];
  constructor(readonly inner: UdpTransport) {}
  get address(): string {
    return this.inner.address;
  }
  listen(handler: DatagramHandler): void {
    this.inner.listen(handler);
  }
  send(to: string, data: Uint8Array): void {
    if (this.sent.length < 256) this.sent.push(data.slice());
    this.inner.send(to, data);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** xorshift32: fast, seeded, good enough to make junk. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

async function until(cond: () => boolean, timeout: number, what: string): Promise<void> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 1));
  }
}

function dropTotal(node: GossipNode): number {
  return Object.values(node.metrics().dropped).reduce((s, n) => s + n, 0);
}

function table(node: GossipNode): string {
  return node.members().map((m) => `${m.address}=${m.state}`).sort().join(",");
}

/**
 * Sends `n` fuzzed datagrams to a fresh keyed node, in bursts of `burst`,
 * waiting after each burst (with a deadline, no fixed sleep) until the node
 * has counted every one as dropped.
 *
 * @example
 * ```ts ignore
 * const result = await fuzz(10_000);
 * console.log(result.rate, result.drops);
 * ```
 */
export async function fuzz(
  n: number,
  { seed = 1, burst = 200, timeout = 10_000 }: { seed?: number; burst?: number; timeout?: number } =
    {},
): Promise<FuzzResult> {
  const key = generateKey();
  const tap = new Tap(await UdpTransport.bind({ hostname: "127.0.0.1", port: 0 }));
  const peer = await GossipNode.start({ profile: "local", keys: [key], transport: tap });
  const node = await GossipNode.start({ profile: "local", keys: [key], seeds: [peer.address] });
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await until(() => node.peers().length === 1 && peer.peers().length === 1, timeout, "pair");
    peer.broadcast("before");
    await until(() => tap.sent.length >= 16, timeout, "captured datagrams");
    const captured = tap.sent.slice();
    const before = table(node);
    const dropsBefore = { ...node.metrics().dropped };
    const base = dropTotal(node);
    const [hostname, port] = [node.address.split(":")[0], Number(node.address.split(":")[1])];
    const target = { transport: "udp" as const, hostname, port };
    const next = xorshift(seed);
    const kinds: Record<string, number> = {};
    const random = (len: number): Uint8Array => {
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = next();
      return b;
    };
    const frames: Message[] = [
      { type: "init", incarnation: 0 },
      { type: "ping", seq: 1, target: node.address },
      { type: "alive", address: "10.6.6.6:1", incarnation: 9 },
      { type: "leave", address: peer.address, incarnation: 99 },
      {
        type: "sync",
        reply: false,
        members: [{ address: "10.6.6.6:1", state: "alive", incarnation: 0 }],
      },
      { type: "gosp", origin: "10.6.6.6:1", id: 1, hops: 0, payload: new Uint8Array(10) },
    ];
    const make = (): [string, Uint8Array] => {
      const r = next() % 100;
      if (r < 25) return ["random", random(next() % 300)];
      if (r < 30) return ["random-large", random(300 + next() % 1100)];
      if (r < 40) {
        const b = random(29 + next() % 200);
        b[0] = 0x01; // the seal version byte
        return ["random-sealed", b];
      }
      if (r < 48) return ["plaintext", encode(frames[next() % frames.length]).slice()];
      if (r < 52) {
        const frame = encode(frames[next() % frames.length]);
        return ["labelled", Uint8Array.of(0xd8, 4, 0x70, 0x72, 0x6f, 0x64, ...frame)];
      }
      const original = captured[next() % captured.length];
      if (r < 62) return ["replay", original];
      let b = original.slice();
      const how = next() % 4;
      if (how === 0 || b.length === 0) {
        for (let k = 1 + next() % 3; k > 0; k--) b[next() % b.length] ^= 1 << (next() % 8);
      } else if (how === 1) {
        b = b.slice(0, next() % b.length);
      } else if (how === 2) {
        b = Uint8Array.of(...b, ...random(1 + next() % 16));
      } else {
        const other = captured[next() % captured.length];
        const cut = next() % Math.min(b.length, other.length);
        b = Uint8Array.of(...b.subarray(0, cut), ...other.subarray(cut));
        if (b.length === original.length && b.every((v, i) => v === original[i])) {
          b[b.length - 1] ^= 1;
        }
      }
      return ["mutated", b];
    };
    const start = performance.now();
    let sent = 0;
    while (sent < n) {
      const count = Math.min(burst, n - sent);
      for (let i = 0; i < count; i++) {
        const [kind, data] = make();
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        await socket.send(data, target);
      }
      sent += count;
      await until(() => dropTotal(node) - base >= sent, timeout, `drops for ${sent} datagrams`);
    }
    const seconds = (performance.now() - start) / 1000;
    const drops: Record<string, number> = {};
    for (const [reason, count] of Object.entries(node.metrics().dropped)) {
      const d = count - dropsBefore[reason as keyof typeof dropsBefore];
      if (d > 0) drops[reason] = d;
    }
    const tableUnchanged = table(node) === before;
    let delivered = false;
    node.addEventListener("message", () => delivered = true);
    peer.broadcast("after");
    await until(() => delivered, timeout, "delivery after the fuzz");
    return {
      sent,
      kinds,
      drops,
      seconds,
      rate: sent / seconds,
      tableUnchanged,
      stillWorks: delivered,
    };
  } finally {
    socket.close();
    await node.close();
    await peer.close();
  }
}

if (import.meta.main) {
  const n = Number(Deno.args[0] ?? 1_000_000);
  const floodN = Number(Deno.args[1] ?? 200_000);
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(floodN) || floodN < 0) {
    console.error(
      "usage: bench/fuzz.ts [datagrams, default 1000000] [flood frames, default 200000]",
    );
    Deno.exit(2);
  }
  let ok = true;
  if (n > 0) {
    const r = await fuzz(n);
    console.log(
      `${r.sent} datagrams in ${r.seconds.toFixed(1)} s: ${Math.round(r.rate)} datagrams/s`,
    );
    console.log(`sent by kind: ${JSON.stringify(r.kinds)}`);
    console.log(`dropped by reason: ${JSON.stringify(r.drops)}`);
    console.log(`member table unchanged: ${r.tableUnchanged}; still delivers: ${r.stillWorks}`);
    ok &&= r.tableUnchanged && r.stillWorks;
  }
  if (floodN > 0) {
    const f = await flood(floodN);
    console.log(
      `flood: ${f.sent} INFO/SYNC/INIT frames from ${f.sources} addresses at an unkeyed pair in ` +
        `${f.seconds.toFixed(1)} s (${Math.round(f.rate)}/s)`,
    );
    console.log(`flood: sent by kind: ${JSON.stringify(f.kinds)}`);
    console.log(`flood: dropped by reason: ${JSON.stringify(f.drops)}`);
    console.log(
      `flood: bogus members ever joined: ${f.bogus.length}; broadcasts delivered during the ` +
        `flood ${f.deliveredDuring}/${f.broadcastsDuring} (all ${f.deliveredBy}/${f.broadcastsDuring} ` +
        `${f.settle.toFixed(1)} s after it), after it: ${f.deliveredAfter}`,
    );
    ok &&= f.bogus.length === 0 && f.deliveredBy === f.broadcastsDuring && f.deliveredAfter;
  }
  if (!ok) Deno.exit(1);
}
