/**
 * The records a {@link MemoryNetwork} keeps per bound address and per
 * datagram in flight. Private to `src/testing/`.
 *
 * @module
 */

import type { DatagramHandler } from "../net/transport.ts";
import type { LinkOptions } from "./network_options.ts";
import type { AddressStats } from "./network_stats.ts";

/** What a transport asks of the network that bound it. */
export interface Router {
  /** Sends a datagram from `from` to `to`, or drops it. */
  send(from: Endpoint, to: string, data: Uint8Array): void;
  /** Unbinds `ep` and drops the datagrams in flight to it. */
  close(ep: Endpoint): void;
}

/** One bound address. */
export class Endpoint {
  /** Where datagrams go, once the transport listens. */
  handler: DatagramHandler | undefined = undefined;
  /** Whether its transport closed. */
  closed = false;
  /** Datagrams in flight to it. */
  pendingIn = 0;

  constructor(
    /** The network that bound it. */
    readonly router: Router,
    /** Its `host:port`. */
    readonly address: string,
    /** Its counters (shared with later binds of the address). */
    readonly stats: AddressStats,
    /** Its partition group. */
    public group: number,
    /** Whether the address is crashed. */
    public crashed: boolean,
    /** Per-link overrides for datagrams it sends, by destination. */
    public links: Map<string, LinkOptions> | undefined,
  ) {}
}

/** One datagram in flight (its time and order are the heap's keys). */
export class Packet {
  constructor(
    readonly from: Endpoint,
    readonly to: Endpoint,
    readonly data: Uint8Array,
  ) {}
}
