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

/** An opaque handle for a timer created by a {@link Clock}. */
export type TimerId = unknown;

/**
 * A source of time and timers.
 *
 * @example Use the real clock
 * ```ts
 * import { systemClock } from "@gossip/peer";
 * const id = systemClock.setTimeout(() => console.log("tick"), 10);
 * systemClock.clearTimeout(id);
 * ```
 */
export interface Clock {
  /** Milliseconds since some fixed origin; never goes backwards. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerId;
  /** Cancels a timer; unknown or fired ids are ignored. */
  clearTimeout(id: TimerId): void;
}

/**
 * The real clock: `performance.now()` and the runtime's timers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemClock } from "@gossip/peer";
 * const t = systemClock.now();
 * assert.ok(t >= 0);
 * ```
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

/**
 * The runtime's `Math.random()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemRandom } from "@gossip/peer";
 * const x = systemRandom.next();
 * assert.ok(x >= 0 && x < 1);
 * ```
 */
export const systemRandom: Random = { next: () => Math.random() };
