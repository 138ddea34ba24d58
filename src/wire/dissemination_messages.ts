/**
 * The messages that spread and repair application messages beyond GOSP
 * itself: the ids a node has (IHAVE), asks for (IWANT), and the broadcast
 * tree's PRUNE and GRAFT.
 *
 * @module
 */

/**
 * Names one gossip message: its origin and the origin's id for it.
 *
 * @example
 * ```ts
 * import { decode, encode, type MessageRef } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const ref: MessageRef = { origin: "127.0.0.1:8080", id: 42 };
 * const m = decode(encode({ type: "ihave", messages: [ref] }));
 * assert.deepEqual(m, { type: "ihave", messages: [ref] });
 * ```
 */
export interface MessageRef {
  /** The node that broadcast it. */
  origin: string;
  /** The origin's id for it. */
  id: number;
}

/**
 * IHAVE: the gossip messages the sender delivered recently (a repair offer).
 *
 * @example
 * ```ts
 * import { decode, encode, type IHaveMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: IHaveMessage = { type: "ihave", messages: [{ origin: "127.0.0.1:8080", id: 7 }] };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface IHaveMessage {
  /** Discriminant. */
  type: "ihave";
  /** Up to 255 message ids. */
  messages: MessageRef[];
}

/**
 * IWANT: asks the sender of an IHAVE for the messages listed.
 *
 * @example
 * ```ts
 * import { decode, encode, type IWantMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: IWantMessage = { type: "iwant", messages: [{ origin: "127.0.0.1:8080", id: 7 }] };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface IWantMessage {
  /** Discriminant. */
  type: "iwant";
  /** Up to 255 message ids, each from the IHAVE answered. */
  messages: MessageRef[];
}

/**
 * PRUNE: the sender got a copy of `origin`'s message that it already had
 * from this link, so both ends stop pushing `origin`'s messages over it (the
 * link becomes lazy for that origin's tree: message ids only). Tree mode.
 *
 * @example
 * ```ts
 * import { decode, encode, type PruneMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: PruneMessage = { type: "prune", origin: "127.0.0.1:8080" };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface PruneMessage {
  /** Discriminant. */
  type: "prune";
  /** Whose tree the link leaves. */
  origin: string;
}

/**
 * GRAFT: push `origin`'s messages over this link from now on (it becomes
 * eager in `origin`'s tree), and send these of them: the sender was offered
 * them (IHAVE) and did not get them through the tree in time. With no ids it
 * only mends the tree. Tree mode.
 *
 * @example
 * ```ts
 * import { decode, encode, type GraftMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: GraftMessage = { type: "graft", origin: "127.0.0.1:8080", ids: [7] };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface GraftMessage {
  /** Discriminant. */
  type: "graft";
  /** Whose tree the link joins. */
  origin: string;
  /** Up to 255 ids of `origin`'s messages to send (each from an IHAVE of the receiver's). */
  ids: number[];
}
