/**
 * The host's side of the engine's timers: each timer the engine schedules
 * becomes one timer on the node's {@link Clock}, and closing the node clears
 * every one still pending.
 *
 * @module
 */

import type { Clock } from "./clock.ts";

/** The clock timers one node holds, so that closing it leaves none behind. */
export class HostTimers {
  #clock: Clock;
  #ids = new Set<unknown>();

  /** Creates an empty set of timers on `clock`. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Number of timers pending. */
  get size(): number {
    return this.#ids.size;
  }

  /** Runs `fn` once after `ms` (negative counts as 0). */
  after(ms: number, fn: () => void): void {
    const clock = this.#clock;
    const id = clock.setTimeout(() => {
      this.#ids.delete(id);
      fn();
    }, Math.max(0, ms));
    this.#ids.add(id);
  }

  /** Cancels every pending timer. */
  clear(): void {
    for (const id of this.#ids) this.#clock.clearTimeout(id);
    this.#ids.clear();
  }
}
