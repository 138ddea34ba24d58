/**
 * What a {@link GossipNode} drives: a protocol state machine fed datagrams and
 * timer callbacks. {@link Protocol} speaks the native wire format;
 * `SeedProtocol` speaks the original plain-text one.
 *
 * @module
 */

import type { Member } from "./core/membership.ts";
import type { DropReason, NodeMetrics } from "./metrics.ts";

/**
 * The protocol engine interface shared by the native and seed wire formats.
 *
 * @example
 * ```ts
 * import { type Engine, profile, Protocol, seededRandom, VirtualClock } from "@gossip/peer";
 * const engine: Engine = new Protocol({
 *   self: "10.0.0.1:1",
 *   clock: new VirtualClock(),
 *   random: seededRandom(1),
 *   send: () => {},
 *   emit: () => {},
 * }, profile("lan"));
 * ```
 */
export interface Engine {
  /** This node's address. */
  readonly self: string;
  /** This node's incarnation (always 0 where the wire format has none). */
  readonly incarnation: number;
  /** Whether a seed has let this node in (true without seeds). */
  readonly joined: boolean;
  /** Starts timers and the join. */
  start(): void;
  /** Stops every timer; nothing more is sent or handled. */
  stop(): void;
  /** Announces a graceful leave, where the wire format can say so. */
  leave(): void;
  /** Handles one datagram; never throws for bad input. */
  receive(from: string, data: Uint8Array): void;
  /** Broadcasts a payload; returns its id. */
  broadcast(payload: Uint8Array): number;
  /** Live peers, self excluded. */
  peers(): string[];
  /** All known members, self first. */
  members(): Member[];
  /** Counters. */
  metrics(): NodeMetrics;
  /** Counts a datagram dropped by a layer around the engine. */
  countDrop(reason: DropReason, from: string, detail: string): void;
}

/**
 * A source of uniformly distributed numbers in `[0, 1)`: the engine's only
 * randomness. Real nodes use `Math.random()`; tests and the simulator a
 * seeded generator, so a run is exact and repeatable.
 *
 * @example
 * ```ts
 * import type { Random } from "@gossip/peer";
 * let x = 0;
 * const steps: Random = { next: () => (x = (x + 0.25) % 1) };
 * ```
 */
export interface Random {
  /** The next number in `[0, 1)`. */
  next(): number;
}
