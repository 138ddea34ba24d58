/**
 * The member table and its merge rules.
 *
 * A member's record is ordered by `(incarnation, state)`, with states ranked
 * `alive < suspect < dead < left`. An update is applied only when it is
 * strictly greater than what the table holds, so merging is a
 * join-semilattice: stale and reordered updates change nothing, and every
 * node that has seen the same updates holds the same table, whatever the
 * order they came in.
 *
 * Memory: a node holds a record of every member, so a cluster of N nodes
 * holds N² records; the simulator runs 10,000 nodes (10⁸ records) in one
 * process. A record therefore lives in typed arrays (about 30 bytes), not in
 * an object, a map entry and a string of its own (about 200 bytes): each
 * address is stored once per process in a shared, reference-counted table
 * and a member table keeps only its number.
 *
 * @module
 */

import type { Member } from "../engine.ts";

/** A member as the table holds it: its record and when it last changed (tags are kept elsewhere). */
export type TableMember = Omit<Member, "tags">;
import type { MemberRecord, MemberState } from "../wire/message.ts";
import type { Random } from "../engine.ts";
import { randomInt } from "./_random.ts";

const RANK: Record<MemberState, number> = { alive: 0, suspect: 1, dead: 2, left: 3 };

/**
 * A 32-bit hash of one record (FNV-1a over address, state and incarnation).
 * A table's hash is the XOR of its records': the same on every node that
 * holds the same records, whatever the order they came in.
 */
export function recordHash(address: string, rank: number, incarnation: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) h = Math.imul(h ^ address.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ rank, 0x01000193);
  for (let k = 0; k < 4; k++) h = Math.imul(h ^ ((incarnation >>> (8 * k)) & 0xff), 0x01000193);
  return h >>> 0;
}

/** The rank of a state in the merge order (alive < suspect < dead < left). */
export function stateRank(state: MemberState): number {
  return RANK[state];
}

/**
 * True when the update `next` supersedes `current`: a higher incarnation, or
 * the same incarnation with a stronger state (`alive < suspect < dead < left`).
 */
export function supersedes(
  next: Pick<MemberRecord, "state" | "incarnation">,
  current: Pick<MemberRecord, "state" | "incarnation">,
): boolean {
  if (next.incarnation !== current.incarnation) return next.incarnation > current.incarnation;
  return RANK[next.state] > RANK[current.state];
}

/** True for states in which a member is still part of the cluster (probed, gossiped to). */
export function isLive(state: MemberState): boolean {
  return state === "alive" || state === "suspect";
}

/** What {@link Membership.apply} did. */
export interface MergeResult {
  /** Whether the update was applied. */
  changed: boolean;
  /** The state before (undefined for a member not known before). */
  previous: MemberState | undefined;
  /** The member after the update (undefined when unknown and not applied). */
  member: TableMember | undefined;
}

/**
 * Every address held by a member table in this process, each stored once and
 * numbered; a number is reused once no table holds its address any more.
 */
class AddressTable {
  #ids = new Map<string, number>();
  #addresses: string[] = [];
  #refs = new Int32Array(64);
  #free: number[] = [];

  /** One past the largest number handed out. */
  get capacity(): number {
    return this.#addresses.length;
  }

  idOf(address: string): number | undefined {
    return this.#ids.get(address);
  }

  address(id: number): string {
    return this.#addresses[id];
  }

