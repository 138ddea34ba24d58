/**
 * De-duplication of gossip messages with bounded memory.
 *
 * @module
 */

/**
 * Remembers keys for `ttl` milliseconds, at most `capacity` of them (the
 * oldest are forgotten first).
 *
 * @example
 * ```ts
 * import { SeenCache } from "@gossip/peer";
 * const seen = new SeenCache(1000, 60_000);
 * console.assert(seen.add("a", 0) === true);
 * console.assert(seen.add("a", 1) === false);
 * ```
 */
export class SeenCache {
  #entries = new Map<string, number>();

  /** Creates a cache of at most `capacity` keys kept `ttl` ms each. */
  constructor(readonly capacity: number, readonly ttl: number) {}

  /** Number of keys remembered. */
  get size(): number {
    return this.#entries.size;
  }

  /** Records `key` at time `now`; false when it was already there (a duplicate). */
  add(key: string, now: number): boolean {
    this.#expire(now);
    if (this.#entries.has(key)) return false;
    this.#entries.set(key, now + this.ttl);
    if (this.#entries.size > this.capacity) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    return true;
  }

  /** Whether `key` is remembered. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  #expire(now: number): void {
    for (const [key, expiry] of this.#entries) {
      if (expiry > now) break;
      this.#entries.delete(key);
    }
  }
}
