/**
 * The transmit-limited piggyback queue (memberlist's `TransmitLimitedQueue`).
 *
 * Membership updates and application messages wait here, pre-encoded, and
 * ride on outgoing probes, acks and gossip rounds. Each is sent at most
 * `limit` times (about `retransmitMult * log10(N + 1)`), least-sent first and
 * newest first among equals. A newer item with the same key replaces the
 * older one (a fresh update about a member invalidates the stale one).
 *
 * @module
 */

interface Item {
  key: string;
  body: Uint8Array;
  transmits: number;
  limit: number;
  gone: boolean;
}

/**
 * How many times an item is retransmitted in a cluster of `n` members.
 */
export function retransmitLimit(mult: number, n: number): number {
  return Math.max(1, mult * Math.ceil(Math.log10(n + 1)));
}

/**
 * A queue of pre-encoded messages, each sent a bounded number of times.
 */
export class BroadcastQueue {
  /** buckets[t] holds the items sent t times, oldest first. */
  #buckets: Item[][] = [];
  #byKey = new Map<string, Item>();
  #dropped = 0;

  /**
   * Creates a queue of at most `capacity` items (Serf's MaxQueueDepth is
   * 4096): past it, the most-sent items are dropped first, so a flood of
   * messages bounds memory instead of growing it.
   */
  constructor(readonly capacity: number = 4096) {}

  /** Items dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Number of items waiting. */
  get size(): number {
    return this.#byKey.size;
  }

  /** Whether an item with this key is waiting. */
  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  /** Adds `body` to be sent up to `limit` times, replacing any item with the same key. */
  enqueue(key: string, body: Uint8Array, limit: number): void {
    const old = this.#byKey.get(key);
    if (old) old.gone = true;
    const item: Item = { key, body, transmits: 0, limit, gone: false };
    this.#byKey.set(key, item);
    (this.#buckets[0] ??= []).push(item);
    if (this.#byKey.size > this.capacity) this.#evict();
  }

  /** Drops one item: the oldest among the most-sent. */
  #evict(): void {
    for (let t = this.#buckets.length - 1; t >= 0; t--) {
      const bucket = this.#buckets[t];
      while (bucket && bucket.length > 0) {
        const item = bucket.shift()!;
        if (item.gone) continue;
        item.gone = true;
        this.#byKey.delete(item.key);
        this.#dropped++;
        return;
      }
    }
  }

  /** Removes every waiting item. */
  clear(): void {
    this.#buckets = [];
    this.#byKey.clear();
  }

  /**
   * Takes items whose bodies fit in `budget` bytes, counting `overhead` extra
   * bytes per item, at most `maxItems`; each counts as one transmission. When
   * `limit` is given it replaces every item's own limit, so the limit follows
   * the cluster's current size, as memberlist's does (an update queued when
   * the cluster was small is not cut short once it has grown).
   */
  take(budget: number, overhead = 0, maxItems = 255, limit?: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const moved: Item[] = [];
    const buckets = this.#buckets;
    for (let t = 0; t < buckets.length && out.length < maxItems; t++) {
      const bucket = buckets[t];
      if (!bucket || bucket.length === 0) continue;
      const kept: Item[] = [];
      while (bucket.length > 0 && out.length < maxItems && budget > overhead) {
        const item = bucket.pop()!;
        if (item.gone) continue;
        const cost = item.body.length + overhead;
        if (cost > budget) {
          kept.push(item);
          if (kept.length > 16) break; // the rest is unlikely to fit either
          continue;
        }
        budget -= cost;
        out.push(item.body);
        item.transmits++;
        if (item.transmits >= (limit ?? item.limit)) {
          item.gone = true;
          this.#byKey.delete(item.key);
        } else {
          moved.push(item);
        }
      }
      for (let i = kept.length - 1; i >= 0; i--) bucket.push(kept[i]);
    }
    for (const item of moved) (buckets[item.transmits] ??= []).push(item);
    while (buckets.length > 0 && buckets[buckets.length - 1].length === 0) buckets.pop();
    return out;
  }
}
