/**
 * A deterministic cluster simulator: real {@link GossipNode}s (the same
 * class, protocol and codec that run on UDP) on one in-process
 * {@link MemoryNetwork}, driven by a {@link VirtualClock}, with every random
 * choice drawn from generators seeded by one number. The same seed gives the
 * same run, event for event.
 *
 * @module
 */

import { profile, type ProtocolConfig } from "../core/config.ts";
import type { MemberState } from "../wire/message.ts";
import { GossipNode } from "../node.ts";
import { BroadcastFollower } from "./_broadcast_follower.ts";
import { BOOTSTRAP_ADDRESS, bootstrapInfo } from "./_bootstrap.ts";
import { Recorder } from "./_recorder.ts";
import { between, snapshot } from "./_traffic.ts";
import { allSee, converged, stateIn, tablesAgree } from "./_views.ts";
import type { Broadcast } from "./broadcast.ts";
import { MemoryNetwork } from "./memory_network.ts";
import type { MemoryTransport } from "./memory_transport.ts";
import type { AddressStats, NetworkStats } from "./network_stats.ts";
import { mixSeed, seededRandom } from "./random.ts";
import type {
  EventFilter,
  NodeOptions,
  SimulationOptions,
  TraceEvent,
  Traffic,
  TrafficSnapshot,
} from "./simulation_types.ts";
import { VirtualClock } from "./virtual_clock.ts";

/**
 * A simulated cluster. Nodes are numbered from 0 in the order they are
 * added; each has its own address (`10.x.y.z:7946`) and its own random
 * generator derived from the seed (and how often it was restarted).
 *
 * Building a cluster: {@link Simulation.addNodes} with `seeds` starts nodes
 * that join through the real INIT/INFO/CONN exchange (a join storm, when
 * many join through one seed at once); {@link Simulation.bootstrap} is the
 * fast path for large clusters: every node is handed the full member table
 * as INFO datagrams, through the network and the node's real INFO handler.
 *
 * Time moves only through {@link Simulation.run} and
 * {@link Simulation.runUntil}. Failures: {@link Simulation.crash},
 * {@link Simulation.leave}, {@link Simulation.restart},
 * {@link Simulation.partition}, and the {@link MemoryNetwork} itself
 * (`sim.network.loss`, `setLink`). Checks: {@link Simulation.converged},
 * {@link Simulation.allSee}, {@link Simulation.falseDeaths}, the event log
 * ({@link Simulation.events}, with `trace`), and {@link Broadcast}s.
 *
 * @example Crash, partition, heal: everyone agrees again, nobody live died
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulation } from "@gossip/peer/testing";
 * await using sim = new Simulation({ seed: 11 });
 * await sim.addNodes(20);
 * sim.bootstrap();
 * sim.crash(5);
 * assert.ok(sim.runUntil(() => sim.allSee(5, "dead"), 30_000));
 * assert.deepEqual(sim.falseDeaths(), []);
 * sim.partition([0, 1, 2, 3, 4]);
 * sim.run(5_000);
 * sim.heal();
 * await sim.restart(5);
 * assert.ok(sim.runUntil(() => sim.converged(), 60_000));
 * assert.equal(sim.node(0)!.peers().length, 19);
 * ```
 */
export class Simulation {
  /** The virtual clock every node and the network run on. */
  readonly clock: VirtualClock;
  /** The in-process network. */
  readonly network: MemoryNetwork;
  /** The seed of every random choice. */
  readonly seed: number;
  /** The protocol settings every node starts with (before its own `config`). */
  readonly config: Readonly<ProtocolConfig>;

  #options: SimulationOptions;
  #nodes: (GossipNode | undefined)[] = [];
  #nodeConfig: (Partial<ProtocolConfig> | undefined)[] = [];
  #nodeTags: (Record<string, string> | undefined)[] = [];
  #addresses: string[] = [];
  #index = new Map<string, number>();
  #generation: number[] = [];
  #closing: Promise<void>[] = [];
  #up = 0;
  #follower: BroadcastFollower;
  #recorder: Recorder;
  #closed = false;

