/**
 * Time and randomness, injected.
 *
 * The protocol never reads `Date.now()`, never calls `setTimeout` and never
 * calls `Math.random()` directly: it is handed a {@link Clock} and a
 * {@link Random}. Real nodes get {@link systemClock} and {@link systemRandom};
 * tests and the simulator get a {@link VirtualClock} and a
 * {@link seededRandom}, so a run is exact and repeatable.
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
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer; unknown or fired ids are ignored. */
  clearTimeout(id: unknown): void;
}

/**
 * The real clock: `performance.now()` and the runtime's timers.
 *
 * @example
 * ```ts
 * import { systemClock } from "@gossip/peer";
 * const t = systemClock.now();
 * console.assert(t >= 0);
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
 * import { systemRandom } from "@gossip/peer";
 * console.assert(systemRandom.next() < 1);
 * ```
 */
export const systemRandom: Random = { next: () => Math.random() };

/**
 * A fast seeded generator (sfc32). The same seed gives the same sequence on
 * every platform.
 *
 * @param seed Any integer.
 * @returns A {@link Random}.
 * @example
 * ```ts
 * import { seededRandom } from "@gossip/peer";
 * const a = seededRandom(7), b = seededRandom(7);
 * console.assert(a.next() === b.next());
 * ```
 */
export function seededRandom(seed: number): Random {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return { next };
}

interface VirtualTimer {
  at: number;
  seq: number;
  id: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to. Timers fire in time order (ties in
 * the order they were set), so a simulation is deterministic.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "@gossip/peer";
 * const clock = new VirtualClock();
 * let fired = false;
 * clock.setTimeout(() => fired = true, 100);
 * clock.advance(99);
 * console.assert(!fired);
 * clock.advance(1);
 * console.assert(fired && clock.now() === 100);
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #heap: VirtualTimer[] = [];
  #live = new Map<number, VirtualTimer>();

  /** Starts the clock at `start` milliseconds (default 0). */
  constructor(start = 0) {
    this.#now = start;
  }

  /** The current virtual time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at `now() + ms` (negative delays count as 0). */
  setTimeout(fn: () => void, ms: number): TimerId {
    const id = ++this.#seq;
    const timer = { at: this.#now + Math.max(0, ms), seq: id, id, fn };
    this.#live.set(id, timer);
    this.#push(timer);
    return id;
  }

  /** Cancels a pending timer. */
  clearTimeout(id: TimerId): void {
    this.#live.delete(id as number);
  }

  /** How many timers are pending. */
  get pending(): number {
    return this.#live.size;
  }

  /** The time of the next pending timer, or `undefined` when none is. */
  nextAt(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.at;
  }

  /** Fires the next timer (moving time to it); false when none is pending. */
  step(): boolean {
    this.#dropCancelled();
    const timer = this.#pop();
    if (!timer) return false;
    this.#live.delete(timer.id);
    if (timer.at > this.#now) this.#now = timer.at;
    timer.fn();
    return true;
  }

  /** Fires every timer due up to `time`, then sets the clock to `time`. */
  runUntil(time: number): void {
    for (;;) {
      const next = this.nextAt();
      if (next === undefined || next > time) break;
      this.step();
    }
    if (time > this.#now) this.#now = time;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  advance(ms: number): void {
    this.runUntil(this.#now + ms);
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && !this.#live.has(this.#heap[0].id)) this.#pop();
  }

  #less(x: VirtualTimer, y: VirtualTimer): boolean {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  #push(timer: VirtualTimer): void {
    const h = this.#heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  #pop(): VirtualTimer | undefined {
    const h = this.#heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l], h[m])) m = l;
        if (r < h.length && this.#less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
