/**
 * Tags on the wire: a write spreads as a small delta (TAGS) with the
 * membership gossip, and every node that learns something new passes it on;
 * anti-entropy reconciles by digest (DIGEST), so two nodes that hold the same
 * exchange a hash and nothing more, and a node that lacks something gets only
 * that, in as many datagrams as it takes, paced.
 *
 * @module
 */

import { encodeBody } from "../wire/codec.ts";
import type { DigestMessage, TagsMessage } from "../wire/message.ts";
import type { Context } from "./context.ts";
import type { Outbox } from "./outbox.ts";
import type { MemberState } from "./state.ts";
import { type TagChange, TagStore } from "./tag_store.ts";

/** Bytes of a TAGS frame besides its entries (header, kind, owner, numbers, count), at most. */
const TAGS_OVERHEAD = 2 + 1 + 256 + 8 + 4 + 4 + 1 + 2;
/** Bytes of a DIGEST frame besides its entries (header, kind, flags, numbers, bounds, count), at most. */
const DIGEST_OVERHEAD = 2 + 1 + 1 + 12 + 256 + 256 + 2;
/** Frames the pump sends per tick, and the tick (ms). */
const PACE_FRAMES = 16, PACE_MS = 5;

type Line = DigestMessage["entries"][number];

/** The tags room: the store, the gossip of deltas, the digests and the paced sending. */
export class Tags {
  readonly store: TagStore;
  #ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">;
  #outbox: Outbox;
  #state: MemberState;
  #pending: { to: string; body: Uint8Array }[] = [];
  #pumping = false;

  /** The tags of a node that starts in `generation` with `initial` tags. */
  constructor(
    ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">,
    outbox: Outbox,
    state: MemberState,
    generation: number,
    initial: Readonly<Record<string, string>>,
  ) {
    this.#ctx = ctx;
    this.#outbox = outbox;
    this.#state = state;
    this.store = new TagStore(ctx.self, generation, ctx.config.maxTagBytes);
    for (const delta of this.store.setAll(initial)) this.#spread(delta);
  }

  /** Sets one of this node's keys and spreads the change. */
  set(key: string, value: string): void {
    this.#spread(this.store.set(key, value));
    this.#emit([{ address: this.#ctx.self, key, value }]);
  }

