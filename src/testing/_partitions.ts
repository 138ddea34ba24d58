/**
 * Partition bookkeeping for {@link MemoryNetwork}: which addresses are cut
 * off from which. Private to `src/testing/`.
 *
 * Every address gets a group id (addresses on the same side of every
 * partition share one), and the pairs of groups that may not talk are kept
 * as numbers in a set, so the datagram path asks one `Set.has` of two
 * integers it already holds instead of looking at the partitions.
 *
 * @module
 */

/** Group pairs are numbered `g * GROUP_KEY + h`. */
const GROUP_KEY = 0x100000;

/** A recorded partition: `b === null` means "everyone not in `a`". */
interface Partition {
  a: Set<string>;
  b: Set<string> | null;
}

/** The partitions in force, as address groups and blocked group pairs. */
export class Partitions {
  #partitions: Partition[] = [];
  #groupOf = new Map<string, number>();
  #defaultGroup = 0;
  #blocked = new Set<number>();

  /** Whether any partition is in force. */
  get active(): boolean {
    return this.#blocked.size > 0;
  }

  /** The group of `address` (unlisted addresses share the default group). */
  groupOf(address: string): number {
    return this.#groupOf.get(address) ?? this.#defaultGroup;
  }

  /** Whether a datagram from group `g` to group `h` is cut. */
  cuts(g: number, h: number): boolean {
    return this.#blocked.size > 0 && this.#blocked.has(g * GROUP_KEY + h);
  }

  /**
   * Adds a cut between `a` and `b`, or between `a` and everyone else when
   * `b` is null. Throws `RangeError` when an address is in both. Group ids
   * change: the caller re-reads them for the addresses it holds.
   */
  add(a: Set<string>, b: Set<string> | null): void {
    if (b) {
      for (const x of a) {
        if (b.has(x)) throw new RangeError(`${x} is in both groups of the partition`);
      }
    }
    this.#partitions.push({ a, b });
    this.#regroup();
  }

  /** Removes every partition. */
  clear(): void {
    this.#partitions = [];
    this.#regroup();
  }

  /** Recomputes group ids and the blocked pairs after partitions change. */
  #regroup(): void {
    const parts = this.#partitions;
    this.#groupOf = new Map();
    this.#blocked = new Set();
    this.#defaultGroup = 0;
    if (parts.length === 0) return;
    // An address's side in every partition: 0 none, 1 in a, 2 in b.
    const sides = (addr: string): string => {
      let key = "";
      for (const p of parts) {
        if (p.a.has(addr)) key += "1";
        else if (p.b === null || p.b.has(addr)) key += "2";
        else key += "0";
      }
      return key;
    };
    const ids = new Map<string, number>();
    const vectors: string[] = [];
    const idOf = (key: string): number => {
      let id = ids.get(key);
      if (id === undefined) {
        id = vectors.length;
        ids.set(key, id);
        vectors.push(key);
      }
      return id;
    };
    // Unlisted addresses: only the "everyone else" side of open partitions.
    let defaultKey = "";
    for (const p of parts) defaultKey += p.b === null ? "2" : "0";
    this.#defaultGroup = idOf(defaultKey);
    const groupOf = this.#groupOf;
    for (const p of parts) {
      for (const x of p.a) if (!groupOf.has(x)) groupOf.set(x, idOf(sides(x)));
      if (p.b) {
        for (const x of p.b) if (!groupOf.has(x)) groupOf.set(x, idOf(sides(x)));
      }
    }
    for (let g = 0; g < vectors.length; g++) {
      for (let h = g + 1; h < vectors.length; h++) {
        const u = vectors[g], v = vectors[h];
        for (let i = 0; i < u.length; i++) {
          if ((u[i] === "1" && v[i] === "2") || (u[i] === "2" && v[i] === "1")) {
            this.#blocked.add(g * GROUP_KEY + h);
            this.#blocked.add(h * GROUP_KEY + g);
            break;
          }
        }
      }
    }
  }
}
