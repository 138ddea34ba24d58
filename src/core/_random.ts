/**
 * Private helpers over the injected {@link Random}.
 *
 * @module
 */

import type { Random } from "../engine.ts";

/** An integer in `[0, n)`. */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random.next() * n);
}

/** Shuffles `items` in place (Fisher-Yates) and returns it. */
export function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}
