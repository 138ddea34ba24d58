/**
 * Tags on the wire. A write is pushed as a small delta (TAGS, flagged
 * `push`) the way a broadcast is (down the owner's broadcast tree in tree
 * mode), and every node that finds it new passes it on. What a push misses,
 * and a joiner's whole state, the membership gossip carries: each node that
 * learned something piggybacks an announcement (the owner's generation and
 * version, no entries) on its probes, and a node behind asks the announcer
 * for just the gap, then announces it on in turn. Anti-entropy reconciles by
 * digest (DIGEST), so two nodes that hold the same exchange a hash and
 * nothing more, and a node that lacks something gets only that, in as many
 * datagrams as it takes, paced.
 *
 * @module
 */

import { encodeBody } from "../wire/codec.ts";
import type { DigestMessage, TagsMessage } from "../wire/message.ts";
import type { Context } from "./context.ts";
import type { Outbox } from "./outbox.ts";
import type { MemberState } from "./state.ts";
import { type TagChange, TagStore } from "./tag_store.ts";
import { ASK_AGAIN_MS, TagWants } from "./tag_wants.ts";

/** Bytes of a TAGS frame besides its entries (header, kind, owner, numbers, count), at most. */
const TAGS_OVERHEAD = 2 + 1 + 256 + 8 + 4 + 4 + 1 + 2;
/** Bytes of a DIGEST frame besides its entries (header, kind, flags, numbers, bounds, count), at most. */
const DIGEST_OVERHEAD = 2 + 1 + 1 + 12 + 256 + 256 + 2;
/** Frames the pump sends per tick, and the tick (ms). */
const PACE_FRAMES = 16, PACE_MS = 5;

type Line = DigestMessage["entries"][number];

/** Where pushes go, and what they teach (dissemination.ts: the broadcast tree in tree mode). */
export interface PushLinks {
  /** The members to push something of `origin`'s to, `from` (where it came from) excepted. */
  pushTargets(origin: string, from?: string): string[];
  /** A push of `origin`'s that was no news came from `from`. */
  pushDuplicate(from: string, origin: string): void;
  /** `from` asked for what a push of `origin`'s should have brought it. */
  pushMissed(from: string, origin: string): void;
}

/** The tags room: the store, the gossip of deltas, the digests and the paced sending. */
export class Tags {
  readonly store: TagStore;
  #ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">;
  #outbox: Outbox;
  #state: MemberState;
  #links: PushLinks;
  #pending: { to: string; body: Uint8Array }[] = [];
  /** The gaps this node asked to have filled; what fills them is announced on. */
  #wants = new TagWants();
  #asking = false;
  #pumping = false;

  /**
   * The tags of a node that starts in `generation` with `initial` tags;
   * `links` says where a delta of an owner's is pushed (the broadcast tree
   * in tree mode), and learns from duplicates and gaps.
   */
  constructor(
    ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">,
    outbox: Outbox,
    state: MemberState,
    links: PushLinks,
    generation: number,
    initial: Readonly<Record<string, string>>,
  ) {
    this.#ctx = ctx;
    this.#outbox = outbox;
    this.#state = state;
    this.#links = links;
    this.store = new TagStore(ctx.self, generation, ctx.config.maxTagBytes);
    this.store.setAll(initial);
    this.#announce(ctx.self);
  }

  /** Sets one of this node's keys and spreads the change. */
  set(key: string, value: string): void {
    this.#spread({ ...this.store.set(key, value), push: true });
    this.#emit([{ address: this.#ctx.self, key, value }]);
  }

