/**
 * The option, event and traffic types of a {@link Simulation}.
 *
 * @module
 */

import type { ProfileName, ProtocolConfig } from "../core/config.ts";
import type { GossipNodeEventMap } from "../node.ts";

/**
 * How a {@link Simulation} is set up; every field is optional.
 *
 * @example A lossy, jittery network and a protocol setting for every node
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulation, type SimulationOptions } from "@gossip/peer/testing";
 * const options: SimulationOptions = {
 *   seed: 42,
 *   delay: 5,
 *   jitter: 5,
 *   loss: 0.3,
 *   config: { fanout: 4 },
 * };
 * await using sim = new Simulation(options);
 * assert.equal(sim.config.fanout, 4);
 * assert.equal(sim.network.loss, 0.3);
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
   * message) in {@link Simulation.trace}, for {@link Simulation.events} and
   * {@link Simulation.traceHash}. Default false: at thousands of nodes a
   * trace holds millions of events.
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
 * How nodes are started by {@link Simulation.addNodes} and
 * {@link Simulation.restart}; every field is optional.
 *
 * @example Nodes with their own settings, joining through node 0
 * ```ts
 * import assert from "node:assert/strict";
 * import { type NodeOptions, Simulation } from "@gossip/peer/testing";
 * await using sim = new Simulation();
 * await sim.addNodes(1);
 * const options: NodeOptions = { seeds: [0], config: { reapAfter: 30_000 } };
 * const [i] = await sim.addNodes(1, options);
 * assert.equal(sim.node(i)!.config.reapAfter, 30_000);
 * assert.ok(sim.runUntil(() => sim.converged(), 10_000));
 * ```
 */
export interface NodeOptions {
  /** Indices of the nodes to join through. */
  seeds?: number[];
  /** Protocol settings for these nodes, over the simulation's `config`. */
  config?: Partial<ProtocolConfig>;
  /** Initial tags of these nodes (a restart keeps them unless given new ones). */
  tags?: Record<string, string>;
}

/**
 * One event of a node, in a {@link Simulation}'s event log.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulation, type TraceEvent } from "@gossip/peer/testing";
 * await using sim = new Simulation({ trace: true });
 * await sim.addNodes(1);
 * await sim.addNodes(1, { seeds: [0] });
 * sim.run(1_000);
 * const joins: TraceEvent[] = sim.events({ type: "join", node: 0 });
 * assert.equal(joins.length, 1);
 * assert.equal(joins[0].about, 1);
 * assert.equal(joins[0].subject, `${sim.address(1)}#0`);
 * ```
 */
export interface TraceEvent {
  /** Virtual time, milliseconds. */
  time: number;
  /** Index of the node that saw it. */
  node: number;
  /** The event type. */
  type: keyof GossipNodeEventMap;
  /**
   * `address#incarnation` of the member it is about, `origin/id@hops` for a
   * message, or the seed's address for `joined`.
   */
  subject: string;
  /**
   * Index of the node it is about: the member, the message's origin, or the
   * seed for `joined`; -1 for an address outside the simulation.
   */
  about: number;
}

/**
 * Which events {@link Simulation.events} returns; every field is optional
 * and they all must match.
 *
 * @example Who learned of node 2, and when
 * ```ts
 * import assert from "node:assert/strict";
 * import { type EventFilter, Simulation } from "@gossip/peer/testing";
 * await using sim = new Simulation({ trace: true });
 * await sim.addNodes(1);
 * await sim.addNodes(2, { seeds: [0] });
 * sim.run(2_000);
 * const aboutNode2: EventFilter = { type: "join", about: 2 };
 * const seenBy = sim.events(aboutNode2).map((e) => e.node).sort();
 * assert.deepEqual(seenBy, [0, 1]);
 * assert.deepEqual(sim.events({ ...aboutNode2, since: sim.now + 1 }), []);
 * ```
 */
export interface EventFilter {
  /** Only events of this type. */
  type?: keyof GossipNodeEventMap;
  /** Only events seen by this node. */
  node?: number;
  /** Only events about this node (see {@link TraceEvent.about}). */
  about?: number;
  /** Only events at or after this virtual time. */
  since?: number;
}

/**
 * Per-node traffic over an interval, from {@link Simulation.trafficSince}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulation, type Traffic } from "@gossip/peer/testing";
 * await using sim = new Simulation();
 * await sim.addNodes(3);
 * sim.bootstrap();
 * const mark = sim.snapshot();
 * sim.run(1000);
 * const t: Traffic = sim.trafficSince(mark);
 * assert.equal(t.packets.length, 3);
 * assert.equal(t.duration, 1000);
 * assert.ok(t.totalPackets > 0);
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
 * import assert from "node:assert/strict";
 * import { Simulation, type TrafficSnapshot } from "@gossip/peer/testing";
 * await using sim = new Simulation();
 * await sim.addNodes(2);
 * const mark: TrafficSnapshot = sim.snapshot();
 * assert.equal(mark.time, 0);
 * assert.deepEqual([...mark.packets], [0, 0]);
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
