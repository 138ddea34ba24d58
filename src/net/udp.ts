/**
 * The real transport: one UDP socket from `Deno.listenDatagram`
 * (needs `--unstable-net` or `"unstable": ["net"]`, and `--allow-net`).
 *
 * @module
 */

import { formatAddress, type HostPort } from "../address.ts";
import { deliver, Destinations, SlabCopier } from "./_util.ts";
import type { DatagramHandler, Transport } from "./transport.ts";

/** The largest UDP payload: the receive buffer's size. */
const RECEIVE_BUFFER = 65507;

/**
 * Options for {@link UdpTransport.bind}.
 */
export interface UdpTransportOptions {
  /** Address to bind, default `127.0.0.1`. IPv6 literals without brackets. */
  hostname?: string;
  /** Port to bind; 0 (the default) picks a free one. */
  port?: number;
  /** Called when a send fails (the datagram is lost, as UDP may lose it anyway). */
  onSendError?: (to: string, error: unknown) => void;
}

/**
 * A {@link Transport} on a UDP socket. `close()` ends the receive loop
 * cleanly and waits for pending sends.
 */
export class UdpTransport implements Transport {
  /** The bound address, `host:port`. */
  readonly address: string;
  #conn: Deno.DatagramConn;
  #closed = false;
  #loop: Promise<void> | undefined;
  #pending = new Set<Promise<unknown>>();
  #targets = new Destinations();
  #onSendError: (to: string, error: unknown) => void;

  private constructor(conn: Deno.DatagramConn, onSendError?: (to: string, error: unknown) => void) {
    this.#conn = conn;
    const addr = conn.addr as Deno.NetAddr;
    this.address = formatAddress(addr.hostname, addr.port);
    this.#onSendError = onSendError ?? (() => {});
  }

  /**
   * Binds a UDP socket. Throws `Deno.errors.AddrInUse` naming the address
   * when the port is taken, and `Deno.errors.NotCapable` (or
   * `PermissionDenied`) explaining `--allow-net` when permission is missing.
   */
  static bind(options: UdpTransportOptions = {}): Promise<UdpTransport> {
    const hostname = options.hostname ?? "127.0.0.1";
    const port = options.port ?? 0;
    const where = formatAddress(hostname, port);
    try {
      const conn = Deno.listenDatagram({ transport: "udp", hostname, port });
      return Promise.resolve(new UdpTransport(conn, options.onSendError));
    } catch (e) {
      if (e instanceof Deno.errors.AddrInUse) {
        throw new Deno.errors.AddrInUse(
          `address ${where} is already in use: pick another port, or 0 for any free one`,
        );
      }
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        const Ctor = e.constructor as new (message: string) => Error;
        throw new Ctor(`no permission to bind UDP ${where}: run with --allow-net`);
      }
      if (e instanceof Deno.errors.AddrNotAvailable) {
        throw new Deno.errors.AddrNotAvailable(`cannot bind ${where}: no such local address`);
      }
      throw e;
    }
  }

  /** Starts the receive loop. */
  listen(handler: DatagramHandler): void {
    if (this.#loop) throw new Error("listen() was already called");
    this.#loop = this.#receiveLoop(handler);
  }

  async #receiveLoop(handler: DatagramHandler): Promise<void> {
    // Without a buffer, receive() allocates 64 KiB per datagram (most of the
    // receive path's cost and garbage). Receive into one reused buffer and
    // copy each datagram out into a shared slab.
    const buffer = new Uint8Array(RECEIVE_BUFFER);
    const slabs = new SlabCopier();
    while (!this.#closed) {
      let data: Uint8Array, addr: Deno.Addr;
      try {
        const [view, from] = await this.#conn.receive(buffer);
        addr = from;
        data = slabs.copy(view);
      } catch (e) {
        if (this.#closed) return;
        if (e instanceof Deno.errors.Interrupted || e instanceof Deno.errors.BadResource) return;
        // A transient receive error (e.g. ICMP port unreachable on some OSes): keep going.
        continue;
      }
      const a = addr as Deno.NetAddr;
      deliver(handler, formatAddress(a.hostname, a.port), data);
    }
  }

  /** Sends a datagram; failures are reported to `onSendError`, never thrown. */
  send(to: string, data: Uint8Array): void {
    if (this.#closed) return;
    let target: HostPort;
    try {
      target = this.#targets.get(to);
    } catch (e) {
      this.#onSendError(to, e);
      return;
    }
    const p = this.#conn.send(data, { transport: "udp", ...target }).catch((e) =>
      this.#onSendError(to, e)
    );
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p));
  }

  /** Closes the socket (once), ends the receive loop and waits for pending sends. */
  async close(): Promise<void> {
    if (this.#closed) {
      await this.#loop;
      return;
    }
    this.#closed = true;
    await Promise.allSettled([...this.#pending]);
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    await this.#loop;
  }
}
