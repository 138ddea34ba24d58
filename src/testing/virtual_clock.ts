/**
 * A clock that moves only when told to, for tests and simulations.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { Heap } from "./_heap.ts";

/**
 * A {@link Clock} whose time moves only through {@link VirtualClock.advance},
 * {@link VirtualClock.runUntil} and {@link VirtualClock.step}. Timers fire in
 * time order (ties in the order they were set), synchronously inside those
 * calls, so a test or a simulation on it is deterministic and takes no real
 * time. Pass it as a node's or a network's `clock`.
 *
 * @example Timers fire as time is advanced
 * ```ts
 * import assert from "node:assert/strict";
 * import { VirtualClock } from "@gossip/peer/testing";
 * const clock = new VirtualClock();
 * const fired: number[] = [];
 * clock.setTimeout(() => fired.push(clock.now()), 100);
 * const cancelled = clock.setTimeout(() => fired.push(-1), 50);
 * clock.clearTimeout(cancelled);
 * clock.advance(99);
 * assert.deepEqual(fired, []);
 * clock.advance(1);
 * assert.deepEqual(fired, [100]);
 * assert.equal(clock.pending, 0);
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  /** Timer ids by `(at, id)`; cancelled ones stay until they reach the top. */
  #heap = new Heap<number>();
  #live = new Map<number, () => void>();

  /**
   * Starts the clock at `start` milliseconds (default 0).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { VirtualClock } from "@gossip/peer/testing";
   * assert.equal(new VirtualClock(1_000).now(), 1_000);
   * ```
   */
  constructor(start = 0) {
    this.#now = start;
  }

  /**
   * The current virtual time in milliseconds.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * clock.advance(250);
   * assert.equal(clock.now(), 250);
   * ```
   */
  now(): number {
    return this.#now;
  }

  /**
   * Schedules `fn` at `now() + ms` (negative delays count as 0); returns its id.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * let fired = false;
   * clock.setTimeout(() => fired = true, 10);
   * clock.advance(10);
   * assert.ok(fired);
   * ```
   */
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#live.set(id, fn);
    this.#heap.push(this.#now + Math.max(0, ms), id, id);
    return id;
  }

  /**
   * Cancels a pending timer; unknown or fired ids are ignored.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * const id = clock.setTimeout(() => assert.fail("cancelled"), 10);
   * clock.clearTimeout(id);
   * clock.advance(20);
   * ```
   */
  clearTimeout(id: unknown): void {
    this.#live.delete(id as number);
  }

  /**
   * How many timers are pending.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * clock.setTimeout(() => {}, 5);
   * assert.equal(clock.pending, 1);
   * clock.advance(5);
   * assert.equal(clock.pending, 0);
   * ```
   */
  get pending(): number {
    return this.#live.size;
  }

  /**
   * The time of the next pending timer, or `undefined` when none is.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * assert.equal(clock.nextAt(), undefined);
   * clock.setTimeout(() => {}, 30);
   * assert.equal(clock.nextAt(), 30);
   * ```
   */
  nextAt(): number | undefined {
    this.#dropCancelled();
    return this.#heap.size > 0 ? this.#heap.peekAt() : undefined;
  }

  /**
   * Fires the next timer, moving time to it; false when none is pending.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * clock.setTimeout(() => {}, 40);
   * assert.ok(clock.step());
   * assert.equal(clock.now(), 40);
   * assert.ok(!clock.step());
   * ```
   */
  step(): boolean {
    this.#dropCancelled();
    const heap = this.#heap;
    if (heap.size === 0) return false;
    const at = heap.peekAt();
    const id = heap.pop()!;
    const fn = this.#live.get(id)!;
    this.#live.delete(id);
    if (at > this.#now) this.#now = at;
    fn();
    return true;
  }

  /**
   * Fires every timer due up to `time` (timers they set included), then sets
   * the clock to `time` (it never goes back).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * let ticks = 0;
   * const tick = () => {
   *   ticks++;
   *   clock.setTimeout(tick, 100);
   * };
   * clock.setTimeout(tick, 100);
   * clock.runUntil(1_000);
   * assert.equal(ticks, 10);
   * assert.equal(clock.now(), 1_000);
   * ```
   */
  runUntil(time: number): void {
    for (;;) {
      const next = this.nextAt();
      if (next === undefined || next > time) break;
      this.step();
    }
    if (time > this.#now) this.#now = time;
  }

  /**
   * Moves time forward by `ms`, firing every timer due on the way.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock(100);
   * clock.advance(50);
   * assert.equal(clock.now(), 150);
   * ```
   */
  advance(ms: number): void {
    this.runUntil(this.#now + ms);
  }

  #dropCancelled(): void {
    const heap = this.#heap, live = this.#live;
    while (heap.size > 0 && !live.has(heap.peekSeq())) heap.pop();
  }
}