  /**
   * Creates an empty simulation; add nodes with {@link Simulation.addNodes}.
   * Throws `RangeError` for a bad network setting or protocol setting.
   */
  constructor(options: SimulationOptions = {}) {
    this.#options = options;
    this.seed = options.seed ?? 1;
    this.clock = new VirtualClock();
    this.#follower = new BroadcastFollower((a) => this.indexOf(a), () => this.clock.now());
    this.network = new MemoryNetwork({
      clock: this.clock,
      random: seededRandom(mixSeed(this.seed, 0x6e6574)),
      delay: options.delay ?? 5,
      jitter: options.jitter ?? 5,
      loss: options.loss ?? 0,
      tap: (from, to, data) => {
        this.#follower.tap(from, data);
        options.tap?.(from, to, data);
      },
    });
    this.#recorder = new Recorder({
      network: this.network,
      follower: this.#follower,
      trace: options.trace ?? false,
      trackMembers: options.trackMembers ?? false,
      now: () => this.clock.now(),
      indexOf: (a) => this.indexOf(a),
      isUp: (i) => this.#nodes[i] !== undefined,
      node: (i) => this.#nodes[i],
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

  /** Nodes up that got their INFO answer (or started without seeds). */
  get joinedCount(): number {
    return this.#recorder.progress.joinedCount;
  }

  /**
   * Nodes that know every other node as live (needs `trackMembers`; counts
   * against all `size` nodes, so it is meant for runs without failures).
   */
  get completeCount(): number {
    return this.#recorder.progress.completeCount;
  }

  /** The recorded events, in order (empty unless `trace` was set). */
  get trace(): readonly TraceEvent[] {
    return this.#recorder.log.events;
  }

  /** A 64-bit hash of the trace, as 16 hex digits; equal traces, equal hashes. */
  traceHash(): string {
    return this.#recorder.log.hash();
  }

  /**
   * The recorded events that match `filter` (all of them without one), in
   * order. Throws `Error` unless the simulation records a `trace`.
   */
  events(filter: EventFilter = {}): TraceEvent[] {
    if (!this.#options.trace) throw new Error("events() needs new Simulation({ trace: true })");
    return this.#recorder.log.filter(filter);
  }

  /**
   * Every false death so far: the `dead` event of the node that declared
   * it, about a node that was up and in its reach (not crashed, not
   * partitioned away) both when it began to suspect it and when it declared
   * it dead, and still at the incarnation declared (a refuted incarnation's
   * death cannot stick). Per-link loss set with `setLink` does not count as
   * out of reach. Recorded with or without `trace`.
   */
  falseDeaths(): readonly TraceEvent[] {
    return this.#recorder.falseDeaths;
  }

  /** The address of node `i`; throws `RangeError` for an index never added. */
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

  /** Indices of the nodes up now, ascending. */
  upNodes(): number[] {
    const up: number[] = [];
    for (let i = 0; i < this.#nodes.length; i++) if (this.#nodes[i]) up.push(i);
    return up;
  }

  /** When node `i` joined (virtual ms), or `undefined`. */
  joinedAt(i: number): number | undefined {
    return this.#recorder.progress.joinedAt(i);
  }

  /** When node `i` first knew every other node (needs `trackMembers`), or `undefined`. */
  completeAt(i: number): number | undefined {
    return this.#recorder.progress.completeAt(i);
  }

  /** Live peers of node `i` counted from its events (needs `trackMembers`). */
  knownPeers(i: number): number {
    return this.#recorder.progress.knownPeers(i);
  }

  /**
   * The state of node `subject` in the member table of node `observer`:
   * `undefined` when it is not there (never known, or reaped) or the
   * observer is down.
   */
  memberState(observer: number, subject: number): MemberState | undefined {
    return stateIn(this.#nodes[observer], this.address(subject));
  }

  /**
   * Whether every node up, other than `subject`, holds `subject` as `state`
   * (`undefined`: not at all, as after reaping). True when no other node is up.
   */
  allSee(subject: number, state: MemberState | undefined): boolean {
    return allSee(this.#nodes, subject, this.address(subject), state);
  }

  /** Whether every node up sees exactly the other nodes up as its live peers. */
  converged(): boolean {
    return converged(this.#nodes, (a) => this.indexOf(a));
  }

  /**
   * Whether every node up holds the same member table: the same members,
   * in the same states, at the same incarnations (dead and left ones too).
   */
  tablesAgree(): boolean {
    return tablesAgree(this.#nodes);
  }

  /**
   * Starts `count` new nodes at the current virtual time; returns their
   * indices. With `seeds` (indices of nodes already added) they join
   * through them at once; without, each starts alone (then call
   * {@link Simulation.bootstrap}). `config` overrides protocol settings
   * for these nodes only.
   */
  async addNodes(count: number, options: NodeOptions = {}): Promise<number[]> {
    const seeds = (options.seeds ?? []).map((s) => this.address(s));
    const added: number[] = [];
    for (let k = 0; k < count; k++) {
      const i = this.#nodes.length;
      const transport = this.network.bind();
      this.#addresses.push(transport.address);
      this.#index.set(transport.address, i);
      this.#generation.push(0);
      this.#nodes.push(undefined);
      this.#nodeConfig.push(options.config);
      this.#nodeTags.push(options.tags);
      this.#recorder.progress.add();
      await this.#start(i, transport, seeds);
      added.push(i);
    }
    return added;
  }

  /**
   * Makes every running node know every other one, fast: the member table
   * (every running node alive) is sent to each node as the INFO datagrams a
   * seed answers an INIT with, and goes through the network and the node's
   * real INFO handler. It takes no virtual time, and ends by healing every
   * partition: call it before partitioning. Returns how many INFO datagrams
   * it sent.
   */
  bootstrap(): number {
    const up = this.#nodes.filter((node) => node !== undefined);
    return bootstrapInfo(this.network, this.clock, up, this.config.maxDatagramSize);
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
   * other node that is up), with `config` and `tags` (default: what it had). Stops it
   * first if it is running.
   */
  async restart(i: number, options: NodeOptions = {}): Promise<GossipNode> {
    const address = this.address(i);
    const old = this.#nodes[i];
    if (old) this.#stop(i, old.close());
    await Promise.all(this.#closing);
    this.network.restore(address);
    let via = options.seeds;
    if (via === undefined) {
      const other = this.upNodes().find((j) => j !== i);
      via = other === undefined ? [] : [other];
    }
    if (options.config !== undefined) this.#nodeConfig[i] = options.config;
    if (options.tags !== undefined) this.#nodeTags[i] = options.tags;
    this.#generation[i]++;
    this.#recorder.progress.reset(i);
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
   * datagrams on the wire until {@link Simulation.settle} (or until it is
   * forgotten with {@link Simulation.untrack}). Throws `Error` when node
   * `i` is down.
   */
  broadcastFrom(i: number, payload: Uint8Array = new Uint8Array(16)): Broadcast {
    const node = this.#nodes[i];
    if (!node) throw new Error(`node ${i} is not up`);
    return this.#follower.follow(
      i,
      this.address(i),
      this.size,
      () => this.#up,
      () => node.broadcast(payload),
    );
  }

  /** Stops following `b` (its counters and arrays stay as they are). */
  untrack(b: Broadcast): void {
    this.#follower.forget(this.address(b.origin), b.id);
  }

  /**
   * Runs until no copy of `b` has been sent for `quiet` virtual ms (default
   * ten gossip periods), at most `maxTime` ms; then stops counting its
   * copies. Returns whether it settled.
   */
  settle(b: Broadcast, maxTime = 60_000, quiet: number = 10 * this.config.period): boolean {
    const ok = this.runUntil(() => this.clock.now() - b.lastCopyAt >= quiet, maxTime);
    this.#follower.stopCounting(this.address(b.origin), b.id);
    return ok;
  }

  /**
   * Runs the simulation until `predicate` holds or `maxTime` virtual ms
   * pass; returns whether it held. The predicate is checked after every
   * timer, so keep it cheap, or pass `every` to check it only every that
   * many virtual ms (timers still fire one by one, in order).
   */
  runUntil(predicate: () => boolean, maxTime: number, every = 0): boolean {
    const clock = this.clock;
    const deadline = clock.now() + maxTime;
    if (predicate()) return true;
    if (every > 0) {
      while (clock.now() < deadline) {
        clock.runUntil(Math.min(deadline, clock.now() + every));
        if (predicate()) return true;
      }
      return false;
    }
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
    return snapshot(this.network, this.#addresses, this.clock.now());
  }

  /** What each node sent since `mark` (nodes added since count from zero). */
  trafficSince(mark: TrafficSnapshot): Traffic {
    return between(mark, this.snapshot());
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
    const node = await GossipNode.start({
      ...this.config,
      ...this.#nodeConfig[i],
      // INFO is taken only from a seed a node asked: bootstrap's comes from here.
      infoFrom: [...(this.#nodeConfig[i]?.infoFrom ?? this.config.infoFrom), BOOTSTRAP_ADDRESS],
      profile: options.profile,
      transport,
      clock: this.clock,
      random: seededRandom(mixSeed(this.seed, i, this.#generation[i])),
      seeds,
      tags: this.#nodeTags[i],
    });
    this.#nodes[i] = node;
    this.#up++;
    this.#recorder.watch(i, node);
  }

  #stop(i: number, closing: Promise<void>): void {
    if (!this.#nodes[i]) return;
    this.#nodes[i] = undefined;
    this.#up--;
    this.#recorder.progress.stopped(i);
    this.#closing.push(closing);
  }
}
