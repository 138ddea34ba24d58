/**
 * The timers one protocol engine owns, on an injected {@link Clock}, so that
 * stopping the engine cancels every one of them at once.
 *
 * @module
 */

import type { Clock } from "./clock.ts";

/**
 * A set of cancellable timers on one clock.
 *
 * @example
 * ```ts
 * import { Timers, VirtualClock } from "@gossip/peer";
 * const clock = new VirtualClock();
 * const timers = new Timers(clock);
 * let ticks = 0;
 * timers.every(() => 100, () => ticks++);
 * clock.advance(350);
 * timers.clear();
 * clock.advance(1000);
 * console.assert(ticks === 3 && clock.pending === 0);
 * ```
 */
export class Timers {
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

  /** Runs `fn` once after `ms` (negative counts as 0); returns a cancel function. */
  after(ms: number, fn: () => void): () => void {
    const clock = this.#clock;
    const id = clock.setTimeout(() => {
      this.#ids.delete(id);
      fn();
    }, Math.max(0, ms));
    this.#ids.add(id);
    return () => {
      if (this.#ids.delete(id)) clock.clearTimeout(id);
    };
  }

  /** Runs `fn` every `interval()` ms (read again before each wait) until {@link clear}. */
  every(interval: () => number, fn: () => void): void {
    this.after(interval(), () => {
      this.every(interval, fn);
      fn();
    });
  }

  /** Cancels every pending timer. */
  clear(): void {
    for (const id of this.#ids) this.#clock.clearTimeout(id);
    this.#ids.clear();
  }
}
