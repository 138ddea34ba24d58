/**
 * A deterministic cluster simulator: thousands of real {@link GossipNode}s
 * (the same class, protocol and codec that run on UDP) on one in-process
 * {@link MemoryNetwork}, driven by a {@link VirtualClock}, with every random
 * choice drawn from generators seeded by one number. The same seed gives the
 * same run, event for event.
 *
 * The network has per-link delay and jitter, random loss, partitions that
 * can be set and healed, and crashes; nodes can be restarted on the same
 * address. {@link Simulation.broadcastFrom} follows one message to every
 * node; a trace of node events (with a hash) checks determinism.
 *
 * @example A thousand nodes, one broadcast
 * ```ts
 * import { Simulation } from "@gossip/peer/testing";
 * await using sim = new Simulation({ seed: 7, loss: 0.1 });
 * await sim.addNodes(1000);
 * sim.bootstrap();
 * const b = sim.broadcastFrom(0);
 * sim.runUntil(() => b.complete, 30_000);
 * console.log(b.timeToReach(0.99), b.hopsToReach(1));
 * ```
 *
 * @module
 */

import { seededRandom } from "./random.ts";
import { VirtualClock } from "./virtual_clock.ts";
import type { Random } from "../engine.ts";
import {
  encodeBody,
  HEADER_SIZE,
  Kind,
  MAGIC,
  pack,
  RECORD_OVERHEAD,
  utf8Length,
} from "../wire/codec.ts";
import { profile, type ProfileName, type ProtocolConfig } from "../core/config.ts";
import type { MemoryTransport } from "./memory_transport.ts";
import type { AddressStats, NetworkStats } from "./network_stats.ts";
import { MemoryNetwork } from "./memory_network.ts";
import type { MemberRecord } from "../wire/message.ts";
import { GossipNode, type GossipNodeEventMap } from "../node.ts";

/**
 * How a {@link Simulation} is set up; every field is optional.
 *
 * @example
 * ```ts
 * import { Simulation, type SimulationOptions } from "@gossip/peer/testing";
 * const options: SimulationOptions = { seed: 42, delay: 5, jitter: 5, loss: 0.3, config: { fanout: 3 } };
 * await using sim = new Simulation(options);
 * ```
 */
export interface SimulationOptions {
  /** Seeds the network's and every node's random generator. Default 1. */
  seed?: number;
  /** Base one-way delay of every link, milliseconds. Default 5. */
  delay?: number;
  /** Extra one-way delay, uniform in `[0, jitter)` ms. Default 5. */
  jitter?: number;
  /** Probability that a datagram is lost. Default 0. */
  loss?: number;
  /** Settings profile of the nodes. Default `"lan"`. */
  profile?: ProfileName;
  /** Protocol settings overriding the profile, for every node. */
  config?: Partial<ProtocolConfig>;
  /**
   * Record every node event (join, suspect, alive, dead, leave, joined,
   * message) in {@link Simulation.trace} and its hash. Default false: at
   * thousands of nodes a trace holds millions of events.
   */
  trace?: boolean;
  /**
   * Count each node's live peers from its events, so that
   * {@link Simulation.completeCount} can say how many nodes know every
   * other one. Costs one event per member learned per node (N² for a
   * cluster of N). Default false.
   */
  trackMembers?: boolean;
  /** Called for every datagram sent, before the network decides its fate (as `MemoryNetworkOptions.tap`). */
  tap?: (from: string, to: string, data: Uint8Array) => void;
}

/**
 * One event of a node, in a {@link Simulation} trace.
 *
 * @example
 * ```ts
 * import type { TraceEvent } from "@gossip/peer/testing";
 * const e: TraceEvent = { time: 205, node: 3, type: "join", subject: "10.0.0.1:7946" };
 * ```
 */
export interface TraceEvent {
  /** Virtual time, milliseconds. */
  time: number;
  /** Index of the node that saw it. */
  node: number;
  /** The event type. */
  type: keyof GossipNodeEventMap;
  /** The member it is about, or `origin/id@hops` for a message, or the seed for `joined`. */
  subject: string;
}

/**
 * Per-node traffic over an interval, from {@link Simulation.trafficSince}.
 *
 * @example
 * ```ts
 * import { Simulation, type Traffic } from "@gossip/peer/testing";
 * await using sim = new Simulation();
 * await sim.addNodes(3);
 * const mark = sim.snapshot();
 * sim.run(1000);
 * const t: Traffic = sim.trafficSince(mark);
 * console.assert(t.packets.length === 3);
 * ```
 */
