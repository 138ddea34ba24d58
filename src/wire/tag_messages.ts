/**
 * The messages that carry tags (per-node key-value state) and reconcile
 * state by digest: TAGS, a run of one owner's versioned entries, and DIGEST,
 * a summary of what a node holds (with, when asked, one line per owner).
 *
 * @module
 */

/**
 * TAGS: `owner`'s entries of versions `since < v <= to` in its `generation`
 * (all of them, unless the sender lacks some: see docs/PROTOCOL.md). With
 * `reset`, they are the owner's whole state: keys not in it are gone.
 *
 * @example
 * ```ts
 * import { decode, encode, type TagsMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: TagsMessage = {
 *   type: "tags",
 *   owner: "127.0.0.1:8080",
 *   generation: 1764377000123,
 *   since: 0,
 *   to: 2,
 *   reset: true,
 *   entries: [{ key: "role", version: 1, value: "db" }, { key: "zone", version: 2 }],
 * };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface TagsMessage {
  /** Discriminant. */
  type: "tags";
  /** Whose tags. */
  owner: string;
  /** The owner's generation: the time it started (ms); a newer one replaces all older tags. */
  generation: number;
  /** The entries follow version `since` (exclusive)... */
  since: number;
  /** ...up to version `to` (inclusive). */
  to: number;
  /** Whether the entries are the owner's whole state (keys not listed are gone). */
  reset: boolean;
  /**
   * Pushed down the owner's broadcast tree (a write, or a joiner's state):
   * whoever finds it new passes it on. Absent in answers to a digest, which
   * go no further than the node that asked.
   */
  push?: boolean;
  /**
   * Up to 65,535 entries, by version: a key (1 to 255 bytes of UTF-8), the
   * owner's version counter when it was written, and its value (at most
   * 1,024 bytes of UTF-8), absent for a deleted key (a tombstone).
   */
  entries: { key: string; version: number; value?: string }[];
}

/**
 * DIGEST: anti-entropy by summary. Two nodes whose member tables and tags
 * agree exchange only the counts and hashes; when they differ, the tables
 * are exchanged (SYNC) or the tag digests (`entries`), and only what is
 * missing travels.
 *
 * @example
 * ```ts
 * import { decode, encode, type DigestMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: DigestMessage = {
 *   type: "digest",
 *   reply: false,
 *   full: false,
 *   members: 3,
 *   membersHash: 0x9e3779b9,
 *   tagsHash: 0x7f4a7c15,
 *   after: "",
 *   through: "",
 *   entries: [],
 * };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface DigestMessage {
  /** Discriminant. */
  type: "digest";
  /** True for an answer (which is not answered with a digest again). */
  reply: boolean;
  /** True when `entries` is (a part of) the sender's tag digest; false for a summary. */
  full: boolean;
  /** How many members (every state, the sender included) the sender's table holds. */
  members: number;
  /** A 32-bit hash of the sender's member table, the same whatever the order. */
  membersHash: number;
  /** A 32-bit hash of the sender's tag digest. */
  tagsHash: number;
  /**
   * The owners `entries` covers: those after `after` (by code unit order; ""
   * for from the first) up to and including `through` ("" for to the last).
   * An owner in that range without an entry is one the sender holds nothing
   * of. A digest too large for one datagram goes in parts with adjacent ranges.
   */
  after: string;
  /** See `after`. */
  through: string;
  /**
   * The sender's tag digest when it is sent in full (else empty): per owner,
   * its generation and the version up to which the sender holds every entry.
   */
  entries: { owner: string; generation: number; version: number }[];
}
