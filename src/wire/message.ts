/**
 * The protocol's messages, as values. {@link encode} and {@link decode} turn
 * them into bytes and back; docs/PROTOCOL.md gives the bytes.
 *
 * @module
 */

/**
 * What a node believes about a member.
 * - `alive`: answering probes.
 * - `suspect`: missed a probe; will be declared dead unless it refutes.
 * - `dead`: confirmed failed.
 * - `left`: said goodbye (graceful leave).
 */
export type MemberState = "alive" | "suspect" | "dead" | "left";

/**
 * One row of a member table, as carried by INFO and SYNC.
 *
 * @example
 * ```ts
 * import type { MemberRecord } from "@gossip/peer";
 * const m: MemberRecord = { address: "127.0.0.1:8080", state: "alive", incarnation: 0 };
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

/** INIT: a new node asks an initial peer to let it in. */
export interface InitMessage {
  /** Discriminant. */
  type: "init";
  /** The joining node's incarnation. */
  incarnation: number;
}

/** INFO: the initial peer answers with the members it knows (itself included). */
export interface InfoMessage {
  /** Discriminant. */
  type: "info";
  /** Known members; a large table is split over several INFO datagrams. */
  members: MemberRecord[];
}

/** CONN: the new node announces itself to a peer, who adds it. */
export interface ConnMessage {
  /** Discriminant. */
  type: "conn";
  /** The announcing node's incarnation. */
  incarnation: number;
}

/** GOSP: an application message, spread by gossip and delivered once. */
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

/** PING: a direct probe. */
export interface PingMessage {
  /** Discriminant. */
  type: "ping";
  /** Sequence number echoed by the ACK. */
  seq: number;
  /** The address the sender means to probe (a misdirected ping is ignored). */
  target: string;
}

/** ACK: the answer to a PING (or, relayed, to a PING-REQ). */
export interface AckMessage {
  /** Discriminant. */
  type: "ack";
  /** The sequence number of the probe answered. */
  seq: number;
}

/** PING-REQ: asks a member to probe `target` on the sender's behalf. */
export interface PingReqMessage {
  /** Discriminant. */
  type: "ping-req";
  /** Sequence number to answer with (ACK or NACK). */
  seq: number;
  /** The member to probe. */
  target: string;
}

/** NACK: the relay of a PING-REQ got no answer in time (Lifeguard). */
export interface NackMessage {
  /** Discriminant. */
  type: "nack";
  /** The sequence number of the PING-REQ. */
  seq: number;
}

/** ALIVE: `address` is alive at `incarnation` (joins and refutations). */
export interface AliveMessage {
  /** Discriminant. */
  type: "alive";
  /** The member. */
  address: string;
  /** Its incarnation. */
  incarnation: number;
}

/** SUSPECT: `from` suspects `address` at `incarnation`. */
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

/** DEAD: `from` declares `address` dead at `incarnation`. */
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

/** LEAVE: `address` left the cluster gracefully at `incarnation`. */
export interface LeaveMessage {
  /** Discriminant. */
  type: "leave";
  /** The member leaving. */
  address: string;
  /** Its incarnation. */
  incarnation: number;
}

/** SYNC: push-pull anti-entropy: a (part of a) full member table. */
export interface SyncMessage {
  /** Discriminant. */
  type: "sync";
  /** True for the answer to a SYNC request (which is not answered again). */
  reply: boolean;
  /** The sender's member table, itself included. */
  members: MemberRecord[];
}

/**
 * Names one gossip message: its origin and the origin's id for it.
 *
 * @example
 * ```ts
 * import type { MessageRef } from "@gossip/peer";
 * const ref: MessageRef = { origin: "127.0.0.1:8080", id: 42 };
 * ```
 */
export interface MessageRef {
  /** The node that broadcast it. */
  origin: string;
  /** The origin's id for it. */
  id: number;
}

/** IHAVE: the gossip messages the sender delivered recently (a repair offer). */
export interface IHaveMessage {
  /** Discriminant. */
  type: "ihave";
  /** Up to 255 message ids. */
  messages: MessageRef[];
}

/** IWANT: asks the sender of an IHAVE for the messages listed. */
export interface IWantMessage {
  /** Discriminant. */
  type: "iwant";
  /** Up to 255 message ids, each from the IHAVE answered. */
  messages: MessageRef[];
}

/** Several messages in one datagram. Batches do not nest. */
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
 * import type { SingleMessage } from "@gossip/peer";
 * const m: SingleMessage = { type: "ack", seq: 1 };
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
  | IWantMessage;

/**
 * Every message the native wire format carries.
 *
 * @example
 * ```ts
 * import { encode, type Message } from "@gossip/peer";
 * const m: Message = { type: "init", incarnation: 0 };
 * const bytes = encode(m);
 * ```
 */
export type Message = SingleMessage | BatchMessage;

/** The `type` of a {@link Message}. */
export type MessageType = Message["type"];
