/**
 * What both UDP transports (udp.ts, dgram.ts) do alike: copy received
 * datagrams into shared slabs, remember parsed destinations, and hand
 * datagrams to a handler that must not break the socket.
 *
 * @module
 */

import { type HostPort, parseAddress } from "../address.ts";
import type { DatagramHandler } from "./transport.ts";

/** Size of the slabs received datagrams are copied into. */
const SLAB = 16384;

/**
 * Copies received datagrams out of a buffer the socket reuses (or one far
 * larger than the datagram) into shared 16 KiB slabs, handed out as views.
 * Handlers may keep the bytes (a delivered payload is a view into them), so
 * a slab region is never written twice; a datagram over a quarter of a slab
 * gets an array of its own.
 */
export class SlabCopier {
  #slab = new Uint8Array(SLAB);
  #used = 0;

  /** A copy of `bytes` that nothing else will write to. */
  copy(bytes: Uint8Array): Uint8Array {
    const n = bytes.length;
    if (n > SLAB >> 2) return new Uint8Array(bytes);
    if (this.#used + n > SLAB) {
      this.#slab = new Uint8Array(SLAB);
      this.#used = 0;
    }
    this.#slab.set(bytes, this.#used);
    const out = this.#slab.subarray(this.#used, this.#used + n);
    this.#used += n;
    return out;
  }
}

/**
 * Destinations (`host:port`) parsed once each; at most 65,536 are kept
 * (then all are forgotten), so a stream of new addresses cannot grow it.
 */
export class Destinations {
  #map = new Map<string, HostPort>();
  #mapIpv4: boolean;

  /** With `mapIpv4`, IPv4 destinations get their IPv4-mapped IPv6 address (for an IPv6 socket). */
  constructor(mapIpv4 = false) {
    this.#mapIpv4 = mapIpv4;
  }

  /** Where `to` is; throws on an address that does not parse. */
  get(to: string): HostPort {
    let target = this.#map.get(to);
    if (target) return target;
    target = parseAddress(to);
    if (this.#mapIpv4 && /^\d+\.\d+\.\d+\.\d+$/.test(target.hostname)) {
      target = { hostname: `::ffff:${target.hostname}`, port: target.port };
    }
    if (this.#map.size > 65536) this.#map.clear();
    this.#map.set(to, target);
    return target;
  }
}

/** Hands a datagram to `handler`; if it throws, the datagram is lost, not the socket. */
export function deliver(handler: DatagramHandler, from: string, data: Uint8Array): void {
  try {
    handler(from, data);
  } catch {
    // The handler must not throw.
  }
}
