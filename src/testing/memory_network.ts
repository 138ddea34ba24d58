/**
 * An in-process network: transports that exchange datagrams through memory,
 * with delay, jitter, loss, partitions, crashes and an MTU.
 *
 * Tests and the simulator run many nodes on one {@link MemoryNetwork}. With a
 * {@link VirtualClock} and a {@link seededRandom} a run is exact and
 * repeatable; with the system clock it behaves like a fast, lossless LAN.
 *
 * Delivery never happens inside `send`: every datagram goes through the
 * clock's timers (a macrotask even at delay 0), so protocol code is never
 * re-entered. The network keeps its own queue of datagrams in flight and
 * holds at most one clock timer at a time, armed for the earliest one.
 *
 * @module
 */

import { type Clock, systemClock, systemRandom } from "../clock.ts";
import type { Random } from "../engine.ts";
import { parseAddress } from "../address.ts";
import type { DatagramHandler, Transport } from "../net/transport.ts";
import { Heap } from "./_heap.ts";

/**
 * How a {@link MemoryNetwork} treats datagrams; every field is optional.
 *
 * @example
 * ```ts
 * import { MemoryNetwork, type MemoryNetworkOptions, seededRandom, VirtualClock } from "@gossip/peer/testing";
 * const options: MemoryNetworkOptions = {
 *   clock: new VirtualClock(),
 *   random: seededRandom(1),
 *   delay: 5,
 *   jitter: 10,
 *   loss: 0.01,
 * };
 * const network = new MemoryNetwork(options);
 * console.assert(network.delay === 5);
 * ```
 */
export interface MemoryNetworkOptions {
  /** Time source for delivery timers. Default: the system clock. */
  clock?: Clock;
  /** Randomness for loss and jitter. Default: `Math.random()`. */
  random?: Random;
  /** Base one-way delay in milliseconds. Default 0. */
  delay?: number;
  /** Extra delay, uniform in `[0, jitter)` milliseconds. Default 0. */
  jitter?: number;
  /** Probability in `[0, 1]` that a datagram is lost. Default 0. */
  loss?: number;
  /** Largest datagram in bytes; larger ones are dropped. Default 65507. */
  mtu?: number;
  /**
   * Called for every `send` on an open transport, before any drop decision.
   * `data` is the sender's buffer: read it during the call, copy it to keep it.
   */
  tap?: (from: string, to: string, data: Uint8Array) => void;
}

/**
 * A per-link override for {@link MemoryNetwork.setLink}; a field left out
 * follows the network's current global value.
 *
 * @example
 * ```ts
 * import { type LinkOptions, MemoryNetwork } from "@gossip/peer/testing";
 * const slow: LinkOptions = { delay: 200, loss: 0.5 };
 * const network = new MemoryNetwork();
 * network.setLink("10.0.0.1:7946", "10.0.0.2:7946", slow);
 * ```
 */
export interface LinkOptions {
  /** One-way delay in milliseconds. */
  delay?: number;
  /** Extra delay, uniform in `[0, jitter)` milliseconds. */
  jitter?: number;
  /** Probability in `[0, 1]` that a datagram is lost. */
  loss?: number;
}

/**
 * Datagrams dropped by a {@link MemoryNetwork}, by cause.
 *
 * @example
 * ```ts
 * import { type DropStats, MemoryNetwork } from "@gossip/peer/testing";
 * const dropped: DropStats = new MemoryNetwork().stats.dropped;
 * console.assert(dropped.loss === 0);
 * ```
 */
export interface DropStats {
  /** Lost at random (`loss`). */
  loss: number;
  /** Sender and receiver on different sides of a partition (at send or delivery). */
  partition: number;
  /** Sender or receiver crashed (at send), or receiver crashed (at delivery). */
  crashed: number;
  /** Larger than the MTU. */
  mtu: number;
  /** No transport bound at the destination, or it closed or was not listening. */
  unbound: number;
}

