/**
 * SeedProtocol: byte-exact exchanges with hand-written original-format
 * frames, a mixed network of seed engines and minimal original peers, and
 * tolerance of what original peers do. Everything runs in-process on a
 * VirtualClock and a MemoryNetwork.
 */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { VirtualClock } from "../src/testing/virtual_clock.ts";
import { seededRandom } from "../src/testing/random.ts";
import { encode } from "../src/wire/codec.ts";
import { profile, type ProtocolConfig } from "../src/core/config.ts";
import { MemoryNetwork, type MemoryTransport } from "../src/testing/mod.ts";
import { GossipNode, type Member, type NodeMetrics } from "../mod.ts";
import { type Emitted, Step } from "./step.ts";
import { SeedProtocol } from "../src/seed/protocol.ts";

// --- fixtures ---------------------------------------------------------------

/** Bytes of an ASCII string (NUL written as "\0"), one byte per character. */
function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) throw new Error("fixture is not ASCII");
    out[i] = c;
  }
  return out;
}

/** Bytes shown as a string, one character per byte (so NULs and non-ASCII stay visible). */
function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

const text = new TextDecoder();
const utf8 = new TextEncoder();

/** A virtual network (one clock, 1 ms per hop) that closes every transport it bound. */
interface World {
  clock: VirtualClock;
  network: MemoryNetwork;
  bind(address: string): MemoryTransport;
  close(): Promise<void>;
}

function world(seed = 1): World {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, random: seededRandom(seed), delay: 1 });
  const bound: MemoryTransport[] = [];
  return {
    clock,
    network,
    bind(address: string): MemoryTransport {
      const t = network.bind(address);
      bound.push(t);
      return t;
    },
    async close(): Promise<void> {
      await Promise.all(bound.map((t) => t.close()));
    },
  };
}

/** A seed-mode GossipNode on its own MemoryTransport, with its events recorded. */
class SeedNode {
  readonly events: Emitted[] = [];
  readonly transport: MemoryTransport;
  #node: GossipNode | undefined;

  constructor(
    readonly world: World,
    address: string,
    readonly seeds: string[],
    readonly config: Partial<ProtocolConfig> = {},
  ) {
    this.transport = world.bind(address);
  }

  /** Starts the node (it sends INIT to its seeds at once). */
  async start(): Promise<void> {
    const node = await GossipNode.start({
      ...this.config,
      wire: "seed",
      transport: this.transport,
      clock: this.world.clock,
      random: seededRandom(this.transport.address.length),
      seeds: this.seeds,
    });
    for (const type of EVENT_TYPES) {
      node.addEventListener(type, (e) => {
        this.events.push({ type, ...(e as CustomEvent).detail } as Emitted);
      });
    }
    this.#node = node;
  }

  get node(): GossipNode {
    if (!this.#node) throw new Error("not started");
    return this.#node;
  }

  get joined(): boolean {
    return this.node.joined;
  }

  get incarnation(): number {
    return this.node.incarnation;
  }

  peers(): string[] {
    return this.node.peers();
  }

  members(): Member[] {
    return this.node.members();
  }

  metrics(): NodeMetrics {
    return this.node.metrics();
  }

  broadcast(data: Uint8Array): number {
    return this.node.broadcast(data);
  }

  close(): Promise<void> {
    return this.node.close();
  }

  /** Texts of delivered messages, as `from text`. */
  messages(): string[] {
    return this.events.flatMap((e) =>
      e.type === "message" ? [`${e.from} ${text.decode(e.payload)}`] : []
    );
  }

  joins(): string[] {
    return this.events.flatMap((e) => e.type === "join" ? [e.address] : []);
  }
}

const EVENT_TYPES = [
  "join",
  "joined",
  "suspect",
  "alive",
  "dead",
  "leave",
  "message",
  "drop",
] as const;

function seedNode(
  w: World,
  address: string,
  seeds: string[],
  config: Partial<ProtocolConfig> = {},
): SeedNode {
  return new SeedNode(w, address, seeds, config);
}

/** A raw stand-in peer: records every datagram byte for byte, answers only by hand. */
interface RawPeer {
  transport: MemoryTransport;
  /** Datagrams received, as `from` and the bytes as a latin1 string. */
  got: { from: string; bytes: string; at: number }[];
  send(to: string, bytes: string): void;
}

function rawPeer({ clock, bind }: World, address: string): RawPeer {
  const transport = bind(address);
  const got: RawPeer["got"] = [];
  transport.listen((from, data) => got.push({ from, bytes: latin1(data), at: clock.now() }));
  return { transport, got, send: (to, bytes) => transport.send(to, ascii(bytes)) };
}

/**
 * A minimal original peer, written from the issue text and independent of
 * seed_codec: INIT is answered with INFO (its peers before the sender) and
 * the sender is added; on INFO it adds the listed peers (sending each CONN)
 * and the INFO sender; CONN senders are added; GOSP is printed (recorded);
 * every `period` it sends `GOSP<text>` to every peer it knows. With `nul`
 * it sends like a C program passing `strlen + 1`: a trailing NUL on every frame.
 */
class OriginalPeer {
  readonly peers: string[] = [];
  readonly printed: string[] = [];
  readonly transport: MemoryTransport;
  #timer: unknown;

