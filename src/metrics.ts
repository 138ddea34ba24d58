/**
 * Counters a node keeps about its traffic and protocol activity. The engine
 * counts what the protocol does, the node counts datagrams and bytes on the
 * wire and what its transport drops, and {@link GossipNode.metrics} sums them.
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
 *
 * @example
 * ```ts
 * import type { DropReason } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const reason: DropReason = "replay";
 * assert.equal(reason, "replay");
 * ```
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

/** Every {@link DropReason}, in the order they are listed. */
export const DROP_REASONS: readonly DropReason[] = [
  "malformed",
  "seed-wire",
  "oversized",
  "misdirected",
  "decrypt",
  "label",
  "unknown-sender",
  "rate",
  "replay",
  "closed",
];

/**
 * A snapshot of a node's counters.
 *
 * @example
 * ```ts
 * import { GossipNode, type NodeMetrics } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * await using node = await GossipNode.start({ port: 0 });
 * const m: NodeMetrics = node.metrics();
 * assert.equal(m.dropped.malformed, 0);
 * ```
 */
export interface NodeMetrics {
  /** Datagrams sent (as they went on the wire, after any sealing). */
  packetsSent: number;
  /** Bytes sent on the wire. */
  bytesSent: number;
  /** Datagrams received, before any check. */
  packetsReceived: number;
  /** Bytes received. */
  bytesReceived: number;
  /** Messages this node broadcast. */
  broadcasts: number;
  /** Messages delivered to the application (once each). */
  delivered: number;
  /** Copies of already delivered messages that arrived again. */
  duplicates: number;
  /**
   * Copies of application messages this node sent: first pushes, relays,
   * retransmissions and repairs alike. Over a cluster, the sum divided by
   * the deliveries is the copies each delivery cost.
   */
  copiesSent: number;
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
  /** Updates and messages waiting in the piggyback queue. */
  queued: number;
  /**
   * Round-trip times of direct probes (ms): `counts[i]` samples at most
   * `bounds[i]` (and above `bounds[i - 1]`); the last count is above every bound.
   */
  probeRtt: { bounds: readonly number[]; counts: number[]; sum: number; count: number };
  /** Dropped datagrams by reason. */
  dropped: Record<DropReason, number>;
}

/** The datagram and byte counters, which the node keeps on the wire. */
export type TrafficMetrics = Pick<
  NodeMetrics,
  "packetsSent" | "bytesSent" | "packetsReceived" | "bytesReceived"
>;

/** What an engine counts: everything but the wire traffic. */
export type EngineMetrics = Omit<NodeMetrics, keyof TrafficMetrics>;

/** A fresh set of zeroed drop counters. */
export function emptyDrops(): Record<DropReason, number> {
  const dropped = {} as Record<DropReason, number>;
  for (const reason of DROP_REASONS) dropped[reason] = 0;
  return dropped;
}

/** Fresh zeroed engine counters. */
export function emptyEngineMetrics(): EngineMetrics {
  return {
    broadcasts: 0,
    delivered: 0,
    duplicates: 0,
    copiesSent: 0,
    probes: 0,
    probesFailed: 0,
    refutations: 0,
    membersRefused: 0,
    health: 0,
    queued: 0,
    probeRtt: { bounds: [], counts: [], sum: 0, count: 0 },
    dropped: emptyDrops(),
  };
}
