/**
 * De-duplication of gossip messages with bounded memory.
 *
 * @module
 */

/**
 * Remembers keys for `ttl` milliseconds, at most `capacity` of them (the
 * oldest are forgotten first).
 */
export class SeenCache {
  #entries = new Map<string, number>();
  // Keys in insertion order (= expiry order), with their expiries, as a queue
  // from #head. Finding the oldest key by iterating the Map from its start is
  // O(deleted entries) in V8 (deleted slots are skipped one by one until the
  // table is rehashed), which made every add at capacity a long scan.
  #keys: string[] = [];
  #expiries: number[] = [];
  #head = 0;

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
    const expiry = now + this.ttl;
    this.#entries.set(key, expiry);
    this.#keys.push(key);
    this.#expiries.push(expiry);
    if (this.#entries.size > this.capacity) {
      this.#entries.delete(this.#keys[this.#head++]);
      this.#compact();
    }
    return true;
  }

  /** Whether `key` is remembered. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  #expire(now: number): void {
    const keys = this.#keys, expiries = this.#expiries;
    let head = this.#head;
    if (head >= keys.length || expiries[head] > now) return;
    while (head < keys.length && expiries[head] <= now) this.#entries.delete(keys[head++]);
    this.#head = head;
    this.#compact();
  }

  /** Drops the consumed front of the queue once it is most of it (amortised O(1)). */
  #compact(): void {
    const head = this.#head;
    if (head === this.#keys.length) {
      this.#keys = [];
      this.#expiries = [];
      this.#head = 0;
    } else if (head >= 1024 && head * 2 >= this.#keys.length) {
      this.#keys = this.#keys.slice(head);
      this.#expiries = this.#expiries.slice(head);
      this.#head = 0;
    }
  }
}
