/**
 * Dissemination of application messages (GOSP). In tree mode a message is
 * pushed along the eager links of a broadcast tree and announced on lazy
 * ones (tree.ts). In epidemic mode a new message is pushed at once to a few
 * random members and then rides on gossip rounds and probes, each node
 * sending it a bounded number of times. In both, repair (repair.ts) closes
 * what push leaves behind. In mesh mode (the original design) every message
 * goes straight to every member. Each message is delivered to the
 * application once, by its (origin, id).
 *
 * @module
 */

import { encodeBody } from "../wire/codec.ts";
import type { GospMessage } from "../wire/message.ts";
import type { Context } from "./context.ts";
import type { LinkDelay } from "./link_delay.ts";
import type { Outbox } from "./outbox.ts";
import { Repair } from "./repair.ts";
import { SeenCache } from "./seen_cache.ts";
import { BroadcastTree } from "./tree.ts";

/** Broadcasting, relaying and delivering messages, and the gossip rounds. */
export class Dissemination {
  /** Offers and serves recent messages (IHAVE/IWANT). */
  readonly repair: Repair;
  /** The eager and lazy links of tree mode. */
  readonly tree: BroadcastTree;
  #ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">;
  #outbox: Outbox;
  #seen: SeenCache;
  #nextId: number;

