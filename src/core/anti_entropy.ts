/**
 * Anti-entropy by summary. Every `pushPullInterval` (scaled up above 32
 * members) a node sends one random live member, and one member it believes
 * dead (so that healed partitions merge again), a summary of what it holds
 * (DIGEST: the member table's count and hash, the tag digest's hash). A
 * quiet cluster exchanges nothing more. A member table that differs is
 * exchanged whole (SYNC, push-pull), tags that differ by digest, so that only
 * what is missing travels (tags.ts). A joiner makes three early exchanges, so
 * members that missed an ALIVE in a join storm learn it within seconds.
 *
 * @module
 */

import type { DigestMessage, MemberRecord } from "../wire/message.ts";
import type { Admission } from "./admission.ts";
import { type Context, drop } from "./context.ts";
import type { Outbox } from "./outbox.ts";
import { type MemberState, toRecord } from "./state.ts";
import type { Tags } from "./tags.ts";

/** The push-pull schedule and the SYNC handler. */
export class AntiEntropy {
  #ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">;
  #outbox: Outbox;
  #state: MemberState;
  #admission: Admission;
  #tags: Tags;
  /** Members we sent a SYNC request to, and until when their reply is accepted (oldest first). */
  #asked = new Map<string, number>();

  /** Creates the exchange schedule of one node. */
  constructor(
    ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">,
    outbox: Outbox,
    state: MemberState,
    admission: Admission,
    tags: Tags,
  ) {
    this.#ctx = ctx;
    this.#outbox = outbox;
    this.#state = state;
    this.#admission = admission;
    this.#tags = tags;
  }

  /** Schedules the first exchange at a random point of the interval, so nodes do not sync in step. */
  start(): void {
    const { env, config } = this.#ctx;
    if (config.pushPullInterval <= 0) return;
    env.schedule({ name: "push-pull" }, env.random.next() * this.#interval());
  }

  /** The `push-pull` timer: one exchange with a live member, one with a dead one. */
  pushPull(): void {
    const { env, members, phase } = this.#ctx;
    env.schedule({ name: "push-pull" }, this.#interval());
    if (phase !== "running") return;
    const [peer] = members.randomLive(env.random, 1);
    if (peer) this.#tags.sendSummary(peer, false);
    // Reconnect: also try one member we believe dead, so healed partitions merge again.
    const dead: string[] = [];
    for (const m of members.all()) if (m.state === "dead") dead.push(m.address);
    if (dead.length > 0) {
      this.#tags.sendSummary(dead[Math.floor(env.random.next() * dead.length)], false);
    }
  }

  /** Schedules the three early exchanges of a joiner, 1, 3 and 7 probe intervals on. */
  soon(): void {
    const { env, config } = this.#ctx;
    if (config.pushPullInterval <= 0) return;
    for (const k of [1, 3, 7]) env.schedule({ name: "early-sync" }, k * config.probeInterval);
  }

  /** The `early-sync` timer: one exchange with a random live member. */
  early(): void {
    const { env, members } = this.#ctx;
    const [peer] = members.randomLive(env.random, 1);
    if (peer) this.#tags.sendSummary(peer, false);
  }

  /**
   * DIGEST from `from`. A summary whose member table differs from ours
   * starts a table exchange (our SYNC request; `from` answers with its
   * table); the tag part is the tag room's. From a stranger: dropped, and
   * its admission starts (as for a stranger's SYNC), so that a node forgotten
   * by the others (reaped while partitioned away) is let in again.
   */
  onDigest(from: string, m: DigestMessage): void {
    const ctx = this.#ctx;
    if (ctx.phase !== "running") return;
    if (!ctx.members.has(from)) {
      if (!m.reply && this.#admission.allow(from, "digest")) this.#admission.admit(from, 0, "sync");
      return drop(ctx, "unknown-sender", from, "digest from a stranger");
    }
    if (!m.reply && !m.full) {
      if (!this.#admission.allow(from, "digest")) return;
      const mine = this.#state.summary();
      if (m.members !== mine.members || m.membersHash !== mine.membersHash) this.request(from);
    }
    this.#tags.onDigest(from, m);
  }

  /** Asks `to` for a table exchange: our table, as SYNC requests. */
  request(to: string): void {
    const { env, config } = this.#ctx;
    const now = env.now();
    // Forget requests whose reply is overdue, and keep at most maxSources.
    for (const [address, until] of this.#asked) {
      if (until > now && this.#asked.size < config.maxSources) break;
      this.#asked.delete(address);
    }
    this.#asked.delete(to);
    this.#asked.set(to, now + 2 * config.joinRetryMax);
    this.#send(to, false);
  }

  /** Whether a SYNC reply from `from` answers a request of ours still in time. */
  #solicited(from: string): boolean {
    const until = this.#asked.get(from);
    return until !== undefined && until >= this.#ctx.env.now();
  }

  /** SYNC from `from`: merge the records; answer a request once per exchange. */
  onSync(from: string, reply: boolean, records: MemberRecord[]): void {
    const ctx = this.#ctx;
    if (ctx.phase !== "running") return;
    const opens = records[0]?.address === from;
    if (!reply && !ctx.members.has(from)) {
      // Answering strangers would let a forged source make us send our whole
      // table anywhere: a stranger that names itself gets the cookie PING and,
      // once in, a SYNC request of ours (the exchange it asked for).
      const own = records.find((r) => r.address === from);
      if (own && this.#admission.allow(from, "sync")) {
        this.#admission.admit(from, own.incarnation, "sync");
      }
      return drop(ctx, "unknown-sender", from, "sync from a stranger");
    }
    // A reply only answers a request of ours: anyone else could plant members.
    if (reply && !this.#solicited(from)) {
      return drop(ctx, "unknown-sender", from, "SYNC reply nobody asked for");
    }
    if (!reply && opens && !this.#admission.allow(from, "sync")) return;
    // A sender we do not hold alive (say, across a partition that just healed)
    // is heard on itself, not on others: its own record may revive it, but its
    // accusations are its old view. And a table's DEAD about a member we hold
    // live is taken as SUSPECT (as memberlist does), so the member may refute.
    const sender = ctx.members.get(from)?.state;
    const trusted = sender === undefined || sender === "alive";
    for (const r of records) {
      if (r.address !== from && (r.state === "suspect" || r.state === "dead")) {
        if (!trusted && r.address !== ctx.self) continue;
        const held = ctx.members.get(r.address)?.state;
        if (r.state === "dead" && (held === "alive" || held === "suspect")) {
          this.#state.merge({ ...r, state: "suspect" }, from, true);
          continue;
        }
      }
      this.#state.merge(r, from, true);
    }
    // Answer once per exchange, not once per datagram (a table of k datagrams
    // would cost k² back): the first datagram starts with the sender's own record.
    if (!reply && opens) this.#send(from, true);
  }

  #send(to: string, reply: boolean): void {
    const records = [this.#state.selfRecord(), ...[...this.#ctx.members.all()].map(toRecord)];
    this.#outbox.sendRecords(to, records, (members) => ({ type: "sync", reply, members }));
  }

  #interval(): number {
    const { members, config } = this.#ctx;
    const n = members.liveCount + 1;
    const scale = n <= 32 ? 1 : Math.ceil(Math.log2(n) - Math.log2(32)) + 1;
    return config.pushPullInterval * scale;
  }
}
