/**
 * The events a node reports, defined once: engines emit them through their
 * environment and {@link GossipNode} dispatches them as `CustomEvent`s with
 * the same details.
 *
 * @module
 */

import type { DropReason } from "./metrics.ts";

/**
 * A message delivered to the application.
 *
 * @example
 * ```ts
 * import type { MessageDetail } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m: MessageDetail = {
 *   from: "127.0.0.1:8080",
 *   via: "127.0.0.1:8081",
 *   id: 7,
 *   hops: 1,
 *   payload: new TextEncoder().encode("hi"),
 * };
 * assert.equal(new TextDecoder().decode(m.payload), "hi");
 * ```
 */
export interface MessageDetail {
  /** The node that broadcast it. */
  from: string;
  /** The peer this copy came from (equals `from` when not relayed). */
  via: string;
  /** The origin's id for it; `(from, id)` is unique. */
  id: number;
  /** Relays between the origin and this node. */
  hops: number;
  /** The bytes broadcast. */
  payload: Uint8Array;
}

/**
 * The detail of each event a {@link GossipNode} dispatches, by event type.
 *
 * @example
 * ```ts
 * import type { GossipNodeEventMap } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const d: GossipNodeEventMap["dead"] = { address: "10.0.0.2:7946", incarnation: 3, from: "10.0.0.1:7946" };
 * assert.equal(d.incarnation, 3);
 * ```
 */
export interface GossipNodeEventMap {
  /** A member joined (or rejoined). */
  join: { address: string; incarnation: number };
  /** This node was let in: a seed answered its INIT with INFO. */
  joined: { seed: string; members: number };
  /** A member is suspected of having failed; `from` accused it. */
  suspect: { address: string; incarnation: number; from: string };
  /** A suspected member proved alive (it refuted, or recovered). */
  alive: { address: string; incarnation: number };
  /** A member was declared dead; `from` declared it. */
  dead: { address: string; incarnation: number; from: string };
  /** A member left gracefully. */
  leave: { address: string; incarnation: number };
  /** An application message arrived (once per message). */
  message: MessageDetail;
  /**
   * A member's tag changed, this node's own included: `value` is the new
   * value, absent when the key was deleted (or its owner reaped).
   */
  tag: { address: string; key: string; value?: string };
  /** A datagram (or part of one) was dropped, and why. */
  drop: { reason: DropReason; from: string; detail: string };
}
