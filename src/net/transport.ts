/**
 * The socket behind an interface.
 *
 * The protocol sends and receives whole datagrams through a {@link Transport};
 * {@link UdpTransport} puts it on `Deno.listenDatagram`, and
 * {@link MemoryNetwork} gives an in-process network for tests and the
 * simulator.
 *
 * @module
 */

/**
 * Called for every datagram that arrives.
 *
 * @param from The sender's address, `host:port` (IPv6 as `[::1]:port`).
 * @param data The datagram's bytes; the handler may keep them.
 */
export type DatagramHandler = (from: string, data: Uint8Array) => void;

/**
 * An unreliable datagram socket: best-effort, unordered, may drop or
 * duplicate.
 *
 * @example A transport that hears what it sends
 * ```ts
 * import type { Transport } from "@gossip/peer/testing";
 * import assert from "node:assert/strict";
 * class Loopback implements Transport {
 *   readonly address = "127.0.0.1:1";
 *   #handler?: (from: string, data: Uint8Array) => void;
 *   listen(handler: (from: string, data: Uint8Array) => void): void {
 *     this.#handler = handler;
 *   }
 *   send(_to: string, data: Uint8Array): void {
 *     this.#handler?.(this.address, data);
 *   }
 *   close(): Promise<void> {
 *     return Promise.resolve();
 *   }
 * }
 * const t = new Loopback();
 * const got: number[] = [];
 * t.listen((_from, data) => got.push(data.length));
 * t.send(t.address, new Uint8Array(3));
 * assert.deepEqual(got, [3]);
 * ```
 */
export interface Transport {
  /** The address others reach this transport at, `host:port`. */
  readonly address: string;
  /** Starts delivering datagrams to `handler`. Called once. */
  listen(handler: (from: string, data: Uint8Array) => void): void;
  /** Sends one datagram; never throws for network reasons (failures are dropped). */
  send(to: string, data: Uint8Array): void;
  /** Stops receiving and releases the socket; resolves when nothing is pending. */
  close(): Promise<void>;
}
