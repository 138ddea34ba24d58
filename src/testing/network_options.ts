/**
 * The settings of a {@link MemoryNetwork}: network-wide options, per-link
 * overrides, and their validation.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { Random } from "../engine.ts";

/**
 * How a {@link MemoryNetwork} treats datagrams; every field is optional.
 *
 * @example A lossy network on a virtual clock
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   MemoryNetwork,
 *   type MemoryNetworkOptions,
 *   seededRandom,
 *   VirtualClock,
 * } from "@gossip/peer/testing";
 * const options: MemoryNetworkOptions = {
 *   clock: new VirtualClock(),
 *   random: seededRandom(1),
 *   delay: 5,
 *   jitter: 10,
 *   loss: 0.01,
 *   mtu: 1400,
 * };
 * const network = new MemoryNetwork(options);
 * assert.equal(network.delay, 5);
 * assert.equal(network.mtu, 1400);
 * ```
 */
export interface MemoryNetworkOptions {
  /** Time source for delivery timers. Default: the system clock. */
  clock?: Clock;
  /** Randomness for loss and jitter. Default: `Math.random()`. */
  random?: Random;
  /** Base one-way delay in milliseconds. Default 0. */
  delay?: number;
  /** Extra delay, uniform in `[0, jitter)` milliseconds. Default 0. */
  jitter?: number;
  /** Probability in `[0, 1]` that a datagram is lost. Default 0. */
  loss?: number;
  /** Largest datagram in bytes; larger ones are dropped. Default 65507. */
  mtu?: number;
  /**
   * Called for every `send` on an open transport, before any drop decision.
   * `data` is the sender's buffer: read it during the call, copy it to keep it.
   */
  tap?: (from: string, to: string, data: Uint8Array) => void;
}

/**
 * A per-link override for {@link MemoryNetwork.setLink}; a field left out
 * follows the network's current global value.
 *
 * @example One slow, lossy direction
 * ```ts
 * import assert from "node:assert/strict";
 * import { type LinkOptions, MemoryNetwork, VirtualClock } from "@gossip/peer/testing";
 * const clock = new VirtualClock();
 * const network = new MemoryNetwork({ clock, delay: 1 });
 * const a = network.bind(), b = network.bind();
 * const slow: LinkOptions = { delay: 200 };
 * network.setLink(a.address, b.address, slow);
 * const arrived: number[] = [];
 * b.listen(() => arrived.push(clock.now()));
 * a.send(b.address, new Uint8Array(1));
 * clock.advance(1_000);
 * assert.deepEqual(arrived, [200]);
 * await a.close();
 * await b.close();
 * ```
 */
export interface LinkOptions {
  /** One-way delay in milliseconds. */
  delay?: number;
  /** Extra delay, uniform in `[0, jitter)` milliseconds. */
  jitter?: number;
  /** Probability in `[0, 1]` that a datagram is lost. */
  loss?: number;
}

/** Returns `value` if it is a probability in `[0, 1]`; throws `RangeError` otherwise. */
export function checkRate(name: string, value: number): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be a probability in [0, 1], got ${value}`);
  }
  return value;
}

/** Returns `value` if it is a finite, non-negative number of ms; throws `RangeError` otherwise. */
export function checkMs(name: string, value: number): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number of milliseconds >= 0, got ${value}`);
  }
  return value;
}

/** Returns `mtu` if it is a positive integer; throws `RangeError` otherwise. */
export function checkMtu(mtu: number): number {
  if (!Number.isInteger(mtu) || mtu < 1) {
    throw new RangeError(`mtu must be a positive integer, got ${mtu}`);
  }
  return mtu;
}

/** A validated copy of `link` with only the fields it sets. */
export function checkLink(link: LinkOptions): LinkOptions {
  const out: LinkOptions = {};
  if (link.delay !== undefined) out.delay = checkMs("delay", link.delay);
  if (link.jitter !== undefined) out.jitter = checkMs("jitter", link.jitter);
  if (link.loss !== undefined) out.loss = checkRate("loss", link.loss);
  return out;
}