  /** Deletes one of this node's keys and spreads the change. */
  delete(key: string): void {
    const delta = this.store.delete(key, this.#ctx.env.now());
    if (!delta) return;
    this.#spread({ ...delta, push: true });
    this.#emit([{ address: this.#ctx.self, key }]);
  }

  /**
   * This node is in, let in by `seed`: it asks the seed for the cluster's
   * tags (its digest, answered with what it lacks, paced), and announces its
   * own state (a new generation's, after a restart) afresh, now that there
   * are members to tell. Its tags spread as its ALIVE does, with the
   * membership gossip: each member pulls them once, and the first to hold
   * them tell others. (Pushing a whole state down a tree that is not yet
   * pruned would cost a copy per link, not per member.)
   */
  joined(seed: string): void {
    this.sendDigest(seed, false);
    this.#announce(this.#ctx.self);
  }

  /**
   * TAGS from `from`. About an unknown member (or this node): ignored. What
   * is new is applied, reported, and passed on when it was pushed; a frame
   * that does not follow what this node holds (an announcement of a version
   * not held is one) asks the sender for the rest: its digest line for that
   * owner, so that only the gap travels back.
   */
  onTags(from: string, m: TagsMessage): void {
    const ctx = this.#ctx;
    if (m.owner === ctx.self || !ctx.members.has(m.owner)) return;
    const applied = this.store.apply(m, ctx.env.now());
    this.#emit(applied.changes);
    if (applied.fresh && m.push) this.#spread(m, from, applied.contiguous);
    else if (m.push) this.#links.pushDuplicate(from, m.owner);
    else if (applied.fresh && applied.contiguous && this.#wants.has(m.owner)) {
      // What this node asked for (an announcement told it of): announce it
      // on in turn, as each part of the answer lands.
      this.#announce(m.owner);
    }
    const line = this.store.line(m.owner);
    if (line) this.#wants.settle(m.owner, line.generation, line.version);
    // One request per gap at a time: frames that arrive meanwhile out of
    // order must not each ask again (k requests would bring the gap k times).
    if (
      !applied.contiguous && ctx.members.has(from) &&
      this.#wants.lack(m.owner, m.generation, m.to, from, ctx.env.now())
    ) {
      this.#ask(from, m.owner);
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
    // A request for one owner's gap: a push of its did not reach `from` whole.
    if (m.after !== "" && m.after === m.through) this.#links.pushMissed(from, m.after);
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
    for (const address of addresses) {
      this.#wants.forget(address);
      this.#emit(this.store.forget(address));
    }
  }

  /** Forgets tombstones older than `tagTombstoneTtl`. */
  collect(): void {
    this.store.collect(this.#ctx.env.now(), this.#ctx.config.tagTombstoneTtl);
  }

  /** The `tag-ask` timer: asks again for the gaps still open, each of the next member known to hold it. */
  ask(): void {
    const { env, members } = this.#ctx;
    for (const [owner, peer] of this.#wants.overdue(env.now(), (p) => members.isLive(p))) {
      this.#ask(peer, owner);
    }
    this.#asking = this.#wants.size > 0;
    if (this.#asking) env.schedule({ name: "tag-ask" }, ASK_AGAIN_MS);
  }

  /** Asks `peer` for what this node lacks of `owner`'s (its digest line for that owner). */
  #ask(peer: string, owner: string): void {
    const line = this.store.line(owner);
    this.#send(peer, true, true, line ? [line] : [], owner, owner);
    if (!this.#asking) {
      this.#asking = true;
      this.#ctx.env.schedule({ name: "tag-ask" }, ASK_AGAIN_MS);
    }
  }

  /** The `tag-pump` timer: sends the next frames due, and goes on while any are left. */
  pump(): void {
    const batch = this.#pending.splice(0, PACE_FRAMES);
    for (const { to, body } of batch) {
      this.#outbox.send(to, [body], false);
    }
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

  /**
   * Pushes a frame on (to the members `push` names, never back to `from`)
   * and, when this node now holds the owner's state up to it, queues an
   * announcement of that state for the membership gossip (a newer one of the
   * same owner replaces it): a few bytes that let whoever the push missed
   * ask for what it lacks.
   */
  #spread(m: TagsMessage, from?: string, holds = true): void {
    const body = encodeBody(m);
    if (body.length > this.#outbox.maxBody) return;
    for (const peer of this.#links.pushTargets(m.owner, from)) {
      this.#outbox.send(peer, [body], false);
    }
    if (holds) this.#announce(m.owner);
  }

  /** Queues an announcement of what this node holds of `owner` (replacing an older one). */
  #announce(owner: string): void {
    const line = this.store.line(owner);
    if (!line) return;
    this.#outbox.enqueue(
      `t:${owner}`,
      encodeBody({
        type: "tags",
        owner,
        generation: line.generation,
        since: line.version,
        to: line.version,
        reset: false,
        entries: [],
      }),
    );
  }

  #emit(changes: TagChange[]): void {
    for (const c of changes) this.#ctx.env.emit("tag", c);
  }
}

/**
 * Whether `owner` lies after `after` and up to `through` ("" = unbounded);
 * `after` = `through` names that one owner (a request for one owner's gap).
 */
function inRange(owner: string, after: string, through: string): boolean {
  if (after !== "" && after === through) return owner === after;
  return (after === "" || owner > after) && (through === "" || owner <= through);
}