  readonly clock: VirtualClock;

  constructor(
    w: World,
    address: string,
    readonly message: string,
    readonly period: number,
    readonly nul = false,
  ) {
    this.clock = w.clock;
    this.transport = w.bind(address);
    this.transport.listen((from, data) => this.#onDatagram(from, latin1(data)));
  }

  get address(): string {
    return this.transport.address;
  }

  start(initialPeer?: string): void {
    if (initialPeer) this.#send(initialPeer, "INIT");
    const tick = (): void => {
      for (const p of this.peers) this.#send(p, `GOSP${this.message}`);
      this.#timer = this.clock.setTimeout(tick, this.period);
    };
    this.#timer = this.clock.setTimeout(tick, this.period);
  }

  stop(): void {
    this.clock.clearTimeout(this.#timer);
  }

  #add(address: string): void {
    if (address !== this.address && !this.peers.includes(address)) this.peers.push(address);
  }

  #send(to: string, frame: string): void {
    this.transport.send(to, ascii(this.nul ? `${frame}\0` : frame));
  }

  #onDatagram(from: string, raw: string): void {
    const frame = raw.replace(/\0+$/, "");
    const tag = frame.slice(0, 4);
    const body = frame.slice(4);
    if (tag === "INIT") {
      this.#send(from, `INFO${this.peers.filter((p) => p !== from).join(" ")}`);
      this.#add(from);
    } else if (tag === "INFO") {
      for (const p of body.split(" ")) {
        if (p === "" || p === this.address) continue;
        this.#add(p);
        this.#send(p, "CONN");
      }
      this.#add(from);
    } else if (tag === "CONN") {
      this.#add(from);
    } else if (tag === "GOSP") {
      this.printed.push(`Received message [${body}] from ${from}`);
    }
  }
}

// --- byte-exact, our node joining an original peer ---------------------------

