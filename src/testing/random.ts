/**
 * Seeded randomness for tests and simulations.
 *
 * @module
 */

import type { Random } from "../engine.ts";

/**
 * A fast seeded generator (sfc32). The same seed gives the same sequence on
 * every platform, so a test or a simulation that draws from it is exact and
 * repeatable. Pass it as a node's or a network's `random`.
 *
 * @param seed Any integer.
 * @returns A {@link Random} whose numbers are uniform in `[0, 1)`.
 * @example Same seed, same sequence
 * ```ts
 * import assert from "node:assert/strict";
 * import { seededRandom } from "@gossip/peer/testing";
 * const a = seededRandom(7), b = seededRandom(7);
 * const xs = [a.next(), a.next(), a.next()];
 * assert.deepEqual(xs, [b.next(), b.next(), b.next()]);
 * assert.ok(xs.every((x) => x >= 0 && x < 1));
 * assert.notEqual(seededRandom(8).next(), xs[0]);
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

/**
 * A 32-bit mix of a few integers (murmur3 finaliser), to derive the seeds of
 * several generators from one. Internal.
 */
export function mixSeed(...values: number[]): number {
  let h = 0x2545f491;
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca77);
    h ^= h >>> 13;
  }
  return h >>> 0;
}
