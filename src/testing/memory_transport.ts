/**
 * {@link MemoryTransport}: the {@link Transport} a {@link MemoryNetwork} hands out.
 *
 * @module
 */

import type { Transport } from "../net/transport.ts";
import type { Endpoint } from "./_endpoint.ts";

let creating: Endpoint | undefined;

/**
 * A {@link Transport} on a {@link MemoryNetwork}; get one from
 * {@link MemoryNetwork.bind}. `send` never throws and never delivers
 * synchronously; the datagram is copied, so the sender may reuse its buffer.
 * `close` unbinds the address and drops datagrams in flight to it;
 * datagrams it already sent still arrive.
 *
 * @example Two transports talk on a virtual clock
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryNetwork, type MemoryTransport, VirtualClock } from "@gossip/peer/testing";
 * const clock = new VirtualClock();
 * const network = new MemoryNetwork({ clock, delay: 3 });
 * const a: MemoryTransport = network.bind(), b = network.bind();
 * const got: string[] = [];
 * b.listen((from, data) => got.push(`${from} ${data[0]}`));
 * a.send(b.address, new Uint8Array([42]));
 * assert.deepEqual(got, [], "never delivered inside send");
 * clock.advance(3);
 * assert.deepEqual(got, [`${a.address} 42`]);
 * await a.close();
 * await b.close();
 * assert.ok(a.closed && b.closed);
 * ```
 */
export class MemoryTransport implements Transport {
  readonly #ep: Endpoint;

  /** Not for direct use (throws `TypeError`): transports come from {@link MemoryNetwork.bind}. */
  constructor() {
    const ep = creating;
    creating = undefined;
    if (ep === undefined) {
      throw new TypeError("a MemoryTransport is created by MemoryNetwork.bind(), not new");
    }
    this.#ep = ep;
  }

  /**
   * The bound address, `host:port`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const t = new MemoryNetwork().bind("10.1.2.3:4000");
   * assert.equal(t.address, "10.1.2.3:4000");
   * await t.close();
   * ```
   */
  get address(): string {
    return this.#ep.address;
  }

  /**
   * Whether {@link MemoryTransport.close} was called.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const t = new MemoryNetwork().bind();
   * assert.ok(!t.closed);
   * await t.close();
   * assert.ok(t.closed);
   * ```
   */
  get closed(): boolean {
    return this.#ep.closed;
  }

  /**
   * Starts delivering datagrams to `handler` (a second call replaces it).
   * Datagrams that arrive before `listen` are dropped.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork, VirtualClock } from "@gossip/peer/testing";
   * const clock = new VirtualClock();
   * const network = new MemoryNetwork({ clock });
   * const t = network.bind();
   * let bytes = 0;
   * t.listen((_from, data) => bytes += data.length);
   * t.send(t.address, new Uint8Array(5));
   * clock.advance(0);
   * assert.equal(bytes, 5);
   * await t.close();
   * ```
   */
  listen(handler: (from: string, data: Uint8Array) => void): void {
    if (!this.#ep.closed) this.#ep.handler = handler;
  }

  /**
   * Sends one datagram to `to`; drops it silently when it cannot go (see
   * {@link MemoryNetwork.stats}).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * const t = network.bind();
   * t.send("10.200.0.1:7946", new Uint8Array(1)); // nobody there: dropped, no throw
   * assert.equal(network.stats.dropped.unbound, 1);
   * await t.close();
   * ```
   */
  send(to: string, data: Uint8Array): void {
    const ep = this.#ep;
    ep.router.send(ep, to, data);
  }

  /**
   * Unbinds the address and drops datagrams in flight to it. Idempotent.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "@gossip/peer/testing";
   * const network = new MemoryNetwork();
   * const t = network.bind();
   * await t.close();
   * await t.close();
   * assert.deepEqual(network.addresses(), []);
   * ```
   */
  close(): Promise<void> {
    const ep = this.#ep;
    ep.router.close(ep);
    return Promise.resolve();
  }
}

/** Wraps a freshly bound endpoint in its transport; for {@link MemoryNetwork.bind} only. */
export function openTransport(ep: Endpoint): MemoryTransport {
  creating = ep;
  try {
    return new MemoryTransport();
  } finally {
    creating = undefined;
  }
}
