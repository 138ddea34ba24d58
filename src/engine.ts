/**
 * The contract between a {@link GossipNode} and the protocol engine it drives.
 *
 * An engine is a sans-IO state machine: it is fed datagrams
 * ({@link Engine.receive}) and the timers it asked for ({@link Engine.fire}),
 * and everything it needs from the world comes in through its
 * {@link EngineEnv}: the time, randomness, sending, scheduling and reporting
 * events. Timers are data: a named value the engine hands to
 * {@link EngineEnv.schedule} and gets back in {@link Engine.fire}, so a host
 * (or a test) can see what is scheduled and fire it when it chooses.
 *
 * Two engines implement it: the native one (src/core/) and the one that
 * speaks the original plain-text format (src/seed/).
 *
 * @module
 */

import type { GossipNodeEventMap } from "./events.ts";
import type { EngineMetrics } from "./metrics.ts";
import type { MemberState } from "./wire/message.ts";

/**
 * A source of uniformly distributed numbers in `[0, 1)`: the engine's only
 * randomness. Real nodes use `Math.random()`; tests and the simulator a
 * seeded generator, so a run is exact and repeatable.
 *
 * @example
 * ```ts
 * import type { Random } from "@gossip/peer/testing";
 * import assert from "node:assert/strict";
 * let x = 0;
 * const steps: Random = { next: () => (x = (x + 0.25) % 1) };
 * assert.equal(steps.next(), 0.25);
 * ```
 */
export interface Random {
  /** The next number in `[0, 1)`. */
  next(): number;
}

/**
 * A member as the local node sees it.
 *
 * @example
 * ```ts
 * import type { Member } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: Member = {
 *   address: "127.0.0.1:8080",
 *   state: "alive",
 *   incarnation: 0,
 *   since: 0,
 *   tags: { role: "db" },
 * };
 * assert.equal(m.state, "alive");
 * ```
 */
export interface Member {
  /** The member's address, `host:port`. */
  address: string;
  /** What this node believes about it. */
  state: MemberState;
  /** Its incarnation number; only the member itself raises it (to refute a suspicion). */
  incarnation: number;
  /** Clock time (ms) of its last state change here. */
  since: number;
  /** Its tags, as last learned (`{}` when none are known). */
  tags: Record<string, string>;
}

/** A timer an engine asked for: a named value, handed back to {@link Engine.fire}. */
export interface Timer {
  /** What the timer is for, e.g. `"probe"` or `"suspicion"`. */
  readonly name: string;
}

/** What a host gives an engine: the only way an engine reaches the world. */
export interface EngineEnv<T extends Timer = Timer> {
  /** This node's address, as the others know it. */
  readonly self: string;
  /** Milliseconds since some fixed origin; never goes backwards. */
  now(): number;
  /** Randomness for every choice the protocol makes. */
  readonly random: Random;
  /** An unpredictable 32-bit number (join cookies); WebCrypto on real nodes. */
  unpredictable(): number;
  /** Sends one datagram; never throws. */
  send(to: string, data: Uint8Array): void;
  /**
   * Fires `timer` (through {@link Engine.fire}) after `delay` ms. Timers are
   * never cancelled: a stale one is recognised and ignored when it fires.
   */
  schedule(timer: T, delay: number): void;
  /** Reports an event to the application. */
  emit<K extends keyof GossipNodeEventMap>(type: K, detail: GossipNodeEventMap[K]): void;
}

/** The protocol engine a node drives; see the module documentation. */
export interface Engine {
  /** This node's address. */
  readonly self: string;
  /** This node's incarnation (0 where the wire format has none). */
  readonly incarnation: number;
  /** Whether a seed has let this node in (true without seeds). */
  readonly joined: boolean;
  /** Schedules the first timers and starts the join. */
  start(): void;
  /** Stops: nothing more is sent or handled, and pending timers are ignored. */
  stop(): void;
  /** Announces a graceful leave, where the wire format can say so. */
  leave(): void;
  /** Handles one datagram; never throws for bad input (it is dropped and counted). */
  receive(from: string, data: Uint8Array): void;
  /** Handles a timer the engine scheduled; stale ones are ignored. */
  fire(timer: Timer): void;
  /** Broadcasts a payload to every live member; returns its id. */
  broadcast(payload: Uint8Array): number;
  /** Addresses of live members, self excluded. */
  peers(): string[];
  /** Every known member, self first. */
  members(): Member[];
  /** Sets one of this node's tags; throws `RangeError` over a limit. */
  setTag(key: string, value: string): void;
  /** Deletes one of this node's tags. */
  deleteTag(key: string): void;
  /** This node's tags, or a member's as last learned; `undefined` for a stranger. */
  tags(address?: string): Record<string, string> | undefined;
  /** The engine's counters (traffic and transport drops are the host's). */
  metrics(): EngineMetrics;
}