/**
 * Totals of a {@link MemoryNetwork}. Every datagram sent is, at any moment,
 * exactly one of delivered, dropped or in flight:
 * `sent === delivered + sum(dropped) + network.inFlight`.
 *
 * @example
 * ```ts
 * import { MemoryNetwork, type NetworkStats } from "@gossip/peer/testing";
 * const stats: NetworkStats = new MemoryNetwork().stats;
 * console.assert(stats.sent === 0 && stats.bytes === 0);
 * ```
 */
export interface NetworkStats {
  /** Datagrams passed to `send` on open transports. */
  sent: number;
  /** Datagrams handed to a receiver's handler. */
  delivered: number;
  /** Datagrams dropped, by cause. */
  dropped: DropStats;
  /** Bytes passed to `send` on open transports (dropped ones included). */
  bytes: number;
}

/**
 * Traffic counters of one address, kept across close and rebind.
 *
 * @example
 * ```ts
 * import { type AddressStats, MemoryNetwork } from "@gossip/peer/testing";
 * const stats: AddressStats = new MemoryNetwork().statsFor("10.0.0.1:7946");
 * console.assert(stats.sentPackets === 0);
 * ```
 */
export interface AddressStats {
  /** Datagrams this address sent (dropped ones included). */
  sentPackets: number;
  /** Bytes this address sent (dropped ones included). */
  sentBytes: number;
  /** Datagrams delivered to this address. */
  receivedPackets: number;
  /** Bytes delivered to this address. */
  receivedBytes: number;
}

/** One bound address. Internal. */
class Endpoint {
  handler: DatagramHandler | undefined = undefined;
  closed = false;
  /** Datagrams queued for this endpoint. */
  pendingIn = 0;
  constructor(
    readonly net: MemoryNetwork,
    readonly address: string,
    readonly stats: AddressStats,
    public group: number,
    public crashed: boolean,
    public links: Map<string, LinkOptions> | undefined,
  ) {}
}

/** One datagram in flight (its time and order are the heap's keys). Internal. */
class Packet {
  constructor(
    readonly from: Endpoint,
    readonly to: Endpoint,
    readonly data: Uint8Array,
  ) {}
}

/** A recorded partition: `b === null` means "everyone not in `a`". */
interface Partition {
  a: Set<string>;
  b: Set<string> | null;
}

const GROUP_KEY = 0x100000;

// Friend access between the two classes, set up by MemoryNetwork's static block.
let netSend: (net: MemoryNetwork, from: Endpoint, to: string, data: Uint8Array) => void;
let netClose: (net: MemoryNetwork, ep: Endpoint) => void;
let creating: Endpoint | undefined;

function checkRate(name: string, value: number): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be a probability in [0, 1], got ${value}`);
  }
  return value;
}

function checkMs(name: string, value: number): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number of milliseconds >= 0, got ${value}`);
  }
  return value;
}

function checkLink(link: LinkOptions): LinkOptions {
  const out: LinkOptions = {};
  if (link.delay !== undefined) out.delay = checkMs("delay", link.delay);
  if (link.jitter !== undefined) out.jitter = checkMs("jitter", link.jitter);
  if (link.loss !== undefined) out.loss = checkRate("loss", link.loss);
  return out;
}

/**
 * An in-process datagram network. {@link MemoryNetwork.bind} hands out
 * {@link MemoryTransport}s; the network decides, per datagram, whether and
 * when it arrives.
 *
 * Each datagram is checked at send time (MTU, destination bound, crash,
 * partition, loss, in that order) and again at delivery time (destination
 * still bound and listening, not crashed, not partitioned away), then
 * delivered `delay + random * jitter` milliseconds after it was sent.
 * Datagrams due at the same time arrive in the order they were sent.
 *
 * @example Two nodes on a virtual clock
 * ```ts
 * import { MemoryNetwork, VirtualClock } from "@gossip/peer/testing";
 * const clock = new VirtualClock();
 * const network = new MemoryNetwork({ clock, delay: 10 });
 * const a = network.bind("10.0.0.1:7946");
 * const b = network.bind("10.0.0.2:7946");
 * const got: string[] = [];
 * b.listen((from, data) => got.push(`${from} ${new TextDecoder().decode(data)}`));
 * a.send(b.address, new TextEncoder().encode("hi"));
 * clock.advance(10);
 * console.assert(got[0] === "10.0.0.1:7946 hi");
 * await a.close();
 * await b.close();
 * ```
 */
