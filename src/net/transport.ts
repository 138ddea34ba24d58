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
 * @example A transport that prints what it is asked to send
 * ```ts
 * import type { DatagramHandler, Transport } from "@gossip/peer";
 * class PrintTransport implements Transport {
 *   readonly address = "127.0.0.1:1";
 *   listen(_handler: DatagramHandler): void {}
 *   send(to: string, data: Uint8Array): void {
 *     console.log(to, data.length);
 *   }
 *   close(): Promise<void> {
 *     return Promise.resolve();
 *   }
 * }
 * new PrintTransport().send("127.0.0.1:2", new Uint8Array(3));
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
