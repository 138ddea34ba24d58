/**
 * The event queue of {@link VirtualClock} and {@link MemoryNetwork}: a binary
 * min-heap of items ordered by `(at, seq)`. Private to `src/testing/`.
 *
 * The keys live in two typed arrays beside the items, so a comparison reads
 * two doubles and never touches an item: the same code serves timers and
 * datagrams without turning polymorphic, and no comparator closure is called
 * per comparison. Sifting moves a hole instead of swapping.
 *
 * @module
 */

const INITIAL_CAPACITY = 64;

/** A min-heap of `T` keyed by `(at, seq)`; equal `at` pops in `seq` order. */
export class Heap<T> {
  #at = new Float64Array(INITIAL_CAPACITY);
  #seq = new Float64Array(INITIAL_CAPACITY);
  #items: (T | undefined)[] = new Array(INITIAL_CAPACITY).fill(undefined);
  #size = 0;

  /** How many items are queued. */
  get size(): number {
    return this.#size;
  }

  /** The least `at`, or `Infinity` when empty. */
  peekAt(): number {
    return this.#size > 0 ? this.#at[0] : Infinity;
  }

  /** The `seq` of the least item, or `Infinity` when empty. */
  peekSeq(): number {
    return this.#size > 0 ? this.#seq[0] : Infinity;
  }

  /** The least item, or `undefined` when empty. */
  peek(): T | undefined {
    return this.#size > 0 ? this.#items[0] : undefined;
  }

  /** Queues `item` at `(at, seq)`. */
  push(at: number, seq: number, item: T): void {
    if (this.#size === this.#at.length) this.#grow();
    const keys = this.#at, seqs = this.#seq, items = this.#items;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pa = keys[parent];
      if (pa < at || (pa === at && seqs[parent] < seq)) break;
      keys[i] = pa;
      seqs[i] = seqs[parent];
      items[i] = items[parent];
      i = parent;
    }
    keys[i] = at;
    seqs[i] = seq;
    items[i] = item;
  }

  /** Removes and returns the least item, or `undefined` when empty. */
  pop(): T | undefined {
    const n = this.#size;
    if (n === 0) return undefined;
    const items = this.#items;
    const top = items[0];
    const last = n - 1;
    this.#size = last;
    if (last > 0) {
      this.#siftDown(0, this.#at[last], this.#seq[last], items[last]);
    }
    items[last] = undefined;
    return top;
  }

  /**
   * Removes every item for which `drop` returns true and restores the heap
   * order (linear time). Returns how many it removed.
   */
  removeWhere(drop: (item: T) => boolean): number {
    const keys = this.#at, seqs = this.#seq, items = this.#items;
    const n = this.#size;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const item = items[i] as T;
      if (drop(item)) continue;
      keys[kept] = keys[i];
      seqs[kept] = seqs[i];
      items[kept] = item;
      kept++;
    }
    for (let i = kept; i < n; i++) items[i] = undefined;
    this.#size = kept;
    for (let i = (kept >> 1) - 1; i >= 0; i--) this.#siftDown(i, keys[i], seqs[i], items[i]);
    return n - kept;
  }

  /** Places `(at, seq, item)` at the hole `start` or below it. */
  #siftDown(start: number, at: number, seq: number, item: T | undefined): void {
    const keys = this.#at, seqs = this.#seq, items = this.#items;
    const n = this.#size;
    let i = start;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ca = keys[c];
      const r = c + 1;
      if (r < n) {
        const ra = keys[r];
        if (ra < ca || (ra === ca && seqs[r] < seqs[c])) {
          c = r;
          ca = ra;
        }
      }
      if (at < ca || (at === ca && seq < seqs[c])) break;
      keys[i] = ca;
      seqs[i] = seqs[c];
      items[i] = items[c];
      i = c;
    }
    keys[i] = at;
    seqs[i] = seq;
    items[i] = item;
  }

  #grow(): void {
    const capacity = this.#at.length * 2;
    const at = new Float64Array(capacity), seq = new Float64Array(capacity);
    at.set(this.#at);
    seq.set(this.#seq);
    this.#at = at;
    this.#seq = seq;
    const items = this.#items;
    for (let i = items.length; i < capacity; i++) items.push(undefined);
  }
}
