/**
 * Epidemic broadcast trees (Plumtree: Leitão, Pereira and Rodrigues, SRDS
 * 2007) over the full member list. Each node keeps a few **eager** links, over
 * which it pushes whole messages, and treats every other member as **lazy**:
 * it only announces message ids to a few of them (IHAVE). A copy that arrives
 * twice prunes the link it came over (PRUNE, both ends go lazy), so the eager
 * links settle into a spanning tree and each delivery costs one copy. A
 * message announced but not received in time is asked for (GRAFT), which
 * also makes that link eager again: loss and crashes repair the tree.
 *
 * Each sender (origin) has a tree of its own: a node keeps an eager set per
 * origin, and a duplicate of one origin's message prunes the link in that
 * origin's tree only. (A tree shared by all senders is cheaper to keep, but
 * messages of two senders crossing a cycle from both ends prune two of its
 * links, which cuts the tree apart; measured at N = 50 with every node
 * sending, that cost up to a second of latency in repairs.) Trees are kept
 * for the last `MAX_TREES` origins heard from; a forgotten one forms again.
 *
 * @module
 */

import { encodeBody, utf8Length } from "../wire/codec.ts";
import type { MessageRef } from "../wire/message.ts";
import type { Context } from "./context.ts";
import type { LinkDelay } from "./link_delay.ts";
import type { Outbox } from "./outbox.ts";
import type { Repair } from "./repair.ts";
import type { SeenCache } from "./seen_cache.ts";

/** Bytes of an IHAVE besides its refs: batch header, entry length, kind, count. */
const IHAVE_OVERHEAD = 2 + 2 + 2 + 2;
/** How many origins' trees a node keeps (the least recently used is forgotten first). */
export const MAX_TREES = 4096;

/** A message announced to us that we do not have yet. */
interface Missing {
  ref: MessageRef;
  /** Who announced it, in the order they did. */
  announcers: string[];
  /** How many GRAFTs went out for it: the next goes to `announcers[asked % length]`. */
  asked: number;
  /** When it was first announced: it is given up after the repair window. */
  since: number;
  /** Matches the `token` of the one graft timer that may act on it. */
  token: number;
}

/** The eager links of one node in one origin's tree. */
interface Tree {
  eager: Set<string>;
  /** Whether this node has pushed in this tree before (and so picked its random peers). */
  formed: boolean;
}

/** The eager and lazy links of one node, and the IHAVE/GRAFT/PRUNE exchange over them. */
export class BroadcastTree {
  #ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics">;
  #outbox: Outbox;
  #delay: LinkDelay;
  #seen: SeenCache;
  #repair: Repair;
  /** Trees by origin, least recently used first. */
  #trees = new Map<string, Tree>();
  /** The origin of the most recently used tree. */
  #last: string | undefined;
  /** Ids received since the last IHAVE went out. */
  #announce: MessageRef[] = [];
  #lazyArmed = false;
  #missing = new Map<string, Missing>();
  #token = 0;

  /** Creates the tree of a node that has no links yet. */
  constructor(
    ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics">,
    outbox: Outbox,
    delay: LinkDelay,
    seen: SeenCache,
    repair: Repair,
  ) {
    this.#ctx = ctx;
    this.#outbox = outbox;
    this.#delay = delay;
    this.#seen = seen;
    this.#repair = repair;
  }

