/**
 * Shared by the SeedProtocol tests: original-format frames as bytes, a
 * virtual network, seed-mode nodes, raw and minimal original peers, and an
 * engine driven step by step.
 */

import { VirtualClock } from "../src/testing/virtual_clock.ts";
import { seededRandom } from "../src/testing/random.ts";
import { profile, type ProtocolConfig } from "../src/core/config.ts";
import { MemoryNetwork, type MemoryTransport } from "../src/testing/mod.ts";
import { GossipNode, type Member, type NodeMetrics } from "../mod.ts";
import { type Emitted, Step } from "./step.ts";
import { SeedProtocol } from "../src/seed/protocol.ts";

/** Bytes of an ASCII string (NUL written as "\0"), one byte per character. */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) throw new Error("fixture is not ASCII");
    out[i] = c;
  }
  return out;
}

/** Bytes shown as a string, one character per byte (so NULs and non-ASCII stay visible). */
export function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

const text = new TextDecoder();
export const utf8 = new TextEncoder();

/** A virtual network (one clock, 1 ms per hop) that closes every transport it bound. */
export interface World {
  clock: VirtualClock;
  network: MemoryNetwork;
  bind(address: string): MemoryTransport;
  close(): Promise<void>;
}

export function world(seed = 1): World {
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
export class SeedNode {
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

export function seedNode(
  w: World,
  address: string,
  seeds: string[],
  config: Partial<ProtocolConfig> = {},
): SeedNode {
  return new SeedNode(w, address, seeds, config);
}

/** A raw stand-in peer: records every datagram byte for byte, answers only by hand. */
export interface RawPeer {
  transport: MemoryTransport;
  /** Datagrams received, as `from` and the bytes as a latin1 string. */
  got: { from: string; bytes: string; at: number }[];
  send(to: string, bytes: string): void;
}

export function rawPeer({ clock, bind }: World, address: string): RawPeer {
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
export class OriginalPeer {
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

/** A SeedProtocol driven step by step. */
export function seedStep(seeds: string[], config: Partial<ProtocolConfig> = {}) {
  return new Step(
    "127.0.0.1:8000",
    (env) => new SeedProtocol(env, { ...profile("lan"), ...config }, seeds),
  );
}
