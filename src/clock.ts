/**
 * Time and randomness, injected.
 *
 * The protocol never reads `Date.now()`, never calls `setTimeout` and never
 * calls `Math.random()` directly: it is handed a {@link Clock} and a
 * {@link Random}. Real nodes get {@link systemClock} and {@link systemRandom};
 * tests and the simulator get a `VirtualClock` and a `seededRandom` (from
 * `@gossip/peer/testing`), so a run is exact and repeatable.
 *
 * @module
 */

import type { Random } from "./engine.ts";

/**
 * A source of time and timers: what a node reads the time from and schedules
 * its protocol's timers on. Nodes use the real one by default; a test passes
 * `VirtualClock` from `@gossip/peer/testing`, which moves only when told to.
 *
 * @example A clock that counts the timers set on it
 * ```ts
 * import { GossipNode } from "@gossip/peer";
 * import type { Clock } from "@gossip/peer/testing";
 * import assert from "node:assert/strict";
 * let set = 0;
 * const counting: Clock = {
 *   now: () => performance.now(),
 *   setTimeout: (fn, ms) => (set++, setTimeout(fn, ms)),
 *   clearTimeout: (id) => clearTimeout(id as number),
 * };
 * await using node = await GossipNode.start({ port: 0, clock: counting });
 * assert.ok(set > 0, "the node's protocol timers run on the given clock");
 * ```
 */
export interface Clock {
  /** Milliseconds since some fixed origin; never goes backwards. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer; unknown or fired ids are ignored. */
  clearTimeout(id: unknown): void;
}

/**
 * The real clock: `performance.now()` and the runtime's timers.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

/**
 * The runtime's `Math.random()`.
 */
export const systemRandom: Random = { next: () => Math.random() };
