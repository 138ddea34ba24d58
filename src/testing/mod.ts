/**
 * # @gossip/peer/testing: many nodes, no sockets
 *
 * Tools to test an application built on `@gossip/peer` against a whole
 * cluster inside one process, deterministically and without real time:
 *
 * - {@link MemoryNetwork} hands out {@link MemoryTransport}s that exchange
 *   datagrams through memory, with delay, jitter, loss, per-link settings,
 *   partitions, crashes and an MTU. Give one to `GossipNode.start` as its
 *   `transport`.
 * - {@link VirtualClock} is a clock that moves only when told to, and
 *   {@link seededRandom} a repeatable random source: pass them as `clock`
 *   and `random`, and a run is exact and repeatable.
 * - {@link Simulation} puts it all together: real `GossipNode`s on one
 *   network and clock, numbered from 0, with crashes, restarts,
 *   partitions, an event log, convergence checks and {@link Broadcast}s
 *   followed to every node.
 *
 * @example A cluster of 20, a crash, and the crash detected
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulation } from "@gossip/peer/testing";
 *
 * await using sim = new Simulation({ seed: 1 });
 * await sim.addNodes(20);
 * sim.bootstrap(); // every node knows every other one
 * sim.crash(7);
 * assert.ok(sim.runUntil(() => sim.node(0)!.peers().length === 18, 30_000));
 * ```
 *
 * @module
 */

export { MemoryNetwork } from "./memory_network.ts";
export { MemoryTransport } from "./memory_transport.ts";
export type { LinkOptions, MemoryNetworkOptions } from "./network_options.ts";
export type { AddressStats, DropStats, NetworkStats } from "./network_stats.ts";
export { Simulation } from "./simulation.ts";
export type {
  EventFilter,
  NodeOptions,
  SimulationOptions,
  TraceEvent,
  Traffic,
  TrafficSnapshot,
} from "./simulation_types.ts";
export { Broadcast } from "./broadcast.ts";
export { VirtualClock } from "./virtual_clock.ts";
export { seededRandom } from "./random.ts";
export type { Clock } from "../clock.ts";
export type { Random } from "../engine.ts";
export type { Transport } from "../net/transport.ts";
