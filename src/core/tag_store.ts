/**
 * Tags: each member's versioned key-value state, as this node holds it.
 *
 * Only a member writes its own keys. Each write takes the next number of the
 * owner's version counter, in its generation (the time it started: a
 * restarted node starts a new generation, whose keys replace all of the old
 * ones). A delete is a tombstone, kept for `tagTombstoneTtl` and then
 * forgotten; whoever has forgotten a tombstone remembers the highest version
 * it forgot (`floor`), and a member whose state is older than that gets the
 * owner's whole state (a reset) instead of the entries it lacks.
 *
 * A holder keeps, per owner, its `version`: every entry up to it is held.
 * Entries that arrive out of order are applied at once (the newer version of
 * a key wins) but move `version` only when they follow it; anti-entropy
 * fills the gap.
 *
 * @module
 */

import type { TagsMessage } from "../wire/message.ts";

/** One key of one owner's state; without a value, a tombstone (deleted at `version`). */
interface Entry {
  version: number;
  value: string | undefined;
  /** When this node learned of the delete (tombstones only). */
  deletedAt: number;
}

/** One owner's state, as this node holds it. */
interface OwnerTags {
  generation: number;
  /** Every entry up to this version is held. */
  version: number;
  /** The highest version of a tombstone this node forgot. */
  floor: number;
  entries: Map<string, Entry>;
  /** Bytes of the live keys and values (the owner's limit applies to its own). */
  bytes: number;
  /**
   * Frames applied ahead of `version` (arrived out of order): their `since`
   * and `to`. When the gap before one closes, `version` moves past it too.
   */
  ahead?: Map<number, number>;
}

/** Out-of-order frames remembered per owner, at most (then the oldest go: a re-request covers them). */
const AHEAD_MAX = 64;

/** A change to one key, as reported in a `tag` event. */
export interface TagChange {
  address: string;
  key: string;
  /** The new value; absent when the key was deleted. */
  value?: string;
}

/** What {@link TagStore.apply} did. */
export interface Applied {
  /** The keys whose value changed, in order. */
  changes: TagChange[];
  /** Whether the entries followed what was held (false: a gap for anti-entropy to fill). */
  contiguous: boolean;
  /** Whether anything was new (a relay would spread it further). */
  fresh: boolean;
}

const encoder = new TextEncoder();
const byteLength = (s: string) => encoder.encode(s).length;

/** The longest key and value, in bytes of UTF-8. */
export const MAX_KEY_BYTES = 255, MAX_VALUE_BYTES = 1024;

/**
 * Checks a whole set of tags against the limits of {@link TagStore.set}
 * (before a node binds its socket); throws `RangeError` naming the limit.
 */
export function checkTags(tags: Readonly<Record<string, string>>, maxBytes: number): void {
  new TagStore("", 0, maxBytes).setAll(tags);
}

/** A 32-bit hash of one digest line (FNV-1a over owner, generation and version). */
function lineHash(owner: string, generation: number, version: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < owner.length; i++) h = Math.imul(h ^ owner.charCodeAt(i), 0x01000193);
  for (const n of [Math.floor(generation / 0x100000000), generation >>> 0, version]) {
    for (let k = 0; k < 4; k++) h = Math.imul(h ^ ((n >>> (8 * k)) & 0xff), 0x01000193);
  }
  return h >>> 0;
}

/** Every member's tags as this node holds them, its own included. */
export class TagStore {
  readonly self: string;
  #own: OwnerTags;
  #others = new Map<string, OwnerTags>();
  #hash = 0;
  #maxBytes: number;

  /** An empty store for `self`, in `generation`, whose own tags may take `maxBytes`. */
  constructor(self: string, generation: number, maxBytes: number) {
    this.self = self;
    this.#own = { generation, version: 0, floor: 0, entries: new Map(), bytes: 0 };
    this.#maxBytes = maxBytes;
  }

  /** This node's generation. */
  get generation(): number {
    return this.#own.generation;
  }

