/**
 * The transport stack a node sends through: the socket (`Deno.listenDatagram`
 * where there is one, else `node:dgram`; or a transport the caller gives),
 * the traffic counters, which see datagrams as they are on the wire, and the
 * sealing and label layer on top when there are keys or a label.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { DgramTransport } from "./dgram.ts";
import type { Keyring } from "./keyring.ts";
import { type SecureDropReason, SecureTransport } from "./secure.ts";
import type { Transport } from "./transport.ts";
import { UdpTransport } from "./udp.ts";

const log = getLogger(["peer", "net"]);

/** Datagrams and bytes in and out, as on the wire. */
export interface Traffic {
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
}

/** What the stack is made of. */
export interface StackOptions {
  /** Use this transport instead of binding a UDP socket. */
  transport?: Transport;
  hostname: string;
  port: number;
  /** Seal and open every datagram with these keys. */
  keyring?: Keyring;
  /** The cluster label. */
  label?: string;
  /** Told of every datagram the sealing layer drops. */
  onDrop: (reason: SecureDropReason, from: string) => void;
}

/** A node's transport stack. */
export interface Stack {
  /** The top of the stack: what the node sends through and listens on. */
  transport: Transport;
  /** The wire's counters. */
  traffic: Traffic;
  /** Bytes the sealing or label layer adds to every datagram. */
  overhead: number;
}

/** Binds (or takes) the socket and builds the stack on it; closes the socket again on failure. */
export async function buildStack(options: StackOptions): Promise<Stack> {
  const bound = options.transport ?? await bindUdp(options.hostname, options.port);
  const traffic: Traffic = { packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0 };
  const counted = countTraffic(bound, traffic);
  if (options.keyring === undefined && options.label === undefined) {
    return { transport: counted, traffic, overhead: 0 };
  }
  try {
    const secure = new SecureTransport(counted, {
      keyring: options.keyring,
      label: options.label,
      onDrop: options.onDrop,
    });
    return { transport: secure, traffic, overhead: secure.overhead };
  } catch (e) {
    await bound.close();
    throw e;
  }
}

/**
 * A UDP socket: `Deno.listenDatagram` where there is one (Deno with
 * `--unstable-net`), else `node:dgram` (Node.js, Bun, Deno without it).
 */
async function bindUdp(hostname: string, port: number): Promise<Transport> {
  const deno = (globalThis as { Deno?: { listenDatagram?: unknown } }).Deno;
  const native = typeof deno?.listenDatagram === "function";
  const options = {
    hostname,
    port,
    onSendError: (to: string, e: unknown) =>
      log.debug("send to {to} failed: {error}", { to, error: String(e) }),
  };
  const socket = native ? await UdpTransport.bind(options) : await DgramTransport.bind(options);
  log.info("UDP socket {address}: {socket}", {
    address: socket.address,
    socket: native ? "Deno.listenDatagram" : "node:dgram",
  });
  return socket;
}

/** `transport`, counting every datagram in and out into `traffic`. */
function countTraffic(transport: Transport, traffic: Traffic): Transport {
  return {
    get address() {
      return transport.address;
    },
    listen(handler) {
      transport.listen((from, data) => {
        traffic.packetsReceived++;
        traffic.bytesReceived += data.length;
        handler(from, data);
      });
    },
    send(to, data) {
      traffic.packetsSent++;
      traffic.bytesSent += data.length;
      transport.send(to, data);
    },
    close: () => transport.close(),
  };
}
