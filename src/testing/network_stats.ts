/**
 * What a {@link MemoryNetwork} counts: totals by fate, drops by cause, and
 * traffic per address.
 *
 * @module
 */

/**
 * Datagrams dropped by a {@link MemoryNetwork}, by cause.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type DropStats, MemoryNetwork, VirtualClock } from "@gossip/peer/testing";
 * const clock = new VirtualClock();
 * const network = new MemoryNetwork({ clock, mtu: 100 });
 * const a = network.bind();
 * a.send("10.9.9.9:7946", new Uint8Array(1)); // nobody is bound there
 * a.send(a.address, new Uint8Array(101)); // over the MTU
 * const dropped: DropStats = network.stats.dropped;
 * assert.deepEqual(dropped, { loss: 0, partition: 0, crashed: 0, mtu: 1, unbound: 1 });
 * await a.close();
 * ```
 */
export interface DropStats {
  /** Lost at random (`loss`). */
  loss: number;
  /** Sender and receiver on different sides of a partition (at send or delivery). */
  partition: number;
  /** Sender or receiver crashed (at send), or receiver crashed (at delivery). */
  crashed: number;
  /** Larger than the MTU. */
  mtu: number;
  /** No transport bound at the destination, or it closed or was not listening. */
  unbound: number;
}

/**
 * Totals of a {@link MemoryNetwork}. Every datagram sent is, at any moment,
 * exactly one of delivered, dropped or in flight:
 * `sent === delivered + sum(dropped) + network.inFlight`.
 *
 * @example Every datagram is accounted for
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryNetwork, type NetworkStats, VirtualClock } from "@gossip/peer/testing";
 * const clock = new VirtualClock();
 * const network = new MemoryNetwork({ clock, delay: 10 });
 * const a = network.bind(), b = network.bind();
 * b.listen(() => {});
 * a.send(b.address, new Uint8Array(4));
 * a.send(b.address, new Uint8Array(4));
 * clock.advance(10);
 * a.send(b.address, new Uint8Array(4));
 * const s: NetworkStats = network.stats;
 * const dropped = Object.values(s.dropped).reduce((x, y) => x + y, 0);
 * assert.equal(s.sent, s.delivered + dropped + network.inFlight);
 * assert.deepEqual([s.sent, s.delivered, network.inFlight, s.bytes], [3, 2, 1, 12]);
 * await a.close();
 * await b.close();
 * ```
 */
export interface NetworkStats {
  /** Datagrams passed to `send` on open transports. */
  sent: number;
  /** Datagrams handed to a receiver's handler. */
  delivered: number;
  /** Datagrams dropped, by cause. */
  dropped: DropStats;
  /** Bytes passed to `send` on open transports (dropped ones included). */
  bytes: number;
}

/**
 * Traffic counters of one address, kept across close and rebind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AddressStats, MemoryNetwork, VirtualClock } from "@gossip/peer/testing";
 * const clock = new VirtualClock();
 * const network = new MemoryNetwork({ clock });
 * const a = network.bind(), b = network.bind();
 * b.listen(() => {});
 * a.send(b.address, new Uint8Array(3));
 * clock.advance(0);
 * const stats: AddressStats = network.statsFor(b.address);
 * assert.deepEqual(stats, { sentPackets: 0, sentBytes: 0, receivedPackets: 1, receivedBytes: 3 });
 * await a.close();
 * await b.close();
 * ```
 */
export interface AddressStats {
  /** Datagrams this address sent (dropped ones included). */
  sentPackets: number;
  /** Bytes this address sent (dropped ones included). */
  sentBytes: number;
  /** Datagrams delivered to this address. */
  receivedPackets: number;
  /** Bytes delivered to this address. */
  receivedBytes: number;
}

/** The live counters behind {@link NetworkStats}. Internal. */
export class Totals {
  sent = 0;
  delivered = 0;
  bytes = 0;
  dropLoss = 0;
  dropPartition = 0;
  dropCrashed = 0;
  dropMtu = 0;
  dropUnbound = 0;

  /** A snapshot, as {@link NetworkStats}. */
  snapshot(): NetworkStats {
    return {
      sent: this.sent,
      delivered: this.delivered,
      dropped: {
        loss: this.dropLoss,
        partition: this.dropPartition,
        crashed: this.dropCrashed,
        mtu: this.dropMtu,
        unbound: this.dropUnbound,
      },
      bytes: this.bytes,
    };
  }
}

/** Fresh zero counters for one address. Internal. */
export function zeroAddressStats(): AddressStats {
  return { sentPackets: 0, sentBytes: 0, receivedPackets: 0, receivedBytes: 0 };
}

/** A copy of `s`, so callers cannot change the live counters. Internal. */
export function copyAddressStats(s: AddressStats): AddressStats {
  return {
    sentPackets: s.sentPackets,
    sentBytes: s.sentBytes,
    receivedPackets: s.receivedPackets,
    receivedBytes: s.receivedBytes,
  };
}
