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

import { systemClock, systemRandom } from "../clock.ts";
import { AddressAllocator } from "./_addresses.ts";
import { DatagramPath } from "./_datagram_path.ts";
import { Endpoint } from "./_endpoint.ts";
import { Partitions } from "./_partitions.ts";
import { type MemoryTransport, openTransport } from "./memory_transport.ts";
import {
  checkLink,
  checkMs,
  checkMtu,
  checkRate,
  type LinkOptions,
  type MemoryNetworkOptions,
} from "./network_options.ts";
import {
  type AddressStats,
  copyAddressStats,
  type NetworkStats,
  Totals,
  zeroAddressStats,
} from "./network_stats.ts";

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
 * @example Two transports on a virtual clock
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryNetwork, VirtualClock } from "@gossip/peer/testing";
 * const clock = new VirtualClock();
 * const network = new MemoryNetwork({ clock, delay: 10 });
 * const a = network.bind("10.0.0.1:7946");
 * const b = network.bind("10.0.0.2:7946");
 * const got: string[] = [];
 * b.listen((from, data) => got.push(`${from} ${new TextDecoder().decode(data)}`));
 * a.send(b.address, new TextEncoder().encode("hi"));
 * clock.advance(9);
 * assert.deepEqual(got, []);
 * clock.advance(1);
 * assert.deepEqual(got, ["10.0.0.1:7946 hi"]);
 * await a.close();
 * await b.close();
 * ```
 */
export class MemoryNetwork {
  readonly #mtu: number;
  readonly #bound = new Map<string, Endpoint>();
  readonly #addressStats = new Map<string, AddressStats>();
  readonly #crashed = new Set<string>();
  readonly #links = new Map<string, Map<string, LinkOptions>>();
  readonly #partitions = new Partitions();
  readonly #totals = new Totals();
  readonly #path: DatagramPath;
  readonly #allocator = new AddressAllocator();

  /**
   * Creates a network. Throws `RangeError` for a negative delay or jitter, a
   * loss outside `[0, 1]` or an MTU below 1.
   *
   * @param options Clock, randomness, link defaults, MTU and a traffic tap.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * assert.equal(new MemoryNetwork().mtu, 65507);
   * assert.throws(() => new MemoryNetwork({ loss: 2 }), RangeError);
   * ```
   */
  constructor(options: MemoryNetworkOptions = {}) {
    const delay = checkMs("delay", options.delay ?? 0);
    const jitter = checkMs("jitter", options.jitter ?? 0);
    const loss = checkRate("loss", options.loss ?? 0);
    this.#mtu = checkMtu(options.mtu ?? 65507);
    this.#path = new DatagramPath(
      options.clock ?? systemClock,
      options.random ?? systemRandom,
      this.#mtu,
      options.tap,
      this.#bound,
      this.#partitions,
      this.#totals,
    );
    this.#path.delay = delay;
    this.#path.jitter = jitter;
    this.#path.loss = loss;
  }

  /** Base one-way delay in milliseconds; settable, affects datagrams sent afterwards. */
  get delay(): number {
    return this.#path.delay;
  }
  set delay(value: number) {
    this.#path.delay = checkMs("delay", value);
  }

  /** Jitter in milliseconds; settable, affects datagrams sent afterwards. */
  get jitter(): number {
    return this.#path.jitter;
  }
  set jitter(value: number) {
    this.#path.jitter = checkMs("jitter", value);
  }

  /**
   * Loss probability in `[0, 1]`; settable, affects datagrams sent afterwards.
   *
   * @example Change the network's conditions mid-run
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * network.loss = 0.3;
   * network.delay = 20;
   * network.jitter = 5;
   * assert.deepEqual([network.loss, network.delay, network.jitter], [0.3, 20, 5]);
   * assert.throws(() => network.loss = 1.5, RangeError);
   * ```
   */
  get loss(): number {
    return this.#path.loss;
  }
  set loss(value: number) {
    this.#path.loss = checkRate("loss", value);
  }

  /** The largest datagram delivered, in bytes. */
  get mtu(): number {
    return this.#mtu;
  }

  /**
   * How many datagrams are in flight (sent, not yet delivered or dropped).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork, VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * const network = new MemoryNetwork({ clock, delay: 5 });
   * const t = network.bind();
   * t.listen(() => {});
   * t.send(t.address, new Uint8Array(1));
   * assert.equal(network.inFlight, 1);
   * clock.advance(5);
   * assert.equal(network.inFlight, 0);
   * await t.close();
   * ```
   */
  get inFlight(): number {
    return this.#path.inFlight;
  }

  /**
   * Addresses with a bound (open) transport, in bind order.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * const a = network.bind(), b = network.bind();
   * await a.close();
   * assert.deepEqual(network.addresses(), [b.address]);
   * await b.close();
   * ```
   */
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
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * const a = network.bind();
   * const b = network.bind("10.1.1.1:0");
   * assert.equal(a.address, "10.0.0.1:7946");
   * assert.equal(b.address, "10.1.1.1:49152");
   * assert.throws(() => network.bind(a.address), Deno.errors.AddrInUse);
   * await a.close();
   * await b.close();
   * ```
   */
  bind(address?: string): MemoryTransport {
    const addr = this.#allocator.pick(address, this.#bound);
    let stats = this.#addressStats.get(addr);
    if (!stats) {
      stats = zeroAddressStats();
      this.#addressStats.set(addr, stats);
    }
    const ep = new Endpoint(
      this.#path,
      addr,
      stats,
      this.#partitions.groupOf(addr),
      this.#crashed.has(addr),
      this.#links.get(addr),
    );
    this.#bound.set(addr, ep);
    return openTransport(ep);
  }

  /**
   * Overrides delay, jitter and/or loss for datagrams from `from` to `to`
   * (one direction; call twice for both). Fields left out follow the
   * global values. Applies to datagrams sent afterwards.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork, VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * const network = new MemoryNetwork({ clock });
   * const a = network.bind(), b = network.bind();
   * b.listen(() => {});
   * network.setLink(a.address, b.address, { loss: 1 });
   * a.send(b.address, new Uint8Array(1));
   * assert.equal(network.stats.dropped.loss, 1);
   * await a.close();
   * await b.close();
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
   * import assert from "node:assert/strict";
   * import { MemoryNetwork, VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * const network = new MemoryNetwork({ clock });
   * const a = network.bind(), b = network.bind();
   * b.listen(() => {});
   * network.setLink(a.address, b.address, { loss: 1 });
   * network.clearLinks();
   * a.send(b.address, new Uint8Array(1));
   * clock.advance(0);
   * assert.equal(network.stats.delivered, 1);
   * await a.close();
   * await b.close();
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
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * const [a, b, c] = ["10.0.0.1:7946", "10.0.0.2:7946", "10.0.0.3:7946"];
   * network.partition([a, b], [c]);
   * assert.ok(network.isPartitioned(a, c) && network.isPartitioned(c, b));
   * assert.ok(!network.isPartitioned(a, b));
   * network.partition([a]); // isolate one address from everyone
   * assert.ok(network.isPartitioned(a, b));
   * ```
   */
  partition(groupA: Iterable<string>, groupB?: Iterable<string>): void {
    this.#partitions.add(new Set(groupA), groupB === undefined ? null : new Set(groupB));
    this.#regroup();
  }

  /**
   * Removes every partition.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * network.partition(["10.0.0.1:7946"], ["10.0.0.2:7946"]);
   * network.heal();
   * assert.ok(!network.isPartitioned("10.0.0.1:7946", "10.0.0.2:7946"));
   * ```
   */
  heal(): void {
    this.#partitions.clear();
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
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * const a = network.bind(), b = network.bind();
   * network.crash(b.address);
   * a.send(b.address, new Uint8Array(1));
   * assert.equal(network.stats.dropped.crashed, 1);
   * assert.ok(!b.closed, "the crashed transport is not told");
   * await a.close();
   * await b.close();
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
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * network.crash("10.0.0.1:7946");
   * network.restore("10.0.0.1:7946");
   * assert.ok(!network.isCrashed("10.0.0.1:7946"));
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
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * network.crash("10.0.0.1:7946");
   * assert.ok(network.isCrashed("10.0.0.1:7946"));
   * assert.ok(!network.isCrashed("10.0.0.2:7946"));
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
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * network.partition(["10.0.0.1:7946"]);
   * assert.ok(network.isPartitioned("10.0.0.1:7946", "10.0.0.9:7946"));
   * assert.ok(!network.isPartitioned("10.0.0.8:7946", "10.0.0.9:7946"));
   * ```
   */
  isPartitioned(from: string, to: string): boolean {
    const parts = this.#partitions;
    return parts.active && parts.cuts(parts.groupOf(from), parts.groupOf(to));
  }

  /**
   * A snapshot of the network's totals.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork, VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * const network = new MemoryNetwork({ clock });
   * const t = network.bind();
   * t.listen(() => {});
   * t.send(t.address, new Uint8Array(2));
   * clock.advance(0);
   * const { sent, delivered, bytes } = network.stats;
   * assert.deepEqual([sent, delivered, bytes], [1, 1, 2]);
   * await t.close();
   * ```
   */
  get stats(): NetworkStats {
    return this.#totals.snapshot();
  }

  /**
   * A snapshot of one address's counters (zeros for an address never bound).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork, VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * const network = new MemoryNetwork({ clock });
   * const a = network.bind(), b = network.bind();
   * b.listen(() => {});
   * a.send(b.address, new Uint8Array(3));
   * clock.advance(0);
   * assert.equal(network.statsFor(a.address).sentBytes, 3);
   * assert.equal(network.statsFor(b.address).receivedBytes, 3);
   * assert.equal(network.statsFor("10.9.9.9:1").sentPackets, 0);
   * await a.close();
   * await b.close();
   * ```
   */
  statsFor(address: string): AddressStats {
    const s = this.#addressStats.get(address);
    return s ? copyAddressStats(s) : zeroAddressStats();
  }

  /** Gives every bound endpoint its group after the partitions changed. */
  #regroup(): void {
    for (const ep of this.#bound.values()) ep.group = this.#partitions.groupOf(ep.address);
  }
}