export interface Traffic {
  /** Virtual milliseconds the interval lasted. */
  duration: number;
  /** Datagrams each node sent (by node index). */
  packets: Float64Array;
  /** Bytes each node sent (by node index). */
  bytes: Float64Array;
  /** Datagrams sent by all nodes. */
  totalPackets: number;
  /** Bytes sent by all nodes. */
  totalBytes: number;
}

/**
 * A point to measure traffic from; see {@link Simulation.snapshot}.
 *
 * @example
 * ```ts
 * import { Simulation, type TrafficSnapshot } from "@gossip/peer/testing";
 * await using sim = new Simulation();
 * const mark: TrafficSnapshot = sim.snapshot();
 * ```
 */
export interface TrafficSnapshot {
  /** Virtual time of the snapshot. */
  readonly time: number;
  /** Datagrams sent so far, by node index. */
  readonly packets: Float64Array;
  /** Bytes sent so far, by node index. */
  readonly bytes: Float64Array;
}

const TRACED: (keyof GossipNodeEventMap)[] = [
  "join",
  "suspect",
  "alive",
  "dead",
  "leave",
  "joined",
  "message",
];

/** A 32-bit mix of a few integers (murmur3 finaliser). */
function mix(...values: number[]): number {
  let h = 0x2545f491;
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca77);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/**
 * One broadcast followed through a {@link Simulation}: when and after how
 * many hops each node delivered it, how many copies were sent, in how many
 * datagrams and bytes. Its arrays fill in as the simulation runs.
 *
 * @example
 * ```ts
 * import { Simulation } from "@gossip/peer/testing";
 * await using sim = new Simulation({ seed: 3 });
 * await sim.addNodes(50);
 * sim.bootstrap();
 * const b = sim.broadcastFrom(0);
 * sim.runUntil(() => b.complete, 10_000);
 * console.assert(b.delivered === 50 && b.timeToReach(1)! > 0);
 * ```
 */
export class Broadcast {
  /** Index of the node that broadcast it. */
  readonly origin: number;
  /** The origin's id for it. */
  readonly id: number;
  /** Virtual time it was broadcast. */
  readonly sentAt: number;
  /**
   * Delivery time of each node (by index), ms after {@link Broadcast.sentAt};
   * `NaN` where not delivered. The origin has 0.
   */
  readonly times: Float64Array;
  /** Relays on the path that delivered it to each node; -1 where not delivered. */
  readonly hops: Int16Array;
  /** Copies each node put on the network (by node index). */
  readonly copiesBy: Uint32Array;
  /** Nodes that have it, the origin included. */
  delivered = 1;
  /** Copies of it put on the network (datagrams may carry other things too). */
  copies = 0;
  /** Datagrams that carried at least one copy. */
  packets = 0;
  /** Bytes of the datagrams that carried a copy. */
  bytes = 0;
  /** Virtual time the last copy was sent. */
  lastCopyAt: number;
  #population: () => number;
  #order: number[] = [];

  /** @internal Made by {@link Simulation.broadcastFrom}. */
  constructor(origin: number, id: number, sentAt: number, size: number, population: () => number) {
    this.origin = origin;
    this.id = id;
    this.sentAt = sentAt;
    this.lastCopyAt = sentAt;
    this.times = new Float64Array(size).fill(NaN);
    this.hops = new Int16Array(size).fill(-1);
    this.copiesBy = new Uint32Array(size);
    this.times[origin] = 0;
    this.hops[origin] = 0;
    this.#order.push(origin);
    this.#population = population;
  }

  /** Whether every node that is up has it. */
  get complete(): boolean {
    return this.delivered >= this.#population();
  }

  /** @internal Records a delivery. */
  record(node: number, at: number, hops: number): void {
    if (node >= this.times.length || !Number.isNaN(this.times[node])) return;
    this.times[node] = at - this.sentAt;
    this.hops[node] = hops;
    this.delivered++;
    this.#order.push(node);
  }

