/**
 * The protocol's messages, as values. {@link encode} and {@link decode} turn
 * them into bytes and back; docs/PROTOCOL.md gives the bytes.
 *
 * @module
 */

import type {
  GraftMessage,
  IHaveMessage,
  IWantMessage,
  PruneMessage,
} from "./dissemination_messages.ts";
import type { DigestMessage, TagsMessage } from "./tag_messages.ts";

export type {
  GraftMessage,
  IHaveMessage,
  IWantMessage,
  MessageRef,
  PruneMessage,
} from "./dissemination_messages.ts";
export type { DigestMessage, TagsMessage } from "./tag_messages.ts";

/**
 * What a node believes about a member.
 * - `alive`: answering probes.
 * - `suspect`: missed a probe; will be declared dead unless it refutes.
 * - `dead`: confirmed failed.
 * - `left`: said goodbye (graceful leave).
 *
 * @example
 * ```ts
 * import { GossipNode, type MemberState } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * await using node = await GossipNode.start({ port: 0 });
 * const state: MemberState = node.members()[0].state; // this node, first
 * assert.equal(state, "alive");
 * ```
 */
export type MemberState = "alive" | "suspect" | "dead" | "left";

/**
 * One row of a member table, as carried by INFO and SYNC.
 *
 * @example
 * ```ts
 * import { decode, encode, type MemberRecord } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: MemberRecord = { address: "127.0.0.1:8080", state: "alive", incarnation: 0 };
 * assert.deepEqual(decode(encode({ type: "info", members: [m] })), { type: "info", members: [m] });
 * ```
 */
export interface MemberRecord {
  /** The member's address, `host:port`. */
  address: string;
  /** Its state. */
  state: MemberState;
  /** Its incarnation number; only the member itself raises it (to refute). */
  incarnation: number;
}

/**
 * INIT: a new node asks an initial peer to let it in.
 *
 * @example
 * ```ts
 * import { decode, encode, type InitMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: InitMessage = { type: "init", incarnation: 0 };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface InitMessage {
  /** Discriminant. */
  type: "init";
  /** The joining node's incarnation. */
  incarnation: number;
}

/**
 * INFO: the initial peer answers with the members it knows (itself included).
 *
 * @example
 * ```ts
 * import { decode, encode, type InfoMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: InfoMessage = { type: "info", members: [{ address: "127.0.0.1:8080", state: "alive", incarnation: 2 }] };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface InfoMessage {
  /** Discriminant. */
  type: "info";
  /** Known members; a large table is split over several INFO datagrams. */
  members: MemberRecord[];
}

/**
 * CONN: the new node announces itself to a peer, who adds it.
 *
 * @example
 * ```ts
 * import { decode, encode, type ConnMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: ConnMessage = { type: "conn", incarnation: 0 };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface ConnMessage {
  /** Discriminant. */
  type: "conn";
  /** The announcing node's incarnation. */
  incarnation: number;
}

/**
 * GOSP: an application message, spread by gossip and delivered once.
 *
 * @example
 * ```ts
 * import { decode, encode, type GospMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: GospMessage = { type: "gosp", origin: "127.0.0.1:8080", id: 7, hops: 1, payload: new Uint8Array([104, 105]) };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface GospMessage {
  /** Discriminant. */
  type: "gosp";
  /** Address of the node that first broadcast it. */
  origin: string;
  /** Identifier chosen by the origin; (origin, id) is unique. */
  id: number;
  /** How many times it has been relayed (0 when sent by the origin). */
  hops: number;
  /** The application's bytes. */
  payload: Uint8Array;
}

/**
 * PING: a direct probe.
 *
 * @example
 * ```ts
 * import { decode, encode, type PingMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: PingMessage = { type: "ping", seq: 41, target: "127.0.0.1:8081" };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface PingMessage {
  /** Discriminant. */
  type: "ping";
  /** Sequence number echoed by the ACK. */
  seq: number;
  /** The address the sender means to probe (a misdirected ping is ignored). */
  target: string;
}

/**
 * ACK: the answer to a PING (or, relayed, to a PING-REQ).
 *
 * @example
 * ```ts
 * import { decode, encode, type AckMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: AckMessage = { type: "ack", seq: 41 };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface AckMessage {
  /** Discriminant. */
  type: "ack";
  /** The sequence number of the probe answered. */
  seq: number;
}

/**
 * PING-REQ: asks a member to probe `target` on the sender's behalf.
 *
 * @example
 * ```ts
 * import { decode, encode, type PingReqMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: PingReqMessage = { type: "ping-req", seq: 42, target: "127.0.0.1:8082" };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface PingReqMessage {
  /** Discriminant. */
  type: "ping-req";
  /** Sequence number to answer with (ACK or NACK). */
  seq: number;
  /** The member to probe. */
  target: string;
}