export class MemoryNetwork {
  readonly #clock: Clock;
  readonly #random: Random;
  #delay: number;
  #jitter: number;
  #loss: number;
  readonly #mtu: number;
  readonly #tap: ((from: string, to: string, data: Uint8Array) => void) | undefined;

  readonly #bound = new Map<string, Endpoint>();
  readonly #addressStats = new Map<string, AddressStats>();
  readonly #crashed = new Set<string>();
  readonly #links = new Map<string, Map<string, LinkOptions>>();
  #nextAuto = 0;
  #nextEphemeral = 0;

  // Partitions: each address has a group id; blocked pairs of groups are in a set.
  #partitions: Partition[] = [];
  #groupOf = new Map<string, number>();
  #defaultGroup = 0;
  #blocked = new Set<number>();

  // Datagrams in flight: a binary min-heap on (at, seq), one clock timer for the top.
  readonly #heap = new Heap<Packet>();
  #seq = 0;
  #armed = false;
  #armedAt = Infinity;
  #timer: unknown = undefined;
  #firing = false;

  // Totals.
  #sent = 0;
  #delivered = 0;
  #bytes = 0;
  #dropLoss = 0;
  #dropPartition = 0;
  #dropCrashed = 0;
  #dropMtu = 0;
  #dropUnbound = 0;

  static {
    netSend = (net, from, to, data) => net.#send(from, to, data);
    netClose = (net, ep) => net.#close(ep);
  }

  /**
   * Creates a network. Throws `RangeError` for a negative delay or jitter, a
   * loss outside `[0, 1]` or an MTU below 1.
   *
   * @param options Clock, randomness, link defaults, MTU and a traffic tap.
   */
  constructor(options: MemoryNetworkOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? systemRandom;
    this.#delay = checkMs("delay", options.delay ?? 0);
    this.#jitter = checkMs("jitter", options.jitter ?? 0);
    this.#loss = checkRate("loss", options.loss ?? 0);
    const mtu = options.mtu ?? 65507;
    if (!Number.isInteger(mtu) || mtu < 1) {
      throw new RangeError(`mtu must be a positive integer, got ${mtu}`);
    }
    this.#mtu = mtu;
    this.#tap = options.tap;
  }

  /** Base one-way delay in milliseconds; settable, affects datagrams sent afterwards. */
  get delay(): number {
    return this.#delay;
  }
  set delay(value: number) {
    this.#delay = checkMs("delay", value);
  }

  /** Jitter in milliseconds; settable, affects datagrams sent afterwards. */
  get jitter(): number {
    return this.#jitter;
  }
  set jitter(value: number) {
    this.#jitter = checkMs("jitter", value);
  }

  /** Loss probability in `[0, 1]`; settable, e.g. `network.loss = 0.3`. */
  get loss(): number {
    return this.#loss;
  }
  set loss(value: number) {
    this.#loss = checkRate("loss", value);
  }

  /** The largest datagram delivered, in bytes. */
  get mtu(): number {
    return this.#mtu;
  }

  /** How many datagrams are in flight (sent, not yet delivered or dropped). */
  get inFlight(): number {
    return this.#heap.size;
  }