  /**
   * Milliseconds until `fraction` of `population` nodes (default: the nodes
   * up now) had it; `undefined` if that has not happened.
   */
  timeToReach(fraction: number, population: number = this.#population()): number | undefined {
    const k = Math.max(1, Math.ceil(fraction * population - 1e-9));
    if (k > this.#order.length) return undefined;
    return this.times[this.#order[k - 1]];
  }

  /**
   * The most hops among the first `fraction` of `population` deliveries:
   * the epidemic's rounds (generations) to reach that fraction.
   */
  hopsToReach(fraction: number, population: number = this.#population()): number | undefined {
    const k = Math.max(1, Math.ceil(fraction * population - 1e-9));
    if (k > this.#order.length) return undefined;
    let max = 0;
    for (let i = 0; i < k; i++) max = Math.max(max, this.hops[this.#order[i]]);
    return max;
  }
}

/**
 * A simulated cluster. Nodes are numbered from 0 in the order they are
 * added; each has its own address (`10.x.y.z:7946`) and its own random
 * generator derived from the seed (and how often it was restarted).
 *
 * Building a cluster: {@link Simulation.addNodes} with `seeds` starts nodes
 * that join through the real INIT/INFO/CONN exchange (a join storm, when
 * many join through one seed at once); {@link Simulation.bootstrap} is the
 * fast path for large clusters: every node is handed the full member table
 * as INFO datagrams from node 0, through the network and the node's real
 * INFO handler, instead of N nodes each asking node 0 for it.
 *
 * Time moves only through {@link Simulation.run} and
 * {@link Simulation.runUntil}.
 *
 * @example Crash, partition, heal
 * ```ts
 * import { Simulation } from "@gossip/peer/testing";
 * await using sim = new Simulation({ seed: 11 });
 * await sim.addNodes(20);
 * sim.bootstrap();
 * sim.crash(5);
 * sim.partition([0, 1, 2, 3, 4]);
 * sim.run(5_000);
 * sim.heal();
 * await sim.restart(5);
 * sim.run(60_000);
 * console.assert(sim.node(0)!.peers().length === 19);
 * ```
 */
export class Simulation {
  /** The virtual clock every node and the network run on. */
  readonly clock: VirtualClock;
  /** The in-process network. */
  readonly network: MemoryNetwork;
  /** The seed of every random choice. */
  readonly seed: number;
  /** The nodes' effective protocol settings. */
  readonly config: Readonly<ProtocolConfig>;

  #options: SimulationOptions;
  #nodes: (GossipNode | undefined)[] = [];
  #transports: (MemoryTransport | undefined)[] = [];
  #addresses: string[] = [];
  #index = new Map<string, number>();
  #generation: number[] = [];
  #closing: Promise<void>[] = [];
  #up = 0;
  #joinedAt: number[] = [];
  #joined = 0;
  #known: number[] = [];
  #completeAt: number[] = [];
  #complete = 0;
  #target = 0;
  #broadcasts = new Map<string, Broadcast>();
  #counting = new Map<string, Broadcast>();
  #trace: TraceEvent[] = [];
  #hashA = 0x811c9dc5;
  #hashB = 0x01000193;
  #closed = false;

  /**
   * Creates an empty simulation; add nodes with {@link Simulation.addNodes}.
   * Throws `RangeError` for a bad network setting or protocol setting.
   */
  constructor(options: SimulationOptions = {}) {
    this.#options = options;
    this.seed = options.seed ?? 1;
    this.clock = new VirtualClock();
    this.network = new MemoryNetwork({
      clock: this.clock,
      random: seededRandom(mix(this.seed, 0x6e6574)),
      delay: options.delay ?? 5,
      jitter: options.jitter ?? 5,
      loss: options.loss ?? 0,
      tap: (from, to, data) => {
        this.#tap(from, data);
        options.tap?.(from, to, data);
      },
    });
    const config = profile(options.profile ?? "lan");
    Object.assign(config, options.config ?? {});
    this.config = config;
  }

  /** Nodes ever added (up or not); indices run from 0 to `size - 1`. */
  get size(): number {
    return this.#nodes.length;
  }

  /** Nodes running now. */
  get upCount(): number {
    return this.#up;
  }

  /** Virtual time now, milliseconds. */
  get now(): number {
    return this.clock.now();
  }

  /** Nodes that got their INFO answer (or started without seeds). */
  get joinedCount(): number {
    return this.#joined;
  }

  /**
   * Nodes that know every other node as live (needs `trackMembers`; counts
   * against all `size` nodes, so it is meant for runs without failures).
   */
  get completeCount(): number {
    this.#retarget();
    return this.#complete;
  }

  /** The recorded events, in order (empty unless `trace` was set). */
  get trace(): readonly TraceEvent[] {
    return this.#trace;
  }

  /** A 64-bit hash of the trace, as 16 hex digits; equal traces, equal hashes. */
  traceHash(): string {
    return (this.#hashA >>> 0).toString(16).padStart(8, "0") +
      (this.#hashB >>> 0).toString(16).padStart(8, "0");
  }

  /** The address of node `i`. */
  address(i: number): string {
    const a = this.#addresses[i];
    if (a === undefined) throw new RangeError(`no node ${i} (there are ${this.size})`);
    return a;
  }

  /** The index of the node at `address`, or -1. */
  indexOf(address: string): number {
    return this.#index.get(address) ?? -1;
  }

  /** Node `i` if it is up. */
  node(i: number): GossipNode | undefined {
    return this.#nodes[i];
  }

  /** Whether node `i` is up. */
  isUp(i: number): boolean {
    return this.#nodes[i] !== undefined;
  }

  /** When node `i` joined (virtual ms), or `undefined`. */
  joinedAt(i: number): number | undefined {
    const t = this.#joinedAt[i];
    return t === undefined || Number.isNaN(t) ? undefined : t;
  }

  /** When node `i` first knew every other node (needs `trackMembers`), or `undefined`. */
  completeAt(i: number): number | undefined {
    const t = this.#completeAt[i];
    return t === undefined || Number.isNaN(t) ? undefined : t;
  }

  /** Live peers of node `i` counted from its events (needs `trackMembers`). */
  knownPeers(i: number): number {
    return this.#known[i] ?? 0;
  }

  /**
   * Starts `count` new nodes at the current virtual time; returns their
   * indices. With `seeds` (indices of nodes already added) they join
   * through them at once; without, each starts alone (then call
   * {@link Simulation.bootstrap}).
   */
  async addNodes(count: number, options: { seeds?: number[] } = {}): Promise<number[]> {
    const seeds = (options.seeds ?? []).map((s) => this.address(s));
    const added: number[] = [];
    for (let k = 0; k < count; k++) {
      const i = this.#nodes.length;
      const transport = this.network.bind();
      this.#addresses.push(transport.address);
      this.#index.set(transport.address, i);
      this.#generation.push(0);
      this.#nodes.push(undefined);
      this.#transports.push(undefined);
      this.#joinedAt.push(NaN);
      this.#known.push(0);
      this.#completeAt.push(NaN);
      await this.#start(i, transport, seeds);
      added.push(i);
    }
    return added;
  }

  /**
   * Makes every running node know every other one, fast: the member table
   * (every running node alive) is sent to each node as the INFO datagrams a
   * seed answers an INIT with, and goes through the network and the node's
   * real INFO handler. Delay, jitter and loss are off meanwhile, so it takes
   * no virtual time. The datagrams come from a helper address outside the
   * cluster, and nodes that have their table are cut off from those that do
   * not yet, so no node hears from a member it does not know yet (which it
   * would have to admit and gossip about). Ends by healing every partition:
   * call it before partitioning. Returns how many INFO datagrams it sent.
   */
  bootstrap(): number {
    const up: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.#nodes[i]) up.push(i);
    if (up.length < 2) return 0;
    const records: MemberRecord[] = up.map((i) => ({
      address: this.#addresses[i],
      state: "alive",
      incarnation: this.#nodes[i]!.incarnation,
    }));
    const datagrams = this.#infoDatagrams(records);
    const net = this.network;
    const { delay, jitter, loss } = net;
    net.delay = 0;
    net.jitter = 0;
    net.loss = 0;
    const source = net.bind();
    const chunk = 64;
    try {
      for (let k = 0; k < up.length; k += chunk) {
        // This chunk and those before it on one side, the rest on the other.
        const informed = up.slice(0, k + chunk).map((i) => this.#addresses[i]);
        const waiting = up.slice(k + chunk).map((i) => this.#addresses[i]);
        net.heal();
        if (waiting.length > 0) net.partition(informed, waiting);
        for (const i of up.slice(k, k + chunk)) {
          for (const d of datagrams) source.send(this.#addresses[i], d);
        }
        this.clock.advance(0);
      }
    } finally {
      net.heal();
      void source.close();
      net.delay = delay;
      net.jitter = jitter;
      net.loss = loss;
    }
    return datagrams.length * up.length;
  }

  /**
   * Crashes node `i`: it stops at once (no leave) and the network drops
   * everything to and from its address until {@link Simulation.restart}.
   */
  crash(i: number): void {
    const node = this.#nodes[i];
    if (!node) return;
    this.network.crash(this.address(i));
    this.#stop(i, node.close());
  }

  /** Node `i` leaves gracefully (the others mark it `left`) and stops. */
  async leave(i: number): Promise<void> {
    const node = this.#nodes[i];
    if (!node) return;
    const done = node.leave();
    this.#stop(i, done);
    await done;
  }

  /**
   * Starts node `i` again on the same address, as a new process (fresh
   * state, incarnation 0), joining through `seeds` (default: the lowest
   * other node that is up). Stops it first if it is running.
   */
  async restart(i: number, seeds?: number[]): Promise<GossipNode> {
    const address = this.address(i);
    const old = this.#nodes[i];
    if (old) this.#stop(i, old.close());
    await Promise.all(this.#closing);
    this.network.restore(address);
    let via = seeds;
    if (via === undefined) {
      via = [];
      for (let j = 0; j < this.size; j++) {
        if (j !== i && this.#nodes[j]) {
          via.push(j);
          break;
        }
      }
    }
    this.#generation[i]++;
    this.#joinedAt[i] = NaN;
    this.#completeAt[i] = NaN;
    this.#known[i] = 0;
    const transport = this.network.bind(address);
    await this.#start(i, transport, via.map((s) => this.address(s)));
    return this.#nodes[i]!;
  }

  /**
   * Cuts the network between nodes `a` and nodes `b` (by index), both ways;
   * without `b`, between `a` and everyone else. Partitions add up until
   * {@link Simulation.heal}.
   */
  partition(a: number[], b?: number[]): void {
    this.network.partition(
      a.map((i) => this.address(i)),
      b === undefined ? undefined : b.map((i) => this.address(i)),
    );
  }

  /** Removes every partition. */
  heal(): void {
    this.network.heal();
  }

  /**
   * Broadcasts `payload` (default 16 bytes) from node `i` and returns the
   * {@link Broadcast} that follows it. Copies are counted by reading the
   * datagrams on the wire until {@link Simulation.settle} (or
   * {@link Broadcast} is forgotten with {@link Simulation.untrack}).
   */
  broadcastFrom(i: number, payload: Uint8Array = new Uint8Array(16)): Broadcast {
    const node = this.#nodes[i];
    if (!node) throw new Error(`node ${i} is not up`);
    // The id is chosen inside: note the origin's copies that hit the wire meanwhile.
    const origin = this.address(i);
    this.#pendingOrigin = origin;
    this.#pendingCopies = [];
    let id: number;
    try {
      id = node.broadcast(payload);
    } finally {
      this.#pendingOrigin = undefined;
    }
    const b = new Broadcast(i, id, this.clock.now(), this.size, () => this.#up);
    const key = `${origin}/${id}`;
    this.#broadcasts.set(key, b);
    this.#counting.set(key, b);
    for (const p of this.#pendingCopies) {
      const copies = p.ids.filter((x) => x === id).length;
      if (copies > 0) this.#countCopy(b, copies, p.bytes, i);
    }
    this.#pendingCopies = [];
    return b;
  }

  /** Stops following `b` (its counters and arrays stay as they are). */
  untrack(b: Broadcast): void {
    const key = `${this.address(b.origin)}/${b.id}`;
    this.#broadcasts.delete(key);
    this.#counting.delete(key);
  }

  /**
   * Runs until no copy of `b` has been sent for `quiet` virtual ms (default
   * ten gossip periods), at most `maxTime` ms; then stops counting its
   * copies. Returns whether it settled.
   */
  settle(b: Broadcast, maxTime = 60_000, quiet: number = 10 * this.config.period): boolean {
    const ok = this.runUntil(() => this.clock.now() - b.lastCopyAt >= quiet, maxTime);
    this.#counting.delete(`${this.address(b.origin)}/${b.id}`);
    return ok;
  }

  /**
   * Runs the simulation until `predicate` holds (checked after every timer,
   * so keep it cheap) or `maxTime` virtual ms pass. Returns whether it held.
   */
  runUntil(predicate: () => boolean, maxTime: number): boolean {
    const clock = this.clock;
    const deadline = clock.now() + maxTime;
    if (predicate()) return true;
    for (;;) {
      const next = clock.nextAt();
      if (next === undefined || next > deadline) {
        clock.runUntil(deadline);
        return predicate();
      }
      clock.step();
      if (predicate()) return true;
    }
  }

  /** Runs the simulation for `ms` virtual milliseconds. */
  run(ms: number): void {
    this.clock.advance(ms);
  }

  /** Traffic counters of node `i`'s address (kept across restarts). */
  statsFor(i: number): AddressStats {
    return this.network.statsFor(this.address(i));
  }

  /** The network's totals. */
  get stats(): NetworkStats {
    return this.network.stats;
  }

  /** Every node's traffic counters now, to measure an interval from. */
  snapshot(): TrafficSnapshot {
    const n = this.size;
    const packets = new Float64Array(n), bytes = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const s = this.network.statsFor(this.#addresses[i]);
      packets[i] = s.sentPackets;
      bytes[i] = s.sentBytes;
    }
    return { time: this.clock.now(), packets, bytes };
  }

  /** What each node sent since `mark` (nodes added since count from zero). */
  trafficSince(mark: TrafficSnapshot): Traffic {
    const now = this.snapshot();
    const n = now.packets.length;
    const packets = new Float64Array(n), bytes = new Float64Array(n);
    let totalPackets = 0, totalBytes = 0;
    for (let i = 0; i < n; i++) {
      packets[i] = now.packets[i] - (mark.packets[i] ?? 0);
      bytes[i] = now.bytes[i] - (mark.bytes[i] ?? 0);
      totalPackets += packets[i];
      totalBytes += bytes[i];
    }
    return { duration: now.time - mark.time, packets, bytes, totalPackets, totalBytes };
  }

  /** Stops every node and drains the network. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (let i = 0; i < this.size; i++) {
      const node = this.#nodes[i];
      if (node) this.#stop(i, node.close());
    }
    await Promise.all(this.#closing);
    this.#closing = [];
    this.clock.advance(this.network.delay + this.network.jitter + 1);
  }

  /** `await using sim = new Simulation()` closes it at scope end. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- internals ------------------------------------------------------------

  async #start(i: number, transport: MemoryTransport, seeds: string[]): Promise<void> {
    const options = this.#options;
    const random: Random = seededRandom(mix(this.seed, i, this.#generation[i]));
    const node = await GossipNode.start({
      ...this.config,
      profile: options.profile,
      transport,
      clock: this.clock,
      random,
      seeds,
    });
    this.#nodes[i] = node;
    this.#transports[i] = transport;
    this.#up++;
    node.addEventListener("message", (e) => {
      const d = e.detail;
      const b = this.#broadcasts.get(`${d.from}/${d.id}`);
      if (b) b.record(i, this.clock.now(), d.hops);
    });
    if (node.joined) {
      this.#markJoined(i);
    } else {
      node.addEventListener("joined", () => this.#markJoined(i));
    }
    if (options.trackMembers) {
      node.addEventListener("join", () => this.#count(i, 1));
      node.addEventListener("dead", () => this.#count(i, -1));
      node.addEventListener("leave", () => this.#count(i, -1));
    }
    if (options.trace) {
      for (const type of TRACED) {
        node.addEventListener(type, (e: Event) => this.#record(i, type, e as CustomEvent));
      }
    }
  }

  #stop(i: number, closing: Promise<void>): void {
    if (!this.#nodes[i]) return;
    this.#nodes[i] = undefined;
    this.#transports[i] = undefined;
    this.#up--;
    if (!Number.isNaN(this.#joinedAt[i])) this.#joined--;
    if (this.#known[i] === this.#target) this.#complete--;
    this.#known[i] = 0;
    this.#closing.push(closing);
  }

  #markJoined(i: number): void {
    if (!Number.isNaN(this.#joinedAt[i])) return;
    this.#joinedAt[i] = this.clock.now();
    this.#joined++;
  }

  #retarget(): void {
    const target = this.size - 1;
    if (target === this.#target) return;
    this.#target = target;
    let complete = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.#nodes[i] && this.#known[i] === target) complete++;
    }
    this.#complete = complete;
  }

  #count(i: number, delta: number): void {
    this.#retarget();
    const before = this.#known[i];
    const after = before + delta;
    this.#known[i] = after;
    if (before === this.#target) this.#complete--;
    if (after === this.#target) {
      this.#complete++;
      if (Number.isNaN(this.#completeAt[i])) this.#completeAt[i] = this.clock.now();
    }
  }

  #record(i: number, type: keyof GossipNodeEventMap, e: CustomEvent): void {
    const d = e.detail as Record<string, unknown>;
    let subject: string;
    if (type === "message") subject = `${d.from}/${d.id}@${d.hops}`;
    else if (type === "joined") subject = String(d.seed);
    else subject = `${d.address}#${d.incarnation}`;
    const event: TraceEvent = { time: this.clock.now(), node: i, type, subject };
    this.#trace.push(event);
    const text = `${event.time}|${i}|${type}|${subject};`;
    let a = this.#hashA, b = this.#hashB;
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 13;
    }
    this.#hashA = a;
    this.#hashB = b;
  }

  #infoDatagrams(records: MemberRecord[]): Uint8Array[] {
    // Same framing as the protocol's INFO split: header, kind, u16 count, records.
    const budget = this.config.maxDatagramSize - HEADER_SIZE - 1 - 2;
    const out: Uint8Array[] = [];
    let part: MemberRecord[] = [];
    let used = 0;
    for (const r of records) {
      const cost = RECORD_OVERHEAD + utf8Length(r.address);
      if (used + cost > budget && part.length > 0) {
        out.push(pack([encodeBody({ type: "info", members: part })]));
        part = [];
        used = 0;
      }
      part.push(r);
      used += cost;
    }
    if (part.length > 0) out.push(pack([encodeBody({ type: "info", members: part })]));
    return out;
  }

  #pendingOrigin: string | undefined;
  #pendingCopies: { ids: number[]; bytes: number }[] = [];

  #countCopy(b: Broadcast, copies: number, bytes: number, sender: number): void {
    b.copies += copies;
    if (sender >= 0 && sender < b.copiesBy.length) b.copiesBy[sender] += copies;
    b.packets++;
    b.bytes += bytes;
    b.lastCopyAt = this.clock.now();
  }

  /** Reads the GOSP messages of a datagram on the wire, to count copies of followed broadcasts. */
  #tap(from: string, data: Uint8Array): void {
    if (this.#counting.size === 0 && this.#pendingOrigin === undefined) return;
    if (data.length < HEADER_SIZE + 1 || data[0] !== MAGIC) return;
    let found: Map<Broadcast, number> | undefined;
    let pending: number[] | undefined;
    const visit = (start: number, end: number): void => {
      if (end - start < 1 || data[start] !== Kind.gosp) return;
      // kind, str8 origin, u32 id, ...
      const n = data[start + 1];
      if (start + 2 + n + 4 > end) return;
      let origin = "";
      for (let k = start + 2; k < start + 2 + n; k++) origin += String.fromCharCode(data[k]);
      const p = start + 2 + n;
      const id = ((data[p] << 24) | (data[p + 1] << 16) | (data[p + 2] << 8) | data[p + 3]) >>> 0;
      const b = this.#counting.get(`${origin}/${id}`);
      if (b) {
        found ??= new Map();
        found.set(b, (found.get(b) ?? 0) + 1);
      } else if (origin === this.#pendingOrigin) {
        (pending ??= []).push(id);
      }
    };
    if (data[HEADER_SIZE] === Kind.batch) {
      const count = data[HEADER_SIZE + 1];
      let pos = HEADER_SIZE + 2;
      for (let k = 0; k < count && pos + 2 <= data.length; k++) {
        const len = (data[pos] << 8) | data[pos + 1];
        pos += 2;
        visit(pos, Math.min(data.length, pos + len));
        pos += len;
      }
    } else {
      visit(HEADER_SIZE, data.length);
    }
    if (pending) this.#pendingCopies.push({ ids: pending, bytes: data.length });
    if (!found) return;
    const sender = this.#index.get(from) ?? -1;
    for (const [b, copies] of found) this.#countCopy(b, copies, data.length, sender);
  }
}