  /**
   * A 32-bit hash of the digest (every owner with state: generation and
   * version), the same on every node that holds the same, whatever the order.
   */
  get hash(): number {
    return (this.#hash ^ this.#lineOf(this.self, this.#own)) >>> 0;
  }

  /**
   * Sets one of this node's own keys; returns the delta to spread. Throws
   * `RangeError` naming the limit for a key of 0 or over 255 bytes, a value
   * over 1,024 bytes, or more than `maxTagBytes` of tags in all; nothing is
   * stored then.
   */
  set(key: string, value: string): TagsMessage {
    const keyBytes = byteLength(key), valueBytes = byteLength(value);
    if (keyBytes < 1 || keyBytes > MAX_KEY_BYTES) {
      throw new RangeError(`a tag key is 1 to ${MAX_KEY_BYTES} bytes of UTF-8, got ${keyBytes}`);
    }
    if (valueBytes > MAX_VALUE_BYTES) {
      throw new RangeError(
        `a tag value is at most ${MAX_VALUE_BYTES} bytes of UTF-8, got ${valueBytes}`,
      );
    }
    const own = this.#own;
    const old = own.entries.get(key);
    const bytes = own.bytes - (old?.value !== undefined ? keyBytes + byteLength(old.value) : 0) +
      keyBytes + valueBytes;
    if (bytes > this.#maxBytes) {
      throw new RangeError(
        `tags of at most maxTagBytes = ${this.#maxBytes} bytes (keys and values) per node, would be ${bytes}`,
      );
    }
    own.bytes = bytes;
    return this.#write(key, value, 0);
  }

  /** Sets every one of `tags` (a node's initial tags); throws `RangeError` over a limit. */
  setAll(tags: Readonly<Record<string, string>>): TagsMessage[] {
    const deltas: TagsMessage[] = [];
    for (const [key, value] of Object.entries(tags)) {
      if (typeof value !== "string") {
        throw new TypeError(`tag values are strings, got ${typeof value} for "${key}"`);
      }
      deltas.push(this.set(key, value));
    }
    return deltas;
  }

  /** Deletes one of this node's own keys; returns the delta, or undefined if it had no value. */
  delete(key: string, now: number): TagsMessage | undefined {
    const own = this.#own;
    const old = own.entries.get(key);
    if (old?.value === undefined) return undefined;
    own.bytes -= byteLength(key) + byteLength(old.value);
    return this.#write(key, undefined, now);
  }

  /** This node's own tags. */
  own(): Record<string, string> {
    return live(this.#own);
  }

  /** `address`'s tags as last learned: `{}` when none were, for a member whose state is unknown. */
  of(address: string): Record<string, string> {
    if (address === this.self) return this.own();
    const state = this.#others.get(address);
    return state ? live(state) : {};
  }

  /**
   * Applies a TAGS frame about another member (the caller checked that it is
   * one). Stale generations change nothing; a newer one replaces everything
   * held of the owner.
   */
  apply(m: TagsMessage, now: number): Applied {
    const changes: TagChange[] = [];
    const owner = m.owner;
    let state = this.#others.get(owner);
    if (state && m.generation < state.generation) {
      return { changes, contiguous: true, fresh: false };
    }
    const before = state ? this.#lineOf(owner, state) : 0;
    let fresh = false;
    if (!state || m.generation > state.generation) {
      if (state) {
        for (const key of Object.keys(live(state))) changes.push({ address: owner, key });
      }
      state = { generation: m.generation, version: 0, floor: 0, entries: new Map(), bytes: 0 };
      this.#others.set(owner, state);
      fresh = true;
    }
    // A reset frame holds every live key written up to its `to`: what this
    // node holds from then or before and the frame does not list was deleted
    // (its tombstone may be forgotten, hence the floor). A reset older than
    // what is held here is only entries, each checked by its version below;
    // keys written after `to` (a later frame of the same reset) are kept.
    if (m.reset && m.since === 0 && m.to >= state.version) {
      const listed = new Set(m.entries.map((x) => x.key));
      for (const [key, e] of state.entries) {
        if (e.version > m.to || listed.has(key)) continue;
        if (e.value !== undefined) changes.push({ address: owner, key });
        state.entries.delete(key);
      }
      state.floor = Math.max(state.floor, m.to);
    }
    // Everything up to `version` is held (or was deleted since): an entry at
    // or below it that is not here is a key deleted since, whose tombstone
    // may be forgotten: it must not come back.
    const held = state.version;
    for (const e of m.entries) {
      if (e.version <= held) continue;
      const cur = state.entries.get(e.key);
      if (cur && cur.version >= e.version) continue;
      fresh = true;
      state.entries.set(e.key, {
        version: e.version,
        value: e.value,
        deletedAt: e.value === undefined ? now : 0,
      });
      if (e.value !== undefined ? e.value !== cur?.value : cur?.value !== undefined) {
        changes.push(
          e.value === undefined
            ? { address: owner, key: e.key }
            : { address: owner, key: e.key, value: e.value },
        );
      }
    }
    const contiguous = m.since <= state.version;
    if (contiguous && m.to > state.version) {
      state.version = m.to;
      fresh = true;
      catchUp(state);
    } else if (!contiguous) {
      const ahead = state.ahead ??= new Map();
      if ((ahead.get(m.since) ?? 0) < m.to) ahead.set(m.since, m.to);
      if (ahead.size > AHEAD_MAX) ahead.delete(ahead.keys().next().value!);
    }
    this.#hash ^= before ^ this.#lineOf(owner, state);
    return { changes, contiguous, fresh };
  }

  /** Forgets everything about `address` (it was reaped); returns its keys as deletions. */
  forget(address: string): TagChange[] {
    const state = this.#others.get(address);
    if (!state) return [];
    this.#hash ^= this.#lineOf(address, state);
    this.#others.delete(address);
    return Object.keys(live(state)).map((key) => ({ address, key }));
  }

  /** Forgets tombstones older than `ttl` ms, remembering the highest version forgotten per owner. */
  collect(now: number, ttl: number): void {
    for (const state of [this.#own, ...this.#others.values()]) {
      for (const [key, e] of state.entries) {
        if (e.value === undefined && now - e.deletedAt >= ttl) {
          state.entries.delete(key);
          state.floor = Math.max(state.floor, e.version);
        }
      }
    }
  }

  /** `owner`'s digest line (its generation and version) when this node holds any state of it. */
  line(owner: string): { owner: string; generation: number; version: number } | undefined {
    const s = owner === this.self ? this.#own : this.#others.get(owner);
    return s && s.version > 0 ? { owner, generation: s.generation, version: s.version } : undefined;
  }

  /** One line per owner with state (this node's own when it has written): generation and version. */
  digest(): { owner: string; generation: number; version: number }[] {
    const out: { owner: string; generation: number; version: number }[] = [];
    if (this.#own.version > 0) {
      out.push({ owner: this.self, generation: this.#own.generation, version: this.#own.version });
    }
    for (const [owner, s] of this.#others) {
      if (s.version > 0) out.push({ owner, generation: s.generation, version: s.version });
    }
    return out;
  }

  /**
   * What a peer that holds `theirs` of `owner` lacks, as TAGS frames of at
   * most `budget` bytes of entries each: the entries after its version, or
   * the whole state (a reset) when it is of an older generation or older
   * than a forgotten tombstone. Empty when it lacks nothing (or this node
   * holds nothing it can vouch for).
   */
  deltasFor(
    owner: string,
    theirs: { generation: number; version: number } | undefined,
    budget: number,
  ): TagsMessage[] {
    const state = owner === this.self ? this.#own : this.#others.get(owner);
    if (!state || state.version === 0) return [];
    if (theirs && theirs.generation > state.generation) return [];
    const same = theirs !== undefined && theirs.generation === state.generation;
    if (same && theirs.version >= state.version) return [];
    const reset = !same || theirs.version < state.floor;
    const since = reset ? 0 : theirs!.version;
    const entries = [...state.entries]
      .filter(([, e]) => e.version > since && e.version <= state.version && !(reset && !e.value))
      .map(([key, e]) =>
        e.value === undefined
          ? { key, version: e.version }
          : { key, version: e.version, value: e.value }
      )
      .sort((a, b) => a.version - b.version);
    const out: TagsMessage[] = [];
    let part: TagsMessage["entries"] = [];
    let used = 0, from = since;
    const flush = (to: number) => {
      out.push({
        type: "tags",
        owner,
        generation: state.generation,
        since: from,
        to,
        reset: reset && out.length === 0,
        entries: part,
      });
      from = to;
      part = [];
      used = 0;
    };
    for (const e of entries) {
      const cost = 1 + byteLength(e.key) + 4 + 1 +
        (e.value === undefined ? 0 : 2 + byteLength(e.value));
      if (used + cost > budget && part.length > 0) flush(part[part.length - 1].version);
      part.push(e);
      used += cost;
    }
    flush(state.version);
    return out;
  }

  #write(key: string, value: string | undefined, now: number): TagsMessage {
    const own = this.#own;
    const version = ++own.version;
    own.entries.set(key, { version, value, deletedAt: now });
    return {
      type: "tags",
      owner: this.self,
      generation: own.generation,
      since: version - 1,
      to: version,
      reset: false,
      entries: [value === undefined ? { key, version } : { key, version, value }],
    };
  }

  #lineOf(owner: string, state: OwnerTags): number {
    return state.version > 0 ? lineHash(owner, state.generation, state.version) : 0;
  }
}

function live(state: OwnerTags): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, e] of state.entries) if (e.value !== undefined) out[key] = e.value;
  return out;
}

/** Moves `state.version` past the frames applied ahead of it that now follow on. */
function catchUp(state: OwnerTags): void {
  const ahead = state.ahead;
  if (!ahead) return;
  let moved = true;
  while (moved && ahead.size > 0) {
    moved = false;
    for (const [since, to] of ahead) {
      if (since > state.version) continue;
      ahead.delete(since);
      if (to > state.version) {
        state.version = to;
        moved = true;
      }
    }
  }
}