  /** Addresses with a bound (open) transport, in bind order. */
  addresses(): string[] {
    return [...this.#bound.keys()];
  }

  /**
   * Binds a transport to `address` (`host:port`). Without an address, or
   * with port 0, one is allocated: `10.a.b.c:7946` counting up, or
   * `host:N` from 49152 up. Throws `TypeError` for an address that is not
   * `host:port` and `Deno.errors.AddrInUse` for one already bound.
   *
   * @example
   * ```ts
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * const a = network.bind();
   * const b = network.bind("10.1.1.1:0");
   * console.assert(a.address === "10.0.0.1:7946");
   * console.assert(b.address === "10.1.1.1:49152");
   * await a.close();
   * await b.close();
   * ```
   */
  bind(address?: string): MemoryTransport {
    let addr: string;
    if (address === undefined) {
      addr = this.#allocate();
    } else {
      const { hostname, port } = parseAddress(address);
      if (port === 0) {
        addr = this.#allocateEphemeral(address.slice(0, address.lastIndexOf(":")), hostname);
      } else {
        addr = address;
        if (this.#bound.has(addr)) {
          throw new Deno.errors.AddrInUse(
            `${addr} is already bound on this MemoryNetwork; close that transport first or bind another address`,
          );
        }
      }
    }
    let stats = this.#addressStats.get(addr);
    if (!stats) {
      stats = { sentPackets: 0, sentBytes: 0, receivedPackets: 0, receivedBytes: 0 };
      this.#addressStats.set(addr, stats);
    }
    const ep = new Endpoint(
      this,
      addr,
      stats,
      this.#groupFor(addr),
      this.#crashed.has(addr),
      this.#links.get(addr),
    );
    this.#bound.set(addr, ep);
    creating = ep;
    try {
      return new MemoryTransport();
    } finally {
      creating = undefined;
    }
  }

  /**
   * Overrides delay, jitter and/or loss for datagrams from `from` to `to`
   * (one direction; call twice for both). Fields left out follow the
   * global values. Applies to datagrams sent afterwards.
   *
   * @example
   * ```ts
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork({ delay: 1 });
   * network.setLink("10.0.0.1:7946", "10.0.0.2:7946", { delay: 100 });
   * network.clearLinks();
   * ```
   */
  setLink(from: string, to: string, link: LinkOptions): void {
    const checked = checkLink(link);
    let out = this.#links.get(from);
    if (!out) {
      out = new Map();
      this.#links.set(from, out);
      const ep = this.#bound.get(from);
      if (ep) ep.links = out;
    }
    out.set(to, checked);
  }

  /**
   * Removes every per-link override.
   *
   * @example
   * ```ts
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * network.setLink("10.0.0.1:7946", "10.0.0.2:7946", { loss: 1 });
   * network.clearLinks();
   * ```
   */
  clearLinks(): void {
    this.#links.clear();
    for (const ep of this.#bound.values()) ep.links = undefined;
  }

  /**
   * Cuts the network between two groups of addresses, both ways. Without
   * `groupB`, cuts `groupA` off from every other address, including ones
   * bound later (so `partition([address])` isolates one node). Partitions
   * add up; {@link MemoryNetwork.heal} removes them all. Datagrams in flight
   * across a new cut are dropped when they arrive. Throws `RangeError` when
   * an address is in both groups.
   *
   * @example
   * ```ts
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * network.partition(["10.0.0.1:7946", "10.0.0.2:7946"], ["10.0.0.3:7946"]);
   * network.partition(["10.0.0.4:7946"]); // isolate one address
   * network.heal();
   * ```
   */
  partition(groupA: Iterable<string>, groupB?: Iterable<string>): void {
    const a = new Set(groupA);
    const b = groupB === undefined ? null : new Set(groupB);
    if (b) {
      for (const x of a) {
        if (b.has(x)) throw new RangeError(`${x} is in both groups of the partition`);
      }
    }
    this.#partitions.push({ a, b });
    this.#regroup();
  }

  /**
   * Removes every partition.
   *
   * @example
   * ```ts
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * network.partition(["10.0.0.1:7946"], ["10.0.0.2:7946"]);
   * network.heal();
   * ```
   */
  heal(): void {
    this.#partitions = [];
    this.#regroup();
  }

  /**
   * Crashes `address`: everything to and from it is silently dropped, as if
   * its cable were pulled; its transport is not told. Datagrams in flight to
   * it are dropped on arrival. The mark belongs to the address, so it stays
   * when the transport closes and a new one binds, until
   * {@link MemoryNetwork.restore}.
   *
   * @example
   * ```ts
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * network.crash("10.0.0.1:7946");
   * console.assert(network.isCrashed("10.0.0.1:7946"));
   * network.restore("10.0.0.1:7946");
   * ```
   */
  crash(address: string): void {
    this.#crashed.add(address);
    const ep = this.#bound.get(address);
    if (ep) ep.crashed = true;
  }

  /**
   * Undoes {@link MemoryNetwork.crash} for `address`.
   *
   * @example
   * ```ts
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * network.crash("10.0.0.1:7946");
   * network.restore("10.0.0.1:7946");
   * console.assert(!network.isCrashed("10.0.0.1:7946"));
   * ```
   */
  restore(address: string): void {
    this.#crashed.delete(address);
    const ep = this.#bound.get(address);
    if (ep) ep.crashed = false;
  }

  /**
   * Whether `address` is crashed.
   *
   * @example
   * ```ts
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * console.assert(!new MemoryNetwork().isCrashed("10.0.0.1:7946"));
   * ```
   */
  isCrashed(address: string): boolean {
    return this.#crashed.has(address);
  }

  /**
   * Whether a datagram from `from` to `to` would be cut by a partition now.
   *
   * @example
   * ```ts
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * network.partition(["10.0.0.1:7946"]);
   * console.assert(network.isPartitioned("10.0.0.1:7946", "10.0.0.9:7946"));
   * ```
   */
  isPartitioned(from: string, to: string): boolean {
    return this.#blocked.size > 0 &&
      this.#blocked.has(this.#groupFor(from) * GROUP_KEY + this.#groupFor(to));
  }

  /**
   * A snapshot of the network's totals.
   *
   * @example
   * ```ts
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const { sent, delivered, dropped } = new MemoryNetwork().stats;
   * console.assert(sent === delivered + dropped.loss);
   * ```
   */
  get stats(): NetworkStats {
    return {
      sent: this.#sent,
      delivered: this.#delivered,
      dropped: {
        loss: this.#dropLoss,
        partition: this.#dropPartition,
        crashed: this.#dropCrashed,
        mtu: this.#dropMtu,
        unbound: this.#dropUnbound,
      },
      bytes: this.#bytes,
    };
  }

  /**
   * A snapshot of one address's counters (zeros for an address never bound).
   *
   * @example
   * ```ts
   * import { MemoryNetwork, VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * const network = new MemoryNetwork({ clock });
   * const a = network.bind(), b = network.bind();
   * b.listen(() => {});
   * a.send(b.address, new Uint8Array(3));
   * clock.advance(0);
   * console.assert(network.statsFor(b.address).receivedBytes === 3);
   * await a.close();
   * await b.close();
   * ```
   */
  statsFor(address: string): AddressStats {
    const s = this.#addressStats.get(address);
    return s
      ? {
        sentPackets: s.sentPackets,
        sentBytes: s.sentBytes,
        receivedPackets: s.receivedPackets,
        receivedBytes: s.receivedBytes,
      }
      : { sentPackets: 0, sentBytes: 0, receivedPackets: 0, receivedBytes: 0 };
  }

  // ---- binding ----

  #allocate(): string {
    for (;;) {
      const n = this.#nextAuto++;
      const c = n % 254 + 1; // 1..254
      const ab = Math.floor(n / 254);
      if (ab > 0xffff) throw new Deno.errors.AddrInUse("MemoryNetwork ran out of addresses");
      const addr = `10.${ab >>> 8}.${ab & 0xff}.${c}:7946`;
      if (!this.#bound.has(addr)) return addr;
    }
  }

  #allocateEphemeral(host: string, hostname: string): string {
    for (let i = 0; i < 16384; i++) {
      const port = 49152 + (this.#nextEphemeral++ % 16384);
      const addr = `${host}:${port}`;
      if (!this.#bound.has(addr)) return addr;
    }
    throw new Deno.errors.AddrInUse(`no free port left on ${hostname} in this MemoryNetwork`);
  }

  #close(ep: Endpoint): void {
    if (ep.closed) return;
    ep.closed = true;
    ep.handler = undefined;
    this.#bound.delete(ep.address);
    if (ep.pendingIn > 0) {
      // Drop what is in flight to it, so no timer outlives the last transport.
      this.#dropUnbound += this.#heap.removeWhere((p) => p.to === ep);
      ep.pendingIn = 0;
      if (!this.#firing) this.#arm();
    }
  }

  // ---- partitions ----

  #groupFor(address: string): number {
    return this.#groupOf.get(address) ?? this.#defaultGroup;
  }

  /** Recomputes group ids and the blocked pairs after partitions change. */
  #regroup(): void {
    const parts = this.#partitions;
    this.#groupOf = new Map();
    this.#blocked = new Set();
    this.#defaultGroup = 0;
    if (parts.length > 0) {
      // An address's side in every partition: 0 none, 1 in a, 2 in b.
      const sides = (addr: string): string => {
        let key = "";
        for (const p of parts) {
          if (p.a.has(addr)) key += "1";
          else if (p.b === null || p.b.has(addr)) key += "2";
          else key += "0";
        }
        return key;
      };
      const ids = new Map<string, number>();
      const vectors: string[] = [];
      const idOf = (key: string): number => {
        let id = ids.get(key);
        if (id === undefined) {
          id = vectors.length;
          ids.set(key, id);
          vectors.push(key);
        }
        return id;
      };
      // Unlisted addresses: only the "everyone else" side of open partitions.
      let defaultKey = "";
      for (const p of parts) defaultKey += p.b === null ? "2" : "0";
      this.#defaultGroup = idOf(defaultKey);
      for (const p of parts) {
        for (const x of p.a) if (!this.#groupOf.has(x)) this.#groupOf.set(x, idOf(sides(x)));
        if (p.b) {
          for (const x of p.b) if (!this.#groupOf.has(x)) this.#groupOf.set(x, idOf(sides(x)));
        }
      }
      for (let g = 0; g < vectors.length; g++) {
        for (let h = g + 1; h < vectors.length; h++) {
          const u = vectors[g], v = vectors[h];
          for (let i = 0; i < u.length; i++) {
            if ((u[i] === "1" && v[i] === "2") || (u[i] === "2" && v[i] === "1")) {
              this.#blocked.add(g * GROUP_KEY + h);
              this.#blocked.add(h * GROUP_KEY + g);
              break;
            }
          }
        }
      }
    }
    for (const ep of this.#bound.values()) ep.group = this.#groupFor(ep.address);
  }

  // ---- the datagram path ----

  #send(from: Endpoint, to: string, data: Uint8Array): void {
    if (from.closed) return;
    const size = data.byteLength;
    this.#sent++;
    this.#bytes += size;
    const fs = from.stats;
    fs.sentPackets++;
    fs.sentBytes += size;
    if (this.#tap !== undefined) this.#tap(from.address, to, data);
    if (size > this.#mtu) {
      this.#dropMtu++;
      return;
    }
    const dst = this.#bound.get(to);
    if (dst === undefined) {
      this.#dropUnbound++;
      return;
    }
    if (from.crashed || dst.crashed) {
      this.#dropCrashed++;
      return;
    }
    if (this.#blocked.size > 0 && this.#blocked.has(from.group * GROUP_KEY + dst.group)) {
      this.#dropPartition++;
      return;
    }
    let delay = this.#delay, jitter = this.#jitter, loss = this.#loss;
    if (from.links !== undefined) {
      const link = from.links.get(to);
      if (link !== undefined) {
        if (link.delay !== undefined) delay = link.delay;
        if (link.jitter !== undefined) jitter = link.jitter;
        if (link.loss !== undefined) loss = link.loss;
      }
    }
    if (loss > 0 && this.#random.next() < loss) {
      this.#dropLoss++;
      return;
    }
    if (jitter > 0) delay += this.#random.next() * jitter;
    const at = this.#clock.now() + delay;
    dst.pendingIn++;
    this.#heap.push(at, ++this.#seq, new Packet(from, dst, new Uint8Array(data)));
    if (!this.#firing && (!this.#armed || at < this.#armedAt)) this.#arm();
  }

  /** Arms the single clock timer for the earliest datagram, or clears it. */
  #arm(): void {
    const heap = this.#heap;
    if (heap.size === 0) {
      if (this.#armed) {
        this.#clock.clearTimeout(this.#timer);
        this.#armed = false;
        this.#armedAt = Infinity;
        this.#timer = undefined;
      }
      return;
    }
    const at = heap.peekAt();
    if (this.#armed) {
      if (this.#armedAt <= at) return;
      this.#clock.clearTimeout(this.#timer);
    }
    this.#armed = true;
    this.#armedAt = at;
    this.#timer = this.#clock.setTimeout(this.#fire, Math.max(0, at - this.#clock.now()));
  }

  /** The timer callback: delivers what is due, then re-arms. */
  readonly #fire = (): void => {
    // Timers may fire a little early on a real clock: what we armed for is due.
    const limit = Math.max(this.#armedAt, this.#clock.now());
    this.#armed = false;
    this.#armedAt = Infinity;
    this.#timer = undefined;
    // Datagrams sent while delivering wait for the next timer, like any timer
    // set now, so a zero-delay exchange cannot starve other timers.
    const lastSeq = this.#seq;
    this.#firing = true;
    try {
      const heap = this.#heap;
      while (heap.size > 0 && heap.peekAt() <= limit && heap.peekSeq() <= lastSeq) {
        this.#deliver(heap.pop()!);
      }
    } finally {
      this.#firing = false;
      this.#arm();
    }
  };

  #deliver(p: Packet): void {
    const dst = p.to;
    dst.pendingIn--;
    const handler = dst.handler;
    if (dst.closed || handler === undefined) {
      this.#dropUnbound++;
      return;
    }
    if (dst.crashed) {
      this.#dropCrashed++;
      return;
    }
    if (this.#blocked.size > 0) {
      const src = p.from;
      const g = src.closed ? this.#groupFor(src.address) : src.group;
      if (this.#blocked.has(g * GROUP_KEY + dst.group)) {
        this.#dropPartition++;
        return;
      }
    }
    const size = p.data.byteLength;
    this.#delivered++;
    const ds = dst.stats;
    ds.receivedPackets++;
    ds.receivedBytes += size;
    handler(p.from.address, p.data);
  }
}

/**
 * A {@link Transport} on a {@link MemoryNetwork}; get one from
 * {@link MemoryNetwork.bind}. `send` never throws and never delivers
 * synchronously; the datagram is copied, so the sender may reuse its buffer.
 * `close` unbinds the address and drops datagrams in flight to it;
 * datagrams it already sent still arrive.
 *
 * @example
 * ```ts
 * import type { Transport } from "@gossip/peer";
 * import { MemoryNetwork } from "@gossip/peer/testing";
 * const network = new MemoryNetwork();
 * const t: Transport = network.bind();
 * const got = new Promise<string>((resolve) => t.listen((from) => resolve(from)));
 * t.send(t.address, new Uint8Array([1]));
 * console.assert(await got === t.address);
 * await t.close();
 * ```
 */
export class MemoryTransport implements Transport {
  readonly #ep: Endpoint;

  /** Not for direct use (throws `TypeError`): transports come from {@link MemoryNetwork.bind}. */
  constructor() {
    const ep = creating;
    creating = undefined;
    if (ep === undefined) {
      throw new TypeError("a MemoryTransport is created by MemoryNetwork.bind(), not new");
    }
    this.#ep = ep;
  }

  /** The bound address, `host:port`. */
  get address(): string {
    return this.#ep.address;
  }

  /** Whether {@link MemoryTransport.close} was called. */
  get closed(): boolean {
    return this.#ep.closed;
  }

  /**
   * Starts delivering datagrams to `handler` (a second call replaces it).
   * Datagrams that arrive before `listen` are dropped.
   */
  listen(handler: DatagramHandler): void {
    if (!this.#ep.closed) this.#ep.handler = handler;
  }

  /** Sends one datagram to `to`; drops it silently when it cannot go (see the stats). */
  send(to: string, data: Uint8Array): void {
    netSend(this.#ep.net, this.#ep, to, data);
  }

  /** Unbinds the address and drops datagrams in flight to it. Idempotent. */
  close(): Promise<void> {
    netClose(this.#ep.net, this.#ep);
    return Promise.resolve();
  }
}