  /** The members `origin`'s messages are pushed to (empty for an origin never heard from). */
  eager(origin: string): string[] {
    return [...(this.#trees.get(origin)?.eager ?? [])];
  }

  /** How many origins' trees this node keeps. */
  get trees(): number {
    return this.#trees.size;
  }

  /** Messages announced to us that we are waiting for. */
  get missing(): number {
    return this.#missing.size;
  }

  /**
   * The eager peers of `ref`'s origin's tree to push it to (all but `from`),
   * and its id queued for the lazy ones. Eager peers that are no longer live
   * leave the tree here. A tree new to this node, or one whose eager peers
   * are all gone, gets random members: the first messages flood that random
   * graph, and the duplicates prune it to the tree of first arrivals. The
   * wider that graph, the shallower the tree: as many as epidemic mode pushes
   * a first copy to (`retransmitMult × ⌈log10(N + 1)⌉ − 2`), and at least
   * `eagerPeers`. (At N = 1,000 in the simulator, 3 random peers left a tree
   * 10 hops deep, 85 ms to reach all; 10 peers, 4 hops and 42 ms.)
   */
  route(ref: MessageRef, from?: string): string[] {
    const { config, env } = this.#ctx;
    const targets = this.pushTo(ref.origin, from);
    // Nobody left to announce it to: every live member is eager in this tree or is its origin.
    if (this.#lazyCandidates(ref.origin) <= 0) return targets;
    this.#announce.push(ref);
    if (!this.#lazyArmed) {
      this.#lazyArmed = true;
      env.schedule({ name: "lazy" }, config.lazyDelay);
    }
    return targets;
  }

  /**
   * The eager peers of `origin`'s tree (formed as {@link route} describes),
   * but `from` and `origin` itself: where a tag delta of `origin`'s is pushed.
   * Announces nothing; tags have their own lazy path.
   */
  pushTo(origin: string, from?: string): string[] {
    const { members, config, env } = this.#ctx;
    const tree = this.#tree(origin);
    const eager = tree.eager;
    for (const peer of eager) if (!members.isLive(peer)) eager.delete(peer);
    if (!tree.formed || (eager.size === 0 && this.#others(origin) > 0)) {
      tree.formed = true;
      const width = Math.max(config.eagerPeers, this.#outbox.limit() - 2);
      for (const peer of members.randomLive(env.random, width, origin)) eager.add(peer);
    }
    // Never back to where it came from, nor to its origin (who has it).
    const targets: string[] = [];
    for (const peer of eager) if (peer !== from && peer !== origin) targets.push(peer);
    return targets;
  }

  /**
   * `ref` arrived for the first time over the link to `from`: that link is
   * eager in its tree. When this node had it lazy (it pruned the link while
   * `from` was already pushing this message), `from` has it lazy too by now
   * or will once the PRUNE lands, and the tree would be cut between them:
   * `from` is told to keep pushing (a GRAFT without refs).
   */
  received(from: string, ref: MessageRef): void {
    const tree = this.#tree(ref.origin);
    if (tree.formed && !tree.eager.has(from)) {
      this.#outbox.send(from, [encodeBody({ type: "graft", origin: ref.origin, ids: [] })], false);
    }
    tree.eager.add(from);
    if (this.#missing.size > 0) this.#missing.delete(key(ref));
  }

  /** A copy of `origin`'s message we already had came from `from`: prune that link, both ends. */
  duplicate(from: string, origin: string): void {
    const tree = this.#trees.get(origin);
    if (!tree?.eager.delete(from) && !this.#ctx.members.has(from)) return;
    this.#outbox.send(from, [encodeBody({ type: "prune", origin })], false);
  }

  /** Makes the link to `peer` eager in `origin`'s tree (a member that had to ask for what a push should bring). */
  link(origin: string, peer: string): void {
    if (peer !== origin && this.#ctx.members.isLive(peer)) this.#tree(origin).eager.add(peer);
  }

  /** PRUNE from `from`: stop pushing `origin`'s messages to it. */
  onPrune(from: string, origin: string): void {
    this.#trees.get(origin)?.eager.delete(from);
  }

  /**
   * The `lazy` timer: announce the ids received since the last one to
   * `lazyPeers` random members, each told only of messages whose tree does
   * not already push to it (and not of its own).
   */
  flush(): void {
    this.#lazyArmed = false;
    const refs = this.#announce;
    this.#announce = [];
    const { members, config, env } = this.#ctx;
    if (refs.length === 0) return;
    for (const target of members.randomLive(env.random, config.lazyPeers)) {
      const lazy = refs.filter((r) =>
        r.origin !== target && !this.#trees.get(r.origin)?.eager.has(target)
      );
      if (lazy.length === 0) continue;
      this.#repair.offeredTo(target);
      for (const part of this.#parts(lazy)) {
        this.#outbox.send(target, [encodeBody({ type: "ihave", messages: part })]);
      }
    }
  }

  /** `refs` in runs that each fit one IHAVE in one datagram. */
  #parts(refs: MessageRef[]): MessageRef[][] {
    const max = this.#ctx.config.maxDatagramSize;
    const parts: MessageRef[][] = [];
    let part: MessageRef[] = [];
    let used = IHAVE_OVERHEAD;
    for (const ref of refs) {
      const cost = utf8Length(ref.origin) + 5;
      if (part.length === 255 || (used + cost > max && part.length > 0)) {
        parts.push(part);
        part = [];
        used = IHAVE_OVERHEAD;
      }
      part.push(ref);
      used += cost;
    }
    parts.push(part);
    return parts;
  }

  /** IHAVE from `from`: wait a little for each message we lack, then ask `from` for it. */
  onIHave(from: string, refs: readonly MessageRef[]): void {
    const self = this.#ctx.self;
    for (const ref of refs) {
      const k = key(ref);
      if (ref.origin === self || this.#seen.has(k)) continue;
      let entry = this.#missing.get(k);
      if (!entry) {
        const since = this.#ctx.env.now();
        entry = {
          ref: { origin: ref.origin, id: ref.id },
          announcers: [],
          asked: 0,
          since,
          token: 0,
        };
        this.#missing.set(k, entry);
        this.#arm(entry);
      }
      if (!entry.announcers.includes(from)) entry.announcers.push(from);
    }
  }

  /**
   * The `graft` timer of a missing message: if it still has not come, ask
   * the next member that announced it (GRAFT), making that link eager, and
   * wait again. Under loss a GRAFT or its answer may be lost too, so the
   * announcers are asked in turn until the message arrives or the repair
   * window (how long they keep it) is over.
   */
  graft(timer: { key: string; token: number }): void {
    const entry = this.#missing.get(timer.key);
    if (!entry || entry.token !== timer.token) return;
    const { members, env, config } = this.#ctx;
    if (this.#seen.has(timer.key) || env.now() - entry.since > config.repairWindow) {
      this.#missing.delete(timer.key);
      return;
    }
    entry.announcers = entry.announcers.filter((a) => members.isLive(a));
    if (entry.announcers.length === 0) {
      this.#missing.delete(timer.key);
      return;
    }
    const peer = entry.announcers[entry.asked++ % entry.announcers.length];
    this.#tree(entry.ref.origin).eager.add(peer);
    const graft = encodeBody({ type: "graft", origin: entry.ref.origin, ids: [entry.ref.id] });
    this.#outbox.send(peer, [graft], false);
    this.#arm(entry);
  }

  /**
   * GRAFT from `from`: the link becomes eager in `origin`'s tree; the
   * messages asked for are served as for IWANT.
   */
  onGraft(from: string, origin: string, ids: number[]): void {
    if (!this.#ctx.members.has(from)) return;
    this.#tree(origin).eager.add(from);
    if (ids.length > 0) this.#repair.onIWant(from, ids.map((id) => ({ origin, id })));
  }

  /** Live members other than `origin`. */
  #others(origin: string): number {
    const { members } = this.#ctx;
    return members.liveCount - (members.isLive(origin) ? 1 : 0);
  }

  /** Live members that are neither `origin` nor eager in its tree: who an IHAVE of it could go to. */
  #lazyCandidates(origin: string): number {
    const eager = this.#trees.get(origin)?.eager;
    if (!eager) return this.#others(origin);
    // The eager set may hold the origin itself (the link a copy came in over).
    return this.#others(origin) - eager.size + (eager.has(origin) ? 1 : 0);
  }

  /** `origin`'s tree, made the most recently used (and made, if new). */
  #tree(origin: string): Tree {
    let tree = this.#trees.get(origin);
    if (tree) {
      if (origin === this.#last) return tree;
      this.#trees.delete(origin);
    } else {
      tree = { eager: new Set(), formed: false };
      if (this.#trees.size >= MAX_TREES) this.#trees.delete(this.#trees.keys().next().value!);
    }
    this.#trees.set(origin, tree);
    this.#last = origin;
    return tree;
  }

  /**
   * How long to wait for an announced message: the configured least time, or
   * more when the observed link delay is longer, at most the probe timeout.
   */
  #timeout(): number {
    const { graftTimeout, probeTimeout } = this.#ctx.config;
    return this.#delay.timeout(graftTimeout, graftTimeout, Math.max(graftTimeout, probeTimeout));
  }

  #arm(entry: Missing): void {
    entry.token = ++this.#token;
    this.#ctx.env.schedule(
      { name: "graft", key: key(entry.ref), token: entry.token },
      this.#timeout(),
    );
  }
}

function key(ref: MessageRef): string {
  return `${ref.origin}/${ref.id}`;
}