  /** The number of `address`, taking one reference to it. */
  acquire(address: string): number {
    let id = this.#ids.get(address);
    if (id === undefined) {
      id = this.#free.pop();
      if (id === undefined) {
        id = this.#addresses.length;
        this.#addresses.push(address);
        if (id >= this.#refs.length) this.#refs = grow(this.#refs, id + 1, 0);
      } else {
        this.#addresses[id] = address;
      }
      this.#ids.set(address, id);
    }
    this.#refs[id]++;
    return id;
  }

  /** Drops one reference; the last one frees the number. */
  release(id: number): void {
    if (--this.#refs[id] > 0) return;
    this.#ids.delete(this.#addresses[id]);
    this.#addresses[id] = "";
    this.#free.push(id);
  }
}

const addresses = new AddressTable();

/** What a table's finaliser needs: the address numbers it holds, nothing that keeps it alive. */
interface Held {
  ids: Int32Array<ArrayBuffer>;
  slots: number;
}

// A table dropped without removing its members gives their references back when collected.
const finalizer = new FinalizationRegistry<Held>((held) => {
  for (let s = 0; s < held.slots; s++) if (held.ids[s] >= 0) addresses.release(held.ids[s]);
});

const STATES: readonly MemberState[] = ["alive", "suspect", "dead", "left"];

/** Grows an array of numbers to at least `need` elements, new ones set to `fill`. */
function grow(a: Int32Array<ArrayBuffer>, need: number, fill: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(Math.max(need, 8, Math.ceil(a.length * 1.5)));
  next.set(a);
  if (fill !== 0) next.fill(fill, a.length);
  return next;
}

/** Bytes of one slot: since (f64), address number, incarnation, live index (32 bits each), state. */
const SLOT_BYTES = 8 + 4 + 4 + 4 + 1;

/**
 * The table of other members (the local node is not in it), with O(1)
 * random choice among live members.
 *
 * Records are kept in typed arrays indexed by slot (slots in insertion
 * order); {@link Membership.get} and {@link Membership.all} return copies.
 */
export class Membership {
  /** Slot of each address number, -1 for none. */
  #slotOf = new Int32Array(0);
  /** Address number of each slot, -1 for a free one. */
  #ids = new Int32Array(0);
  #incarnation = new Uint32Array(0);
  #state = new Uint8Array(0);
  #since = new Float64Array(0);
  /** Position of each slot in the live list, -1 when not live. */
  #liveIndex = new Int32Array(0);
  /** Slots of alive and suspect members, in the order `randomLive` draws from. */
  #live = new Int32Array(0);
  #liveCount = 0;
  /** Slots used so far (members and holes left by removals). */
  #slots = 0;
  #size = 0;
  #hash = 0;
  #held: Held = { ids: this.#ids, slots: 0 };

  /** Creates an empty table. */
  constructor() {
    finalizer.register(this, this.#held);
  }

  /** Number of members in any state. */
  get size(): number {
    return this.#size;
  }

  /** The XOR of every record's {@link recordHash}. */
  get hash(): number {
    return this.#hash >>> 0;
  }

  /** Number of alive or suspect members. */
  get liveCount(): number {
    return this.#liveCount;
  }

  /** Whether `address` is in the table, in any state (no copy made). */
  has(address: string): boolean {
    return this.#find(address) >= 0;
  }

  /** Whether `address` is alive or suspect (no copy made). */
  isLive(address: string): boolean {
    const slot = this.#find(address);
    return slot >= 0 && this.#state[slot] <= 1;
  }

  /** The member at `address`, if known (a copy). */
  get(address: string): TableMember | undefined {
    const slot = this.#find(address);
    return slot < 0 ? undefined : this.#member(slot);
  }

  /** Every member, in insertion order (copies). */
  *all(): IterableIterator<TableMember> {
    for (let s = 0; s < this.#slots; s++) {
      if (this.#ids[s] >= 0) yield this.#member(s);
    }
  }

  /** Addresses of alive and suspect members (a copy, in no particular order). */
  live(): readonly string[] {
    const out: string[] = new Array(this.#liveCount);
    for (let k = 0; k < this.#liveCount; k++) out[k] = addresses.address(this.#ids[this.#live[k]]);
    return out;
  }

  /**
   * Merges one update. Unknown members are added in whatever state the update
   * says, so a dead or left record (a tombstone) keeps a stale alive from
   * resurrecting them.
   */
  apply(update: MemberRecord, now: number): MergeResult {
    const rank = RANK[update.state];
    const incarnation = update.incarnation;
    let slot = this.#find(update.address);
    if (slot < 0) {
      slot = this.#add(addresses.acquire(update.address));
      this.#incarnation[slot] = incarnation;
      this.#state[slot] = rank;
      this.#since[slot] = now;
      if (rank <= 1) this.#addLive(slot);
      this.#hash ^= recordHash(update.address, rank, incarnation);
      return { changed: true, previous: undefined, member: this.#member(slot) };
    }
    const current = this.#incarnation[slot];
    const previousRank = this.#state[slot];
    const newer = incarnation !== current ? incarnation > current : rank > previousRank;
    const previous = STATES[previousRank];
    if (!newer) return { changed: false, previous, member: this.#member(slot) };
    this.#hash ^= recordHash(update.address, previousRank, current) ^
      recordHash(update.address, rank, incarnation);
    this.#incarnation[slot] = incarnation;
    if (previousRank !== rank) {
      this.#state[slot] = rank;
      this.#since[slot] = now;
      const wasLive = previousRank <= 1, nowLive = rank <= 1;
      if (wasLive && !nowLive) this.#removeLive(slot);
      if (!wasLive && nowLive) this.#addLive(slot);
    }
    return { changed: true, previous, member: this.#member(slot) };
  }

  /** Forgets a member entirely (used to reap old dead and left records). */
  remove(address: string): void {
    const slot = this.#find(address);
    if (slot < 0) return;
    const id = this.#ids[slot];
    this.#hash ^= recordHash(address, this.#state[slot], this.#incarnation[slot]);
    this.#removeLive(slot);
    this.#ids[slot] = -1;
    this.#slotOf[id] = -1;
    this.#size--;
    addresses.release(id);
    if (this.#slots > 32 && this.#size < this.#slots / 2) this.#compact();
  }

  /**
   * Up to `k` distinct live members chosen at random, none of them in
   * `exclude`.
   */
  randomLive(random: Random, k: number, exclude?: ReadonlySet<string> | string): string[] {
    const n = this.#liveCount;
    const at = (i: number) => addresses.address(this.#ids[this.#live[i]]);
    const excluded = (a: string) =>
      exclude === undefined ? false : typeof exclude === "string" ? a === exclude : exclude.has(a);
    const out: string[] = [];
    if (k <= 0 || n === 0) return out;
    if (k * 3 < n) {
      // Sparse choice: rejection sampling, O(k) expected.
      let tries = 0;
      while (out.length < k && tries < k * 8) {
        tries++;
        const a = at(randomInt(random, n));
        if (!excluded(a) && !out.includes(a)) out.push(a);
      }
      if (out.length === k) return out;
    }
    // Dense choice: partial Fisher-Yates over a copy.
    const pool: string[] = [];
    for (let i = 0; i < n; i++) {
      const a = at(i);
      if (!excluded(a) && !out.includes(a)) pool.push(a);
    }
    for (let i = 0; i < pool.length && out.length < k; i++) {
      const j = i + randomInt(random, pool.length - i);
      const tmp = pool[i];
      pool[i] = pool[j];
      pool[j] = tmp;
      out.push(pool[i]);
    }
    return out;
  }

  #find(address: string): number {
    const id = addresses.idOf(address);
    if (id === undefined || id >= this.#slotOf.length) return -1;
    return this.#slotOf[id];
  }

  #member(slot: number): TableMember {
    return {
      address: addresses.address(this.#ids[slot]),
      state: STATES[this.#state[slot]],
      incarnation: this.#incarnation[slot],
      since: this.#since[slot],
    };
  }

  #add(id: number): number {
    const slot = this.#slots;
    if (slot >= this.#ids.length) this.#resize(Math.max(8, Math.ceil(slot * 1.5)));
    if (id >= this.#slotOf.length) this.#slotOf = grow(this.#slotOf, addresses.capacity, -1);
    this.#slots++;
    this.#size++;
    this.#ids[slot] = id;
    this.#slotOf[id] = slot;
    this.#liveIndex[slot] = -1;
    this.#held.slots = this.#slots;
    return slot;
  }

  /** Moves the per-slot arrays to one new buffer of `capacity` slots (one allocation, not five). */
  #resize(capacity: number): void {
    const buffer = new ArrayBuffer(capacity * SLOT_BYTES);
    const since = new Float64Array(buffer, 0, capacity);
    const ids = new Int32Array(buffer, 8 * capacity, capacity);
    const incarnation = new Uint32Array(buffer, 12 * capacity, capacity);
    const liveIndex = new Int32Array(buffer, 16 * capacity, capacity);
    const state = new Uint8Array(buffer, 20 * capacity, capacity);
    const n = this.#slots;
    since.set(this.#since.subarray(0, n));
    ids.set(this.#ids.subarray(0, n));
    ids.fill(-1, n);
    incarnation.set(this.#incarnation.subarray(0, n));
    liveIndex.set(this.#liveIndex.subarray(0, n));
    liveIndex.fill(-1, n);
    state.set(this.#state.subarray(0, n));
    this.#since = since;
    this.#ids = ids;
    this.#incarnation = incarnation;
    this.#liveIndex = liveIndex;
    this.#state = state;
    this.#held.ids = ids;
  }

  /** Closes the holes left by removals, keeping insertion order and the live order. */
  #compact(): void {
    let to = 0;
    const moved = new Int32Array(this.#slots);
    for (let s = 0; s < this.#slots; s++) {
      const id = this.#ids[s];
      if (id < 0) continue;
      moved[s] = to;
      this.#ids[to] = id;
      this.#incarnation[to] = this.#incarnation[s];
      this.#state[to] = this.#state[s];
      this.#since[to] = this.#since[s];
      this.#liveIndex[to] = this.#liveIndex[s];
      this.#slotOf[id] = to;
      to++;
    }
    this.#ids.fill(-1, to, this.#slots);
    this.#liveIndex.fill(-1, to, this.#slots);
    for (let k = 0; k < this.#liveCount; k++) this.#live[k] = moved[this.#live[k]];
    this.#slots = to;
    this.#held.slots = to;
  }

  #addLive(slot: number): void {
    if (this.#liveCount >= this.#live.length) this.#live = grow(this.#live, this.#liveCount + 1, 0);
    this.#liveIndex[slot] = this.#liveCount;
    this.#live[this.#liveCount++] = slot;
  }

  #removeLive(slot: number): void {
    const i = this.#liveIndex[slot];
    if (i < 0) return;
    const last = this.#live[--this.#liveCount];
    if (last !== slot) {
      this.#live[i] = last;
      this.#liveIndex[last] = i;
    }
    this.#liveIndex[slot] = -1;
  }
}