  /** Creates the dissemination of one node; message ids start at a random point. */
  constructor(
    ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">,
    outbox: Outbox,
    delay: LinkDelay,
  ) {
    this.#ctx = ctx;
    this.#outbox = outbox;
    this.#seen = new SeenCache(ctx.config.seenCapacity, ctx.config.seenTtl);
    this.repair = new Repair(ctx, outbox, this.#seen);
    this.tree = new BroadcastTree(ctx, outbox, delay, this.#seen, this.repair);
    this.#nextId = Math.floor(ctx.env.random.next() * 0x100000000) >>> 0;
  }

  /** Schedules the first gossip round. */
  start(): void {
    this.#ctx.env.schedule({ name: "gossip" }, this.#ctx.config.period);
  }

  /**
   * Broadcasts `payload` to every live member (delivered once each); returns
   * its id. Throws `RangeError` when it does not fit one datagram.
   */
  broadcast(payload: Uint8Array): number {
    const ctx = this.#ctx;
    const id = this.#nextId;
    const body = encodeBody({ type: "gosp", origin: ctx.self, id, hops: 0, payload });
    const max = this.#outbox.maxBody;
    if (body.length > max) {
      throw new RangeError(
        `message of ${payload.length} bytes is too large: at most ${
          payload.length - (body.length - max)
        } bytes fit in a ${ctx.config.maxDatagramSize}-byte datagram`,
      );
    }
    this.#nextId = (this.#nextId + 1) >>> 0;
    // Not added to the seen cache: copies of our own messages are dropped by
    // origin (onGosp, repair), and the add cost as much as a delivery's.
    ctx.metrics.broadcasts++;
    const ref = { origin: ctx.self, id };
    if (ctx.config.mode === "mesh") {
      for (const address of ctx.members.live()) this.#outbox.send(address, [body]);
    } else if (ctx.config.mode === "tree") {
      this.repair.remember(ref, body);
      for (const peer of this.tree.route(ref)) this.#outbox.send(peer, [body]);
    } else {
      this.#outbox.enqueue(`g:${ctx.self}/${id}`, body);
      this.repair.remember(ref, body);
      this.#spread(undefined, this.#eagerFanout());
    }
    return id;
  }

  /**
   * Where something of `origin`'s that this node just learned (from `from`)
   * is pushed at once: the eager links of `origin`'s tree in tree mode, as
   * many random members as a new message goes to in epidemic mode, every
   * member in mesh mode. Tag deltas travel this way.
   */
  pushTargets(origin: string, from?: string): string[] {
    const { config, members, env, self } = this.#ctx;
    if (config.mode === "tree") return this.tree.pushTo(origin, from);
    const skip = new Set([origin, self]);
    if (from !== undefined) skip.add(from);
    if (config.mode === "mesh") return members.live().filter((a) => !skip.has(a));
    return members.randomLive(env.random, this.#eagerFanout(), skip);
  }

  /** A push of `origin`'s that this node already had came from `from`: in tree mode, prune that link. */
  pushDuplicate(from: string, origin: string): void {
    if (this.#ctx.config.mode === "tree") this.tree.duplicate(from, origin);
  }

  /** `from` lacked something of `origin`'s that a push should have brought: in tree mode, push to it from now on. */
  pushMissed(from: string, origin: string): void {
    if (this.#ctx.config.mode === "tree") this.tree.link(origin, from);
  }

  /** A GOSP from `from`: deliver it once, and relay it in tree and epidemic modes. */
  onGosp(from: string, m: GospMessage): void {
    const ctx = this.#ctx;
    const tree = ctx.config.mode === "tree";
    if (m.origin === ctx.self) {
      if (tree) this.tree.duplicate(from, m.origin);
      return;
    }
    const key = `${m.origin}/${m.id}`;
    if (!this.#seen.add(key, ctx.env.now())) {
      ctx.metrics.duplicates++;
      if (tree) this.tree.duplicate(from, m.origin);
      return;
    }
    ctx.metrics.delivered++;
    ctx.env.emit("message", {
      from: m.origin,
      via: from,
      id: m.id,
      hops: m.hops,
      payload: m.payload,
    });
    if (ctx.config.mode === "mesh" || ctx.phase === "stopped") return;
    if (tree) {
      this.tree.received(from, m);
      // The message as this node passes it on (its own, freshly decoded copy).
      m.hops = Math.min(255, m.hops + 1);
      const targets = this.tree.route(m, from);
      // Encoded only when pushed on (a leaf of the tree keeps the message
      // unencoded, for a GRAFT that rarely comes).
      if (targets.length > 0) {
        const body = encodeBody(m);
        if (body.length > this.#outbox.maxBody) return;
        this.repair.remember(m, body, key);
        for (const peer of targets) this.#outbox.send(peer, [body]);
      } else {
        this.repair.remember(m, m, key);
      }
      return;
    }
    const body = encodeBody({ ...m, hops: Math.min(255, m.hops + 1) });
    // A message from a node with a larger maxDatagramSize may not fit ours:
    // deliver it, but do not relay what could never be sent.
    if (body.length > this.#outbox.maxBody) return;
    this.#outbox.enqueue(`g:${key}`, body);
    this.repair.remember(m, body);
    this.#spread(from, this.#eagerFanout());
  }

  /** The `gossip` timer: offer a repair, then send what is queued to `fanout` members. */
  round(): void {
    const ctx = this.#ctx;
    ctx.env.schedule({ name: "gossip" }, ctx.config.period);
    const mesh = ctx.config.mode === "mesh";
    if (!mesh && ctx.config.repairWindow > 0) this.repair.offer();
    if (this.#outbox.queue.size === 0) return;
    if (mesh) {
      const bodies = this.#outbox.takeBatch();
      if (bodies.length === 0) return;
      for (const address of ctx.members.live()) this.#outbox.send(address, bodies, false);
    } else {
      this.#spread(undefined, ctx.config.fanout);
    }
  }

  /** Sends what is queued to `count` random members now (a new message is not held for the next round). */
  #spread(exclude: string | undefined, count: number): void {
    const { env, members } = this.#ctx;
    const targets = members.randomLive(env.random, count, exclude);
    for (const target of targets) {
      if (this.#outbox.queue.size === 0) break;
      this.#outbox.send(target, []);
    }
  }

  /**
   * How many members a new message is pushed to at once. Each node sends an
   * item `limit` times in all, whenever it sends them; spending all but two at
   * first receipt (the rest go in later rounds) makes the latency hops x link
   * delay for nearly every member at no extra cost, and repair catches the
   * few that no copy reached.
   */
  #eagerFanout(): number {
    return Math.max(this.#ctx.config.fanout, this.#outbox.limit() - 2);
  }
}