Deno.test("seed: joining an original peer sends exactly INIT, then CONN to each INFO peer", async () => {
  const w = world();
  const { clock, network } = w;
  const origin = rawPeer(w, "127.0.0.1:9000");
  const p1 = rawPeer(w, "127.0.0.1:9001");
  const p2 = rawPeer(w, "127.0.0.1:9002");
  const node = seedNode(w, "127.0.0.1:8000", ["127.0.0.1:9000"]);

  await node.start();
  clock.advance(1);
  deepStrictEqual(origin.got.map((g) => [g.from, g.bytes]), [["127.0.0.1:8000", "INIT"]]);
  strictEqual(node.joined, false);

  origin.send("127.0.0.1:8000", "INFO127.0.0.1:9001 127.0.0.1:9002");
  clock.advance(2);
  deepStrictEqual(p1.got.map((g) => [g.from, g.bytes]), [["127.0.0.1:8000", "CONN"]]);
  deepStrictEqual(p2.got.map((g) => [g.from, g.bytes]), [["127.0.0.1:8000", "CONN"]]);
  strictEqual(node.joined, true);
  deepStrictEqual(node.peers(), ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9000"]);
  deepStrictEqual(node.joins(), ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9000"]);
  deepStrictEqual(
    node.events.filter((e) => e.type === "joined"),
    [{ type: "joined", seed: "127.0.0.1:9000", members: 3 }],
  );

  // The INFO ends the INIT retries: nothing more reaches the origin.
  clock.advance(60_000);
  strictEqual(origin.got.length, 1);

  // Broadcast: exactly GOSPHello! to every peer, directly.
  node.broadcast(utf8.encode("Hello!"));
  clock.advance(1);
  for (const peer of [origin, p1, p2]) {
    deepStrictEqual(peer.got.at(-1), {
      from: "127.0.0.1:8000",
      bytes: "GOSPHello!",
      at: clock.now(),
    });
  }

  // An original GOSP padded with NULs is delivered as the bare text.
  p1.send("127.0.0.1:8000", "GOSPHi\0\0\0");
  clock.advance(1);
  const [message] = node.events.filter((e) => e.type === "message");
  ok(message?.type === "message");
  strictEqual(message.from, "127.0.0.1:9001");
  strictEqual(message.via, "127.0.0.1:9001");
  strictEqual(message.hops, 0);
  deepStrictEqual(message.payload, utf8.encode("Hi"));
  strictEqual(node.metrics().delivered, 1);
  // GOSP senders are not added (p1 is a peer already; an unknown one stays unknown).
  rawPeer(w, "127.0.0.1:9003").send("127.0.0.1:8000", "GOSPyo");
  clock.advance(1);
  deepStrictEqual(node.messages().at(-1), "127.0.0.1:9003 yo");
  ok(!node.peers().includes("127.0.0.1:9003"));

  await node.close();
  strictEqual(network.inFlight, 0);
  strictEqual(clock.pending, 0);
  await w.close();
});

// --- byte-exact, an original peer joining our node ----------------------------

Deno.test("seed: an original peer's INIT gets exactly INFO<a> <b>, and its CONN makes it a peer", async () => {
  const w = world();
  const { clock } = w;
  const node = seedNode(w, "127.0.0.1:8000", []);
  await node.start();
  strictEqual(node.joined, true);
  const a = rawPeer(w, "127.0.0.1:9001");
  const b = rawPeer(w, "127.0.0.1:9002");
  a.send("127.0.0.1:8000", "CONN");
  clock.advance(1);
  b.send("127.0.0.1:8000", "CONN");
  clock.advance(1);
  deepStrictEqual(node.peers(), ["127.0.0.1:9001", "127.0.0.1:9002"]);

  const newcomer = rawPeer(w, "127.0.0.1:9003");
  newcomer.send("127.0.0.1:8000", "INIT");
  clock.advance(2);
  deepStrictEqual(newcomer.got.map((g) => [g.from, g.bytes]), [
    ["127.0.0.1:8000", "INFO127.0.0.1:9001 127.0.0.1:9002"],
  ]);
  ok(node.peers().includes("127.0.0.1:9003"), "INIT adds the sender");

  // A repeated INIT (the INFO was lost) never lists the asker itself, nor adds it twice.
  newcomer.send("127.0.0.1:8000", "INIT");
  clock.advance(2);
  strictEqual(newcomer.got.at(-1)?.bytes, "INFO127.0.0.1:9001 127.0.0.1:9002");
  deepStrictEqual(node.joins(), ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"]);

  // A fourth peer announced only by CONN (as after someone else's INFO).
  const late = rawPeer(w, "127.0.0.1:9004");
  late.send("127.0.0.1:8000", "CONN");
  clock.advance(1);
  deepStrictEqual(node.peers(), [
    "127.0.0.1:9001",
    "127.0.0.1:9002",
    "127.0.0.1:9003",
    "127.0.0.1:9004",
  ]);
  // Nothing is ever sent to a CONN sender in reply.
  strictEqual(late.got.length, 0);

  const members = node.members();
  strictEqual(members[0].address, "127.0.0.1:8000");
  ok(members.every((m) => m.state === "alive" && m.incarnation === 0));
  // `since` is when it was added: the CONN arrived at the last tick.
  strictEqual(members.find((m) => m.address === "127.0.0.1:9004")?.since, clock.now());
  strictEqual(node.incarnation, 0);

  await node.close();
  await w.close();
});

Deno.test("seed: an empty INFO answers the first INIT, and INFO is bounded by maxDatagramSize", () => {
  // "INFO" + 14 + 1 + 14 = 33 bytes: a 40-byte bound fits two addresses, not three.
  const step = seedStep([], { maxDatagramSize: 40 });
  step.engine.start();
  step.engine.receive("127.0.0.1:9001", ascii("INIT"));
  deepStrictEqual(step.outbox.map((s) => [s.to, latin1(s.data)]), [["127.0.0.1:9001", "INFO"]]);
  for (const port of [9002, 9003]) step.engine.receive(`127.0.0.1:${port}`, ascii("CONN"));
  step.outbox = [];
  step.engine.receive("127.0.0.1:9009", ascii("INIT"));
  deepStrictEqual(step.outbox.map((s) => [s.to, latin1(s.data)]), [
    ["127.0.0.1:9009", "INFO127.0.0.1:9001 127.0.0.1:9002"],
  ]);
});

// --- a mixed network ------------------------------------------------------------

Deno.test("seed: 3 SeedProtocols and 2 original peers form a full mesh and all messages reach everyone", async () => {
  const w = world(7);
  const { clock } = w;
  const o1 = new OriginalPeer(w, "127.0.0.1:8001", "Hello!", 1000);
  const o2 = new OriginalPeer(w, "127.0.0.1:8002", "Hi from o2", 1000, true);
  const s1 = seedNode(w, "127.0.0.1:9001", ["127.0.0.1:8001"]);
  const s2 = seedNode(w, "127.0.0.1:9002", ["127.0.0.1:8002"]);
  const s3 = seedNode(w, "127.0.0.1:9003", ["127.0.0.1:9001"]);

  // o1 alone; s1 joins o1; o2 joins s1; s2 joins o2; s3 joins s1.
  o1.start();
  await s1.start();
  clock.advance(10);
  o2.start("127.0.0.1:9001");
  clock.advance(10);
  await s2.start();
  clock.advance(10);
  await s3.start();
  clock.advance(10);

  const all = [
    "127.0.0.1:8001",
    "127.0.0.1:8002",
    "127.0.0.1:9001",
    "127.0.0.1:9002",
    "127.0.0.1:9003",
  ];
  const knows: [string, string[]][] = [
    [o1.address, o1.peers],
    [o2.address, o2.peers],
    [s1.transport.address, s1.peers()],
    [s2.transport.address, s2.peers()],
    [s3.transport.address, s3.peers()],
  ];
  for (const [self, peers] of knows) {
    deepStrictEqual(
      [...peers].sort(),
      all.filter((a) => a !== self),
      `${self} knows everyone else`,
    );
  }
  for (const s of [s1, s2, s3]) {
    ok(s.joined);
    strictEqual(s.events.filter((e) => e.type === "joined").length, 1);
  }

  // Every seed engine broadcasts once; the originals gossip every period.
  s1.broadcast(utf8.encode("from s1"));
  s2.broadcast(utf8.encode("from s2"));
  s3.broadcast(utf8.encode("from s3 ✓"));
  clock.advance(1500);
  o1.stop();
  o2.stop();
  clock.advance(10);

  const texts: Record<string, string> = {
    "127.0.0.1:8001": "Hello!",
    "127.0.0.1:8002": "Hi from o2",
    "127.0.0.1:9001": "from s1",
    "127.0.0.1:9002": "from s2",
    "127.0.0.1:9003": "from s3 ✓",
  };
  for (const [self] of knows) {
    const heard = self === o1.address
      ? o1.printed
      : self === o2.address
      ? o2.printed
      : [s1, s2, s3].find((s) => s.transport.address === self)!.messages().map((m) => {
        const [from, ...rest] = m.split(" ");
        return `Received message [${rest.join(" ")}] from ${from}`;
      });
    for (const from of all) {
      if (from === self) continue;
      // The originals decode bytes one per character here; compare in the same form.
      const expected = self.startsWith("127.0.0.1:800")
        ? latin1(utf8.encode(texts[from]))
        : texts[from];
      ok(
        heard.includes(`Received message [${expected}] from ${from}`),
        `${self} heard ${from}: ${JSON.stringify(heard)}`,
      );
    }
  }
  // Nothing was dropped anywhere, though o2 pads every frame with a NUL.
  for (const s of [s1, s2, s3]) {
    const dropped = Object.values(s.metrics().dropped).reduce((x, y) => x + y, 0);
    strictEqual(dropped, 0);
    await s.close();
  }
  strictEqual(clock.pending, 0);
  await w.close();
});

// --- tolerance ------------------------------------------------------------------

Deno.test("seed: duplicate CONN gives one join event; NUL-padded INIT, INFO and CONN are understood", async () => {
  const w = world();
  const { clock } = w;
  const node = seedNode(w, "127.0.0.1:8000", ["127.0.0.1:9000"]);
  const origin = rawPeer(w, "127.0.0.1:9000");
  const x = rawPeer(w, "127.0.0.1:9001");
  await node.start();
  origin.send("127.0.0.1:8000", "INFO127.0.0.1:9001\0\0\0");
  clock.advance(2);
  ok(node.joined);
  deepStrictEqual(x.got.map((g) => g.bytes), ["CONN"]);
  for (const frame of ["CONN", "CONN", "CONN\0", "CONN\0\0\0\0"]) x.send("127.0.0.1:8000", frame);
  clock.advance(1);
  deepStrictEqual(node.joins(), ["127.0.0.1:9001", "127.0.0.1:9000"]);
  deepStrictEqual(node.peers(), ["127.0.0.1:9001", "127.0.0.1:9000"]);

  const y = rawPeer(w, "127.0.0.1:9002");
  y.send("127.0.0.1:8000", "INIT\0");
  clock.advance(2);
  deepStrictEqual(y.got.map((g) => g.bytes), ["INFO127.0.0.1:9001 127.0.0.1:9000"]);
  strictEqual(node.metrics().dropped.malformed, 0);

  // A second INFO (say, from a retried INIT) adds only what is new and CONNs only that.
  origin.send("127.0.0.1:8000", "INFO127.0.0.1:9001  127.0.0.1:9002 127.0.0.1:8000\n");
  clock.advance(2);
  deepStrictEqual(x.got.map((g) => g.bytes), ["CONN"]);
  strictEqual(node.events.filter((e) => e.type === "joined").length, 1);
  await node.close();
  await w.close();
});

Deno.test("seed: a seed that never answers gets INIT again with growing gaps, up to joinRetryMax", async () => {
  const w = world();
  const { clock } = w;
  const silent = rawPeer(w, "127.0.0.1:9000");
  const config = { joinRetryInterval: 250, joinRetryMax: 2000 };
  // Also a seed with nothing bound at all.
  const node = seedNode(w, "127.0.0.1:8000", ["127.0.0.1:9000", "127.0.0.1:9999"], config);
  await node.start();
  clock.advance(10_000);
  ok(silent.got.every((g) => g.bytes === "INIT"));
  const times = silent.got.map((g) => g.at - 1);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  deepStrictEqual(gaps.slice(0, 6), [250, 500, 1000, 2000, 2000, 2000]);
  strictEqual(node.joined, false);
  deepStrictEqual(node.peers(), []);
  strictEqual(node.events.length, 0);
  strictEqual(node.metrics().packetsSent, silent.got.length * 2);

  await node.close();
  strictEqual(clock.pending, 0, "closing the node clears its INIT retry timer");
  await w.close();
});

/** A SeedProtocol driven step by step. */
function seedStep(seeds: string[], config: Partial<ProtocolConfig> = {}) {
  return new Step(
    "127.0.0.1:8000",
    (env) => new SeedProtocol(env, { ...profile("lan"), ...config }, seeds),
  );
}

Deno.test("seed: INIT is retried by a timer; leave() and stop() end the retries", () => {
  const step = seedStep(["127.0.0.1:9000", "127.0.0.1:8000"]);
  const sent = () => step.outbox.map((s) => `${s.to} ${latin1(s.data)}`);
  step.engine.start();
  deepStrictEqual(sent(), ["127.0.0.1:9000 INIT"], "a seed equal to self is ignored");
  deepStrictEqual(step.pending().map((p) => [p.timer.name, p.at]), [["join", 250]]);
  step.fire("join");
  deepStrictEqual(sent(), ["127.0.0.1:9000 INIT", "127.0.0.1:9000 INIT"]);
  deepStrictEqual(step.pending().map((p) => [p.timer.name, p.at]), [["join", 750]]);
  // leave(): nothing to say on this wire, but no more INIT.
  step.engine.leave();
  step.fire("join");
  strictEqual(step.outbox.length, 2);
  deepStrictEqual(step.pending(), []);
  // After stop: timers do nothing, datagrams are dropped as "closed", broadcast refuses.
  const other = seedStep(["127.0.0.1:9000"]);
  other.engine.start();
  other.engine.stop();
  other.fire("join");
  strictEqual(other.outbox.length, 1);
  other.engine.receive("127.0.0.1:9000", ascii("INFO"));
  strictEqual(other.engine.metrics().dropped.closed, 1);
  strictEqual(other.engine.joined, false);
  throws(() => other.engine.broadcast(utf8.encode("x")), Error);
});

Deno.test("seed: a peer listed in INFO that never answers breaks nothing", async () => {
  const w = world();
  const { clock } = w;
  const origin = rawPeer(w, "127.0.0.1:9000");
  const live = rawPeer(w, "127.0.0.1:9001");
  const node = seedNode(w, "127.0.0.1:8000", ["127.0.0.1:9000"]);
  await node.start();
  // 127.0.0.1:9998 is bound but never listens; 127.0.0.1:9999 is not bound at all.
  w.bind("127.0.0.1:9998");
  origin.send("127.0.0.1:8000", "INFO127.0.0.1:9998 127.0.0.1:9999 127.0.0.1:9001");
  clock.advance(2);
  ok(node.joined);
  deepStrictEqual(node.peers(), [
    "127.0.0.1:9998",
    "127.0.0.1:9999",
    "127.0.0.1:9001",
    "127.0.0.1:9000",
  ]);
  for (let i = 0; i < 3; i++) node.broadcast(utf8.encode(`m${i}`));
  clock.advance(60_000);
  deepStrictEqual(live.got.map((g) => g.bytes), ["CONN", "GOSPm0", "GOSPm1", "GOSPm2"]);
  deepStrictEqual(origin.got.map((g) => g.bytes), ["INIT", "GOSPm0", "GOSPm1", "GOSPm2"]);
  strictEqual(node.metrics().broadcasts, 3);
  strictEqual(node.metrics().packetsSent, 1 + 3 + 3 * 4);
  await node.close();
  strictEqual(clock.pending, 0);
  await w.close();
});

Deno.test("seed: broadcast takes UTF-8 text that fits one datagram", () => {
  const step = seedStep([], { maxDatagramSize: 20 });
  const engine = step.engine;
  throws(() => engine.broadcast(utf8.encode("early")), Error, "not running before start");
  engine.start();
  engine.receive("127.0.0.1:9001", ascii("CONN"));
  const id1 = engine.broadcast(utf8.encode("é ✓"));
  deepStrictEqual(step.outbox.map((s) => s.data), [
    new Uint8Array([...ascii("GOSP"), ...utf8.encode("é ✓")]),
  ]);
  const id2 = engine.broadcast(new Uint8Array(16).fill(0x61));
  ok(id2 !== id1);
  throws(() => engine.broadcast(new Uint8Array([0x61, 0xff])), TypeError);
  throws(() => engine.broadcast(new Uint8Array([0xc3])), TypeError);
  throws(() => engine.broadcast(utf8.encode("ends in newline\n")), TypeError);
  throws(() => engine.broadcast(new Uint8Array(17).fill(0x61)), RangeError);
  strictEqual(engine.metrics().broadcasts, 2);
  strictEqual(step.outbox.length, 2);
  engine.stop();
});

// --- native frames and junk ---------------------------------------------------------

Deno.test("seed: native frames and junk are dropped and counted, never thrown", () => {
  const step = seedStep([]);
  const engine = step.engine;
  engine.start();
  const from = "127.0.0.1:9001";
  // The engine knows only its own format (a node tells native frames apart
  // before they reach it; see wire_detect_test.ts).
  engine.receive(from, encode({ type: "ack", seq: 1 }));
  engine.receive(from, encode({ type: "init", incarnation: 0 }));
  const junk = [
    new Uint8Array(0),
    ascii("IN"),
    ascii("HELO"),
    ascii("INITx"),
    ascii("INFO127.0.0.1"),
    new Uint8Array([...ascii("GOSP"), 0xff]),
    new Uint8Array([0xd7]),
  ];
  for (const bytes of junk) engine.receive(from, bytes);
  engine.receive(from, new Uint8Array(70_000));
  const m = engine.metrics();
  strictEqual(m.dropped.malformed, 2 + junk.length);
  strictEqual(m.dropped.oversized, 1);
  deepStrictEqual(engine.peers(), []);
  strictEqual(m.delivered, 0);
  const drops = step.eventsOf("drop");
  strictEqual(drops.length, 2 + junk.length + 1);
  ok(drops.every((e) => e.from === from && e.detail.length > 0));
  ok(/unknown seed tag/.test(drops[2 + 2].detail), JSON.stringify(drops[4]));
  deepStrictEqual(step.outbox, [], "nothing is answered");
  engine.stop();
});
