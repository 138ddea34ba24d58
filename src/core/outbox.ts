/**
 * What goes out, and how it is packed. Membership updates and messages wait
 * in the piggyback queue (queue.ts), each for a bounded number of
 * transmissions; every datagram a room sends to a live member is filled up
 * with them, up to `maxDatagramSize`. A table larger than one datagram (INFO,
 * SYNC) is split into frames that each fit.
 *
 * @module
 */

import { encodeBody, HEADER_SIZE, Kind, pack, Writer } from "../wire/codec.ts";
import type { MemberRecord, SingleMessage } from "../wire/message.ts";
import { splitRecords } from "../wire/split.ts";
import type { Context } from "./context.ts";
import { isLive } from "./membership.ts";
import { BroadcastQueue, retransmitLimit } from "./queue.ts";

/** Bytes a batch spends per message: its 2-byte length. */
const ENTRY_OVERHEAD = 2;
/** Bytes of a batch's header: magic, version, kind, count. */
const BATCH_HEADER = HEADER_SIZE + 2;

/** The piggyback queue and the datagram packer of one node. */
export class Outbox {
  /** Updates and messages waiting to ride on outgoing datagrams. */
  readonly queue: BroadcastQueue = new BroadcastQueue();
  #ctx: Pick<Context, "env" | "config" | "members" | "metrics" | "phase">;
  #writer = new Writer(2048);

  /** Creates an empty outbox. */
  constructor(ctx: Pick<Context, "env" | "config" | "members" | "metrics" | "phase">) {
    this.#ctx = ctx;
  }

  /** The largest encoded message that fits a datagram alongside nothing else. */
  get maxBody(): number {
    return this.#ctx.config.maxDatagramSize - BATCH_HEADER - ENTRY_OVERHEAD;
  }

  /**
   * Transmissions per queued item: `retransmitMult * ceil(log10(N + 1))`, but
   * never more than there are other members (sending the same item twice to
   * the only peer of a two-node cluster buys nothing that repair does not).
   * Read at send time, so an item queued in a small cluster is not cut short
   * once it has grown.
   */
  limit(): number {
    const live = this.#ctx.members.liveCount;
    return Math.min(retransmitLimit(this.#ctx.config.retransmitMult, live + 1), Math.max(1, live));
  }

  /** Queues `body` under `key` (replacing an older item with that key). */
  enqueue(key: string, body: Uint8Array): void {
    this.queue.enqueue(key, body, this.limit());
  }

  /** Takes as many queued items as fit one batch (mesh mode sends them to everyone). */
  takeBatch(): Uint8Array[] {
    return this.queue.take(
      this.#ctx.config.maxDatagramSize - BATCH_HEADER,
      ENTRY_OVERHEAD,
      255,
      this.limit(),
    );
  }

  /**
   * Sends `bodies` (pre-encoded messages) to `to` in one datagram, filled up
   * with queued items when `piggyback` and `to` is a live member: a reply to
   * a stranger stays the size it is.
   */
  send(to: string, bodies: Uint8Array[], piggyback = true): void {
    const ctx = this.#ctx;
    if (ctx.phase === "stopped") return;
    let all = bodies;
    const member = piggyback && this.queue.size > 0 ? ctx.members.get(to) : undefined;
    if (member && isLive(member.state)) {
      let used = BATCH_HEADER;
      for (const b of bodies) used += b.length + ENTRY_OVERHEAD;
      const extra = this.queue.take(
        ctx.config.maxDatagramSize - used,
        ENTRY_OVERHEAD,
        255 - bodies.length,
        this.limit(),
      );
      if (extra.length > 0) all = bodies.concat(extra);
    }
    if (all.length === 0) return;
    for (const body of all) if (body[0] === Kind.gosp) ctx.metrics.copiesSent++;
    ctx.env.send(to, pack(all, this.#writer));
  }

  /** Sends a member table to `to` as frames (`frame(part)`) that each fit one datagram. */
  sendRecords(
    to: string,
    records: readonly MemberRecord[],
    frame: (part: MemberRecord[]) => SingleMessage,
  ): void {
    for (const part of splitRecords(records, this.#ctx.config.maxDatagramSize)) {
      this.send(to, [encodeBody(frame(part))], false);
    }
  }
}
