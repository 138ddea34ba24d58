/**
 * The datagram path of a {@link MemoryNetwork}: whether and when each
 * datagram arrives. Private to `src/testing/`.
 *
 * Each datagram is checked at send time (MTU, destination bound, crash,
 * partition, loss, in that order) and again at delivery time (destination
 * still bound and listening, not crashed, not partitioned away). Datagrams
 * in flight wait in one heap on `(at, seq)`; one clock timer at a time is
 * armed, for the earliest.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { Random } from "../engine.ts";
import { type Endpoint, Packet, type Router } from "./_endpoint.ts";
import { Heap } from "./_heap.ts";
import type { Partitions } from "./_partitions.ts";
import type { Totals } from "./network_stats.ts";

/** Sends, queues and delivers datagrams between bound endpoints. */
export class DatagramPath implements Router {
  /** Base one-way delay, ms (validated by the network). */
  delay = 0;
  /** Jitter, ms (validated by the network). */
  jitter = 0;
  /** Loss probability (validated by the network). */
  loss = 0;

  readonly #clock: Clock;
  readonly #random: Random;
  readonly #mtu: number;
  readonly #tap: ((from: string, to: string, data: Uint8Array) => void) | undefined;
  readonly #bound: Map<string, Endpoint>;
  readonly #partitions: Partitions;
  readonly #totals: Totals;

  readonly #heap = new Heap<Packet>();
  #seq = 0;
  #armed = false;
  #armedAt = Infinity;
  #timer: unknown = undefined;
  #firing = false;

  constructor(
    clock: Clock,
    random: Random,
    mtu: number,
    tap: ((from: string, to: string, data: Uint8Array) => void) | undefined,
    bound: Map<string, Endpoint>,
    partitions: Partitions,
    totals: Totals,
  ) {
    this.#clock = clock;
    this.#random = random;
    this.#mtu = mtu;
    this.#tap = tap;
    this.#bound = bound;
    this.#partitions = partitions;
    this.#totals = totals;
  }

  /** Datagrams in flight. */
  get inFlight(): number {
    return this.#heap.size;
  }

  /** Unbinds `ep` and drops what is in flight to it, so no timer outlives the last transport. */
  close(ep: Endpoint): void {
    if (ep.closed) return;
    ep.closed = true;
    ep.handler = undefined;
    this.#bound.delete(ep.address);
    if (ep.pendingIn > 0) {
      this.#totals.dropUnbound += this.#heap.removeWhere((p) => p.to === ep);
      ep.pendingIn = 0;
      if (!this.#firing) this.#arm();
    }
  }

  /** Counts a datagram from `from` and queues it for `to`, or drops it. */
  send(from: Endpoint, to: string, data: Uint8Array): void {
    if (from.closed) return;
    const size = data.byteLength;
    const totals = this.#totals;
    totals.sent++;
    totals.bytes += size;
    const fs = from.stats;
    fs.sentPackets++;
    fs.sentBytes += size;
    if (this.#tap !== undefined) this.#tap(from.address, to, data);
    if (size > this.#mtu) {
      totals.dropMtu++;
      return;
    }
    const dst = this.#bound.get(to);
    if (dst === undefined) {
      totals.dropUnbound++;
      return;
    }
    if (from.crashed || dst.crashed) {
      totals.dropCrashed++;
      return;
    }
    if (this.#partitions.cuts(from.group, dst.group)) {
      totals.dropPartition++;
      return;
    }
    let delay = this.delay, jitter = this.jitter, loss = this.loss;
    if (from.links !== undefined) {
      const link = from.links.get(to);
      if (link !== undefined) {
        if (link.delay !== undefined) delay = link.delay;
        if (link.jitter !== undefined) jitter = link.jitter;
        if (link.loss !== undefined) loss = link.loss;
      }
    }
    if (loss > 0 && this.#random.next() < loss) {
      totals.dropLoss++;
      return;
    }
    if (jitter > 0) delay += this.#random.next() * jitter;
    const at = this.#clock.now() + delay;
    dst.pendingIn++;
    this.#heap.push(at, ++this.#seq, new Packet(from, dst, new Uint8Array(data)));
    if (!this.#firing && (!this.#armed || at < this.#armedAt)) this.#arm();
  }

  /** Arms the single clock timer for the earliest datagram, or clears it. */
  #arm(): void {
    const heap = this.#heap;
    if (heap.size === 0) {
      if (this.#armed) {
        this.#clock.clearTimeout(this.#timer);
        this.#armed = false;
        this.#armedAt = Infinity;
        this.#timer = undefined;
      }
      return;
    }
    const at = heap.peekAt();
    if (this.#armed) {
      if (this.#armedAt <= at) return;
      this.#clock.clearTimeout(this.#timer);
    }
    this.#armed = true;
    this.#armedAt = at;
    this.#timer = this.#clock.setTimeout(this.#fire, Math.max(0, at - this.#clock.now()));
  }

  /** The timer callback: delivers what is due, then re-arms. */
  readonly #fire = (): void => {
    // Timers may fire a little early on a real clock: what we armed for is due.
    const limit = Math.max(this.#armedAt, this.#clock.now());
    this.#armed = false;
    this.#armedAt = Infinity;
    this.#timer = undefined;
    // Datagrams sent while delivering wait for the next timer, like any timer
    // set now, so a zero-delay exchange cannot starve other timers.
    const lastSeq = this.#seq;
    this.#firing = true;
    try {
      const heap = this.#heap;
      while (heap.size > 0 && heap.peekAt() <= limit && heap.peekSeq() <= lastSeq) {
        this.#deliver(heap.pop()!);
      }
    } finally {
      this.#firing = false;
      this.#arm();
    }
  };

  #deliver(p: Packet): void {
    const dst = p.to;
    dst.pendingIn--;
    const totals = this.#totals;
    const handler = dst.handler;
    if (dst.closed || handler === undefined) {
      totals.dropUnbound++;
      return;
    }
    if (dst.crashed) {
      totals.dropCrashed++;
      return;
    }
    const parts = this.#partitions;
    if (parts.active) {
      const src = p.from;
      const g = src.closed ? parts.groupOf(src.address) : src.group;
      if (parts.cuts(g, dst.group)) {
        totals.dropPartition++;
        return;
      }
    }
    const size = p.data.byteLength;
    totals.delivered++;
    const ds = dst.stats;
    ds.receivedPackets++;
    ds.receivedBytes += size;
    handler(p.from.address, p.data);
  }
}
