/**
 * The portable transport: one UDP socket from `node:dgram`, for Node.js,
 * Bun, and Deno run without `--unstable-net` (where `Deno.listenDatagram`
 * is missing). Same contract as {@link UdpTransport}.
 *
 * @module
 */

import type { Socket } from "node:dgram";
import { formatAddress, type HostPort } from "../address.ts";
import { deliver, Destinations, SlabCopier } from "./_util.ts";
import type { DatagramHandler, Transport } from "./transport.ts";
import type { UdpTransportOptions } from "./udp.ts";

/** A received buffer wasting more than this many bytes is copied out (Deno's node:dgram: 64 KiB each). */
const MAX_WASTE = 1024;

/** The error names `bind` throws, as `Deno.errors` names them. */
type NetErrorName = "AddrInUse" | "AddrNotAvailable" | "NotCapable";

const CODES: Record<NetErrorName, string> = {
  AddrInUse: "EADDRINUSE",
  AddrNotAvailable: "EADDRNOTAVAIL",
  NotCapable: "ERR_ACCESS_DENIED",
};

/** The `Deno` namespace when running on Deno, else undefined. */
const deno = (globalThis as { Deno?: typeof Deno }).Deno;

/**
 * An error named like Deno's (`AddrInUse`, ...): an instance of
 * `Deno.errors.AddrInUse` on Deno, else an `Error` with that `name` and the
 * matching errno `code` (`EADDRINUSE`, ...).
 */
function netError(name: NetErrorName, message: string, cause?: unknown): Error {
  const Ctor = deno?.errors[name] as (new (message: string) => Error) | undefined;
  const e = Ctor ? new Ctor(message) : Object.assign(new Error(message), { name });
  return Object.assign(e, { code: CODES[name], cause });
}

/**
 * A {@link Transport} on a `node:dgram` socket. Received datagrams are the
 * runtime's own buffers, viewed as plain `Uint8Array`s without a copy
 * (Node.js and Bun allocate one exactly-sized buffer per datagram); only a
 * datagram whose buffer is far larger than itself (Deno's node:dgram gives
 * 64 KiB per datagram) is copied into a shared slab, so that a kept payload
 * does not pin 64 KiB. `close()` waits for pending sends.
 *
 * @example Two sockets on loopback
 * ```ts
 * import assert from "node:assert/strict";
 * import { DgramTransport } from "./dgram.ts";
 * const a = await DgramTransport.bind({ port: 0 });
 * const b = await DgramTransport.bind({ port: 0 });
 * const got = new Promise<string>((resolve) =>
 *   b.listen((from, data) => resolve(`${from} ${data.length}`))
 * );
 * a.send(b.address, new Uint8Array(5));
 * assert.equal(await got, `${a.address} 5`);
 * await a.close();
 * await b.close();
 * ```
 */
export class DgramTransport implements Transport {
  /** The bound address, `host:port`. */
  readonly address: string;
  #socket: Socket;
  #listening = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #pending = 0;
  #drained: (() => void) | undefined;
  #targets: Destinations;
  #onSendError: (to: string, error: unknown) => void;
  /** One callback for every send (no closure per datagram). */
  #sent = (error: Error | null): void => {
    this.#pending--;
    if (error) {
      const e = error as Error & { address?: string; port?: number };
      this.#onSendError(e.address && e.port ? formatAddress(e.address, e.port) : "?", error);
    }
    if (this.#pending === 0) this.#drained?.();
  };

  private constructor(
    socket: Socket,
    ipv6: boolean,
    onSendError?: (to: string, error: unknown) => void,
  ) {
    this.#socket = socket;
    // An IPv6 socket reaches IPv4 peers at their mapped address.
    this.#targets = new Destinations(ipv6);
    const { address, port } = socket.address();
    this.address = formatAddress(address, port);
    this.#onSendError = onSendError ?? (() => {});
  }

  /**
   * Binds a UDP socket (IPv6 when `hostname` is an IPv6 literal). Throws an
   * error named `AddrInUse` (on Deno, `Deno.errors.AddrInUse`; elsewhere an
   * `Error` with code `EADDRINUSE`) naming the address when the port is
   * taken, `AddrNotAvailable` for an address that is not local, and on Deno
   * `Deno.errors.NotCapable` explaining `--allow-net` without permission.
   */
  static async bind(options: UdpTransportOptions = {}): Promise<DgramTransport> {
    const hostname = options.hostname ?? "127.0.0.1";
    const port = options.port ?? 0;
    const where = formatAddress(hostname, port);
    // Deno's node:dgram reports a missing permission as an uncaught error, not
    // to the socket: ask first.
    if (deno && deno.permissions.querySync({ name: "net", host: where }).state !== "granted") {
      throw netError("NotCapable", `no permission to bind UDP ${where}: run with --allow-net`);
    }
    const { createSocket } = await import("node:dgram");
    const ipv6 = hostname.includes(":");
    // Like Deno.listenDatagram: "::" is dual-stack, and a taken port is an error.
    const socket = createSocket({ type: ipv6 ? "udp6" : "udp4", ipv6Only: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind({ address: hostname, port, exclusive: true }, () => {
          socket.off("error", reject);
          resolve();
        });
      });
    } catch (e) {
      socket.close();
      const code = (e as { code?: string }).code;
      if (code === "EADDRINUSE") {
        throw netError(
          "AddrInUse",
          `address ${where} is already in use: pick another port, or 0 for any free one`,
          e,
        );
      }
      if (code === "EADDRNOTAVAIL") {
        throw netError("AddrNotAvailable", `cannot bind ${where}: no such local address`, e);
      }
      throw e;
    }
    // Errors after binding (none expected: sends report to their callback) must not crash.
    socket.on("error", () => {});
    return new DgramTransport(socket, ipv6, options.onSendError);
  }

  /** Starts delivering datagrams to `handler`. */
  listen(handler: DatagramHandler): void {
    if (this.#listening) throw new Error("listen() was already called");
    this.#listening = true;
    const slabs = new SlabCopier();
    this.#socket.on("message", (msg: Uint8Array, rinfo: { address: string; port: number }) => {
      if (this.#closed) return;
      const n = msg.length;
      // A view of the runtime's buffer as a plain Uint8Array (Buffer's slice()
      // shares memory; Uint8Array's copies, as the handlers expect), unless
      // the buffer is far larger than the datagram.
      const data = msg.buffer.byteLength - n <= MAX_WASTE
        ? new Uint8Array(msg.buffer, msg.byteOffset, n)
        : slabs.copy(msg);
      deliver(handler, formatAddress(rinfo.address, rinfo.port), data);
    });
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
    try {
      this.#socket.send(data, target.port, target.hostname, this.#sent);
      this.#pending++;
    } catch (e) {
      this.#onSendError(to, e);
    }
  }

  /** Closes the socket (once), after the pending sends; no datagram is delivered after. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#closing ??= this.#close();
  }

  async #close(): Promise<void> {
    if (this.#pending > 0) {
      await new Promise<void>((resolve) => this.#drained = resolve);
    }
    await new Promise<void>((resolve) => {
      try {
        this.#socket.close(resolve);
      } catch {
        resolve(); // Already closed.
      }
    });
  }
}