  /** Deletes one of this node's keys and spreads the change. */
  delete(key: string): void {
    const delta = this.store.delete(key, this.#ctx.env.now());
    if (!delta) return;
    this.#spread(delta);
    this.#emit([{ address: this.#ctx.self, key }]);
  }

  /**
   * TAGS from `from`. About an unknown member (or this node): ignored. What
   * is new is applied, reported, and a single-key delta passed on; a frame
   * that does not follow what this node holds asks the sender for the rest
   * (its digest line, so that only the gap travels back).
   */
  onTags(from: string, m: TagsMessage): void {
    const ctx = this.#ctx;
    if (m.owner === ctx.self || !ctx.members.has(m.owner)) return;
    const applied = this.store.apply(m, ctx.env.now());
    this.#emit(applied.changes);
    if (applied.fresh && m.entries.length === 1 && !m.reset) this.#spread(m);
    if (!applied.contiguous && ctx.members.has(from)) {
      const line = this.store.digest().find((l) => l.owner === m.owner);
      this.#send(from, true, true, line ? [line] : [], m.owner, m.owner);
    }
  }

  /**
   * A DIGEST from `from` (a member), for its tag part: a summary that
   * differs is answered with this node's full digest; a full digest is
   * answered with what `from` lacks, and, when it answered ours (`reply`),
   * with our digest too if `from` holds something we lack.
   */
  onDigest(from: string, m: DigestMessage): void {
    if (!m.full) {
      if (m.tagsHash !== this.store.hash && !m.reply) this.sendDigest(from, true);
      return;
    }
    const theirs = new Map<string, Line>();
    for (const line of m.entries) theirs.set(line.owner, line);
    let weLack = false;
    const ours = this.store.digest();
    for (const line of ours) {
      if (!inRange(line.owner, m.after, m.through)) continue;
      for (
        const delta of this.store.deltasFor(line.owner, theirs.get(line.owner), this.#budget())
      ) {
        this.#queue(from, delta);
      }
    }
    if (m.reply) {
      const held = new Map(ours.map((l) => [l.owner, l]));
      for (const line of m.entries) {
        const mine = held.get(line.owner);
        if (line.owner === this.#ctx.self || !this.#ctx.members.has(line.owner)) continue;
        if (
          !mine || line.generation > mine.generation ||
          (line.generation === mine.generation && line.version > mine.version)
        ) weLack = true;
      }
      if (weLack) this.sendDigest(from, false);
    }
  }

  /** Sends `to` this node's whole tag digest (in parts when large). */
  sendDigest(to: string, reply: boolean): void {
    const lines = this.store.digest().sort((
      a,
      b,
    ) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
    const budget = this.#ctx.config.maxDatagramSize - DIGEST_OVERHEAD;
    let part: Line[] = [], used = 0, after = "";
    for (const line of lines) {
      const cost = 1 + line.owner.length * 3 + 12;
      if (used + cost > budget && part.length > 0) {
        const through = part[part.length - 1].owner;
        this.#send(to, reply, true, part, after, through);
        after = through;
        part = [];
        used = 0;
      }
      part.push(line);
      used += cost;
    }
    this.#send(to, reply, true, part, after, "");
  }

  /** Sends `to` a summary: the counts and hashes only. */
  sendSummary(to: string, reply: boolean): void {
    this.#send(to, reply, false, [], "", "");
  }

  /** Forgets reaped members' tags, reporting their keys as deleted. */
  forget(addresses: readonly string[]): void {
    for (const address of addresses) this.#emit(this.store.forget(address));
  }

  /** Forgets tombstones older than `tagTombstoneTtl`. */
  collect(): void {
    this.store.collect(this.#ctx.env.now(), this.#ctx.config.tagTombstoneTtl);
  }

  /** The `tag-pump` timer: sends the next frames due, and goes on while any are left. */
  pump(): void {
    const batch = this.#pending.splice(0, PACE_FRAMES);
    for (const { to, body } of batch) this.#outbox.send(to, [body], false);
    this.#pumping = this.#pending.length > 0;
    if (this.#pumping) this.#ctx.env.schedule({ name: "tag-pump" }, PACE_MS);
  }

  #send(
    to: string,
    reply: boolean,
    full: boolean,
    entries: Line[],
    after: string,
    through: string,
  ): void {
    this.#outbox.send(to, [encodeBody({
      type: "digest",
      reply,
      full,
      ...this.#state.summary(),
      tagsHash: this.store.hash,
      after,
      through,
      entries,
    })], false);
  }

  #budget(): number {
    return this.#ctx.config.maxDatagramSize - TAGS_OVERHEAD;
  }

  #queue(to: string, m: TagsMessage): void {
    this.#pending.push({ to, body: encodeBody(m) });
    if (!this.#pumping) {
      this.#pumping = true;
      this.#ctx.env.schedule({ name: "tag-pump" }, 0);
    }
  }

  /** Queues a single-key delta for the membership gossip (a newer one for the key replaces it). */
  #spread(m: TagsMessage): void {
    const body = encodeBody(m);
    if (body.length > this.#outbox.maxBody) return;
    this.#outbox.enqueue(`t:${m.owner}:${m.entries[0]?.key ?? ""}`, body);
  }

  #emit(changes: TagChange[]): void {
    for (const c of changes) this.#ctx.env.emit("tag", c);
  }
}

/** Whether `owner` lies after `after` and up to `through` ("" = unbounded). */
function inRange(owner: string, after: string, through: string): boolean {
  return (after === "" || owner > after) && (through === "" || owner <= through);
}
