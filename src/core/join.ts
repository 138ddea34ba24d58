/**
 * Joining (INIT, INFO, CONN). A new node sends INIT to its seeds, again with
 * a doubling delay until one answers; the seed answers with INFO, the member
 * table (once the joiner passed admission); the joiner announces itself with
 * CONN and by gossip, and makes a few early table exchanges.
 *
 * @module
 */

import { encodeBody } from "../wire/codec.ts";
import type { MemberRecord } from "../wire/message.ts";
import { shuffle } from "./_random.ts";
import type { AntiEntropy } from "./anti_entropy.ts";
import { type Context, drop } from "./context.ts";
import { isLive } from "./membership.ts";
import type { Outbox } from "./outbox.ts";
import { type MemberState, toRecord } from "./state.ts";

/** Both sides of a join: the joiner's INIT retries and INFO, the seed's answer. */
export class Join {
  #ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">;
  #outbox: Outbox;
  #state: MemberState;
  #antiEntropy: AntiEntropy;
  #seeds: string[];
  #joined = false;
  #delay: number;
  #onJoined: (seed: string) => void;
  /** When INIT last went to each seed: its INFO is accepted until `2 × joinRetryMax` later. */
  #asked = new Map<string, number>();

  /**
   * Creates the join of a node whose seeds are `seeds` (itself excluded);
   * `onJoined(seed)` runs once, when a seed's INFO lets it in.
   */
  constructor(
    ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">,
    outbox: Outbox,
    state: MemberState,
    antiEntropy: AntiEntropy,
    seeds: readonly string[],
    onJoined: (seed: string) => void = () => {},
  ) {
    this.#onJoined = onJoined;
    this.#ctx = ctx;
    this.#outbox = outbox;
    this.#state = state;
    this.#antiEntropy = antiEntropy;
    this.#seeds = seeds.filter((s) => s !== ctx.self);
    this.#delay = ctx.config.joinRetryInterval;
  }

  /** Whether a seed let this node in (true from the start without seeds). */
  get joined(): boolean {
    return this.#joined;
  }

  /** Starts joining: INIT to every seed, or nothing to do without seeds. */
  start(): void {
    if (this.#seeds.length === 0) this.#joined = true;
    else this.retry();
  }

  /** Sends INIT to the seeds and schedules the next try (the `join` timer). */
  retry(): void {
    const ctx = this.#ctx;
    if (this.#joined || ctx.phase !== "running") return;
    const body = encodeBody({ type: "init", incarnation: this.#state.incarnation });
    const now = ctx.env.now();
    for (const seed of this.#seeds) {
      this.#asked.set(seed, now);
      this.#outbox.send(seed, [body], false);
    }
    const delay = this.#delay;
    this.#delay = Math.min(this.#delay * 2, ctx.config.joinRetryMax);
    ctx.env.schedule({ name: "join" }, delay);
  }

  /** Lets in a joiner that answered its cookie: it is sent the member table. */
  answer(from: string, incarnation: number): void {
    const ctx = this.#ctx;
    if (ctx.phase !== "running") return;
    this.#state.merge({ address: from, state: "alive", incarnation }, from, true);
    // The requester's own record first (so it can refute a stale one at once), then ours.
    const records: MemberRecord[] = [];
    const own = ctx.members.get(from);
    if (own) records.push(toRecord(own));
    records.push(this.#state.selfRecord());
    for (const member of ctx.members.all()) {
      if (member.address !== from) records.push(toRecord(member));
    }
    this.#outbox.sendRecords(from, records, (members) => ({ type: "info", members }));
  }

  /**
   * Whether INFO from `from` answers an INIT of ours: it comes from a seed we
   * sent INIT to, at most `2 × joinRetryMax` ago (as long as a cookie lives).
   * A seed named by a host name or an IPv6 literal may answer from an address
   * spelt otherwise, which the core cannot resolve: the same port will do.
   * Addresses in `infoFrom` are trusted without an INIT.
   */
  solicited(from: string): boolean {
    const { env, config } = this.#ctx;
    if (config.infoFrom.includes(from)) return true;
    const window = 2 * config.joinRetryMax;
    const now = env.now();
    const asked = this.#asked.get(from);
    if (asked !== undefined) return now - asked <= window;
    const port = portOf(from);
    for (const [seed, at] of this.#asked) {
      if (now - at <= window && !IPV4.test(seed) && portOf(seed) === port) return true;
    }
    return false;
  }

  /** INFO from `from`: learn the table, announce ourselves, and (the first time) we are in. */
  onInfo(from: string, records: MemberRecord[]): void {
    const ctx = this.#ctx;
    if (ctx.phase !== "running") return;
    // Only an answer to our INIT: anyone else could plant members (or a DEAD).
    if (!this.solicited(from)) return drop(ctx, "unknown-sender", from, "INFO nobody asked for");
    const incarnation = this.#state.incarnation;
    for (const r of records) if (r.address === ctx.self) this.#state.aboutSelf(r);
    // The seed listed an older life of ours (we restarted): it holds a record we
    // just outbid, and hears our new one at once rather than by gossip.
    if (this.#state.incarnation !== incarnation) {
      this.#outbox.send(from, [this.#state.connBody()], false);
    }
    const learned: string[] = [];
    for (const r of records) {
      if (r.address === ctx.self) continue;
      const changed = this.#state.merge(r, from, false);
      if (changed && r.address !== from && isLive(r.state)) learned.push(r.address);
    }
    this.#connect(learned);
    if (!this.#joined) {
      this.#joined = true;
      // Announce ourselves by gossip too (as memberlist does on join): with the
      // seed and the members we CONNed, several sources spread our ALIVE.
      this.#state.disseminate(this.#state.selfRecord(), ctx.self);
      this.#antiEntropy.soon();
      this.#onJoined(from);
      ctx.env.emit("joined", { seed: from, members: ctx.members.liveCount });
    }
  }

  /**
   * CONN: announce ourselves to the live members just learned of: to every
   * one in mesh mode and in clusters up to `announceLimit` members (the
   * original design); in larger epidemic clusters to `fanout` of them at
   * random, once per join, so a join costs O(1) packets, not O(N): the seed
   * gossips our ALIVE to the rest, members that learn of us by gossip CONN
   * us, and probes teach the stragglers.
   */
  #connect(learned: string[]): void {
    const { config, members, env } = this.#ctx;
    const small = members.liveCount <= config.announceLimit;
    const targets = config.mode === "mesh" || small
      ? learned
      : this.#joined
      ? []
      : shuffle(env.random, learned).slice(0, config.fanout);
    if (targets.length === 0) return;
    const conn = this.#state.connBody();
    for (const address of targets) this.#outbox.send(address, [conn], false);
  }
}

/** An IPv4 literal with a port, as the transports spell addresses. */
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}:\d+$/;

/** The port of a `host:port` address. */
function portOf(address: string): string {
  return address.slice(address.lastIndexOf(":") + 1);
}
