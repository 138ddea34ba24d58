/**
 * Counters a node keeps about its own traffic and protocol activity.
 *
 * @module
 */

/**
 * Why a datagram (or part of one) was dropped.
 * - `malformed`: not a valid frame.
 * - `seed-wire`: a seed-format frame reached a native node.
 * - `oversized`: larger than the node accepts.
 * - `misdirected`: a probe meant for another address.
 * - `decrypt`: did not open with any key in the keyring.
 * - `label`: carried another cluster's label.
 * - `unknown-sender`: a request that is answered only for known members.
 * - `rate`: over a per-source rate limit.
 * - `replay`: a sealed datagram seen before or too old.
 * - `closed`: arrived while the node was shutting down.
 */
export type DropReason =
  | "malformed"
  | "seed-wire"
  | "oversized"
  | "misdirected"
  | "decrypt"
  | "label"
  | "unknown-sender"
  | "rate"
  | "replay"
  | "closed";

/**
 * A snapshot of a node's counters.
 *
 * @example
 * ```ts
 * import type { NodeMetrics } from "@gossip/peer";
 * const show = (m: NodeMetrics) => `${m.packetsSent} sent, ${m.dropped.malformed} malformed`;
 * ```
 */
export interface NodeMetrics {
  /** Datagrams sent. */
  packetsSent: number;
  /** Bytes sent (after any encryption). */
  bytesSent: number;
  /** Datagrams received. */
  packetsReceived: number;
  /** Bytes received. */
  bytesReceived: number;
  /** Messages this node broadcast. */
  broadcasts: number;
  /** Messages delivered to the application (once each). */
  delivered: number;
  /** Copies of already delivered messages that arrived again. */
  duplicates: number;
  /** Probes started. */
  probes: number;
  /** Probes that ended without an ack. */
  probesFailed: number;
  /** Times this node refuted a suspicion (or death) about itself. */
  refutations: number;
  /** Updates about unknown members ignored because the table held `maxMembers` already. */
  membersRefused: number;
  /** Local health score (Lifeguard); 0 is healthy. */
  health: number;
  /** Dropped datagrams by reason. */
  dropped: Record<DropReason, number>;
}

/**
 * A fresh set of zeroed counters.
 *
 * @example
 * ```ts
 * import { emptyMetrics } from "@gossip/peer";
 * console.assert(emptyMetrics().dropped.malformed === 0);
 * ```
 */
export function emptyMetrics(): NodeMetrics {
  return {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    broadcasts: 0,
    delivered: 0,
    duplicates: 0,
    probes: 0,
    probesFailed: 0,
    refutations: 0,
    membersRefused: 0,
    health: 0,
    dropped: {
      malformed: 0,
      "seed-wire": 0,
      oversized: 0,
      misdirected: 0,
      decrypt: 0,
      label: 0,
      "unknown-sender": 0,
      rate: 0,
      replay: 0,
      closed: 0,
    },
  };
}