/**
 * NACK: the relay of a PING-REQ got no answer in time (Lifeguard).
 *
 * @example
 * ```ts
 * import { decode, encode, type NackMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: NackMessage = { type: "nack", seq: 42 };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface NackMessage {
  /** Discriminant. */
  type: "nack";
  /** The sequence number of the PING-REQ. */
  seq: number;
}

/**
 * ALIVE: `address` is alive at `incarnation` (joins and refutations).
 *
 * @example
 * ```ts
 * import { decode, encode, type AliveMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: AliveMessage = { type: "alive", address: "127.0.0.1:8081", incarnation: 3 };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface AliveMessage {
  /** Discriminant. */
  type: "alive";
  /** The member. */
  address: string;
  /** Its incarnation. */
  incarnation: number;
}

/**
 * SUSPECT: `from` suspects `address` at `incarnation`.
 *
 * @example
 * ```ts
 * import { decode, encode, type SuspectMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: SuspectMessage = { type: "suspect", address: "127.0.0.1:8081", incarnation: 3, from: "127.0.0.1:8080" };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface SuspectMessage {
  /** Discriminant. */
  type: "suspect";
  /** The member suspected. */
  address: string;
  /** The incarnation suspected. */
  incarnation: number;
  /** Who suspects it (independent confirmations shorten the timeout). */
  from: string;
}

/**
 * DEAD: `from` declares `address` dead at `incarnation`.
 *
 * @example
 * ```ts
 * import { decode, encode, type DeadMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: DeadMessage = { type: "dead", address: "127.0.0.1:8081", incarnation: 3, from: "127.0.0.1:8080" };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface DeadMessage {
  /** Discriminant. */
  type: "dead";
  /** The member. */
  address: string;
  /** Its incarnation. */
  incarnation: number;
  /** Who declared it. */
  from: string;
}

/**
 * LEAVE: `address` left the cluster gracefully at `incarnation`.
 *
 * @example
 * ```ts
 * import { decode, encode, type LeaveMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: LeaveMessage = { type: "leave", address: "127.0.0.1:8081", incarnation: 4 };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface LeaveMessage {
  /** Discriminant. */
  type: "leave";
  /** The member leaving. */
  address: string;
  /** Its incarnation. */
  incarnation: number;
}

/**
 * SYNC: push-pull anti-entropy: a (part of a) full member table.
 *
 * @example
 * ```ts
 * import { decode, encode, type SyncMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: SyncMessage = { type: "sync", reply: false, members: [{ address: "127.0.0.1:8080", state: "suspect", incarnation: 1 }] };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface SyncMessage {
  /** Discriminant. */
  type: "sync";
  /** True for the answer to a SYNC request (which is not answered again). */
  reply: boolean;
  /** The sender's member table, itself included. */
  members: MemberRecord[];
}

/**
 * Several messages in one datagram. Batches do not nest.
 *
 * @example
 * ```ts
 * import { decode, encode, type BatchMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: BatchMessage = { type: "batch", messages: [{ type: "ack", seq: 1 }, { type: "conn", incarnation: 0 }] };
 * assert.deepEqual(decode(encode(m)), m);
 * ```
 */
export interface BatchMessage {
  /** Discriminant. */
  type: "batch";
  /** The messages, in order. */
  messages: SingleMessage[];
}

/**
 * Any message but a batch.
 *
 * @example
 * ```ts
 * import { decode, encode, type SingleMessage } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const parts: SingleMessage[] = [{ type: "ack", seq: 1 }, { type: "nack", seq: 2 }];
 * const m = decode(encode({ type: "batch", messages: parts }));
 * assert.deepEqual(m, { type: "batch", messages: parts });
 * ```
 */
export type SingleMessage =
  | InitMessage
  | InfoMessage
  | ConnMessage
  | GospMessage
  | PingMessage
  | AckMessage
  | PingReqMessage
  | NackMessage
  | AliveMessage
  | SuspectMessage
  | DeadMessage
  | LeaveMessage
  | SyncMessage
  | IHaveMessage
  | IWantMessage
  | PruneMessage
  | GraftMessage
  | TagsMessage
  | DigestMessage;

/**
 * Every message the native wire format carries.
 *
 * @example
 * ```ts
 * import { decode, encode, type Message } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: Message = { type: "init", incarnation: 0 };
 * const bytes = encode(m);
 * assert.equal(bytes.length, 7);
 * assert.deepEqual(decode(bytes), m);
 * ```
 */
export type Message = SingleMessage | BatchMessage;

/** The `type` of a {@link Message}. */
export type MessageType = Message["type"];
