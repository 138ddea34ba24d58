/**
 * Follows {@link Broadcast}s through a {@link Simulation}: deliveries from
 * the nodes' `message` events, copies from the datagrams on the wire.
 * Private to `src/testing/`.
 *
 * @module
 */

import { CodecError, decode, HEADER_SIZE, Kind } from "../wire/codec.ts";
import type { Message } from "../wire/message.ts";
import { Broadcast } from "./broadcast.ts";

/** Broadcasts followed, keyed `origin/id`. */
export class BroadcastFollower {
  /** Followed for deliveries. */
  #followed = new Map<string, Broadcast>();
  /** Followed for copies too (until settled or untracked). */
  #counting = new Map<string, Broadcast>();
  /** While the origin picks the id: its address and the ids of its GOSPs on the wire. */
  #pendingOrigin: string | undefined;
  #pendingCopies: { ids: number[]; bytes: number }[] = [];
  readonly #indexOf: (address: string) => number;
  readonly #now: () => number;

  constructor(indexOf: (address: string) => number, now: () => number) {
    this.#indexOf = indexOf;
    this.#now = now;
  }

  /**
   * Calls `broadcast` (node `origin` at `address` broadcasting; it returns
   * the id) and follows the result, counting the copies the origin put on
   * the wire before the id was known.
   */
  follow(
    origin: number,
    address: string,
    size: number,
    population: () => number,
    broadcast: () => number,
  ): Broadcast {
    this.#pendingOrigin = address;
    this.#pendingCopies = [];
    let id: number;
    try {
      id = broadcast();
    } finally {
      this.#pendingOrigin = undefined;
    }
    const now = this.#now();
    const b = new Broadcast(origin, id, now, size, population);
    const key = `${address}/${id}`;
    this.#followed.set(key, b);
    this.#counting.set(key, b);
    for (const p of this.#pendingCopies) {
      const copies = p.ids.filter((x) => x === id).length;
      if (copies > 0) b.recordCopies(copies, p.bytes, origin, now);
    }
    this.#pendingCopies = [];
    return b;
  }

  /** Stops following the broadcast `id` of `address`. */
  forget(address: string, id: number): void {
    const key = `${address}/${id}`;
    this.#followed.delete(key);
    this.#counting.delete(key);
  }

  /** Stops counting the copies of broadcast `id` of `address` (deliveries are still recorded). */
  stopCounting(address: string, id: number): void {
    this.#counting.delete(`${address}/${id}`);
  }

  /** Records that `node` delivered message `id` of `from` after `hops` relays. */
  delivered(node: number, from: string, id: number, hops: number): void {
    const b = this.#followed.get(`${from}/${id}`);
    if (b) b.record(node, this.#now(), hops);
  }

  /** Reads a datagram on the wire and counts the copies of followed broadcasts it carries. */
  tap(from: string, data: Uint8Array): void {
    if (this.#counting.size === 0 && this.#pendingOrigin === undefined) return;
    // Only a GOSP or a batch can carry one: skip the rest (a SYNC's table, say) undecoded.
    const kind = data.length > HEADER_SIZE ? data[HEADER_SIZE] : -1;
    if (kind !== Kind.gosp && kind !== Kind.batch) return;
    let message: Message;
    try {
      message = decode(data);
    } catch (e) {
      if (e instanceof CodecError) return; // not a native frame
      throw e;
    }
    const messages = message.type === "batch" ? message.messages : [message];
    let found: Map<Broadcast, number> | undefined;
    let pending: number[] | undefined;
    for (const m of messages) {
      if (m.type !== "gosp") continue;
      const b = this.#counting.get(`${m.origin}/${m.id}`);
      if (b) {
        found ??= new Map();
        found.set(b, (found.get(b) ?? 0) + 1);
      } else if (m.origin === this.#pendingOrigin) {
        (pending ??= []).push(m.id);
      }
    }
    if (pending) this.#pendingCopies.push({ ids: pending, bytes: data.length });
    if (!found) return;
    const sender = this.#indexOf(from);
    const now = this.#now();
    for (const [b, copies] of found) b.recordCopies(copies, data.length, sender, now);
  }
}
