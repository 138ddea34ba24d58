/**
 * Member state: the merge rules applied to every update about a member
 * (memberlist's aliveNode/suspectNode/deadNode), refutation of what others
 * say about this node, the events they raise, and reaping of old tombstones.
 *
 * @module
 */

import type { TableMember } from "./membership.ts";
import { encodeBody } from "../wire/codec.ts";
import type { MemberRecord, MemberState as State, SingleMessage } from "../wire/message.ts";
import type { Awareness } from "./awareness.ts";
import type { Context } from "./context.ts";
import { isLive, recordHash, stateRank } from "./membership.ts";
import type { Outbox } from "./outbox.ts";
import type { Suspicions } from "./suspicion.ts";

/**
 * The last incarnation: a u32 does not go higher, and it never wraps (an
 * `alive` at 0 would lose to every record of an earlier life). A member
 * accused at this incarnation cannot refute (docs/PROTOCOL.md 7.6).
 */
export const MAX_INCARNATION = 0xffffffff;

/**
 * Whether `m` is a statement about a member (ALIVE, SUSPECT, DEAD, LEAVE).
 * Only members make them: from a stranger they are dropped, and the
 * stranger is asked in (admission.ts) instead.
 */
export function isUpdate(m: SingleMessage): boolean {
  return m.type === "alive" || m.type === "suspect" || m.type === "dead" || m.type === "leave";
}

/** The record of a member, as the wire carries it. */
export function toRecord(m: TableMember): MemberRecord {
  return { address: m.address, state: m.state, incarnation: m.incarnation };
}

/** This node's incarnation and the member table's merge rules. */
export class MemberState {
  #ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">;
  #outbox: Outbox;
  #suspicions: Suspicions;
  #awareness: Awareness;
  #incarnation = 0;

  /** Creates the state of a node that has heard of no one yet. */
  constructor(
    ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">,
    outbox: Outbox,
    suspicions: Suspicions,
    awareness: Awareness,
  ) {
    this.#ctx = ctx;
    this.#outbox = outbox;
    this.#suspicions = suspicions;
    this.#awareness = awareness;
  }

  /** This node's incarnation number. */
  get incarnation(): number {
    return this.#incarnation;
  }

  /** Failed probes in a row it takes before this node suspects `address` (flap damping). */
  failuresNeeded(address: string): number {
    return this.#suspicions.probation.failuresNeeded(address);
  }

  /** Schedules reaping. */
  start(): void {
    this.#ctx.env.schedule({ name: "reap" }, this.#reapInterval());
  }

  /** This node's own record: alive, or left once it is leaving. */
  selfRecord(): MemberRecord {
    const ctx = this.#ctx;
    return {
      address: ctx.self,
      state: ctx.phase === "leaving" ? "left" : "alive",
      incarnation: this.#incarnation,
    };
  }

  /**
   * The member table at a glance: how many records (this node's own
   * included) and the XOR of their hashes. Two nodes that hold the same
   * table have the same summary.
   */
  summary(): { members: number; membersHash: number } {
    const { members } = this.#ctx;
    const self = this.selfRecord();
    return {
      members: members.size + 1,
      membersHash:
        (members.hash ^ recordHash(self.address, stateRank(self.state), self.incarnation)) >>> 0,
    };
  }

  /** Every known member, this node first. */
  members(): TableMember[] {
    const out: TableMember[] = [{ ...this.selfRecord(), since: 0 }];
    for (const m of this.#ctx.members.all()) out.push(m);
    return out;
  }

  /** The CONN frame that introduces this node. */
  connBody(): Uint8Array {
    return encodeBody({ type: "conn", incarnation: this.#incarnation });
  }

  /** An update message saying `r` (vouched for by `from`, for suspect and dead). */
  updateBody(r: MemberRecord, from: string): Uint8Array {
    switch (r.state) {
      case "alive":
        return encodeBody({ type: "alive", address: r.address, incarnation: r.incarnation });
      case "left":
        return encodeBody({ type: "leave", address: r.address, incarnation: r.incarnation });
      default:
        return encodeBody({ type: r.state, address: r.address, incarnation: r.incarnation, from });
    }
  }

  /** Queues an update about `r` for piggybacking (it replaces older news of the member). */
  disseminate(r: MemberRecord, from: string): void {
    this.#outbox.enqueue(`m:${r.address}`, this.updateBody(r, from));
  }

  /**
   * Announces this node's leave: queued, and sent at once to every live
   * member. The phase must be `leaving` already.
   */
  announceLeave(): void {
    const body = this.updateBody(this.selfRecord(), this.#ctx.self);
    this.#outbox.enqueue(`m:${this.#ctx.self}`, body);
    for (const address of this.#ctx.members.live()) this.#outbox.send(address, [body], false);
  }

  /**
   * Applies an update about a member; returns whether it changed anything.
   * `from` is who vouches for it (the accuser, for suspect and dead);
   * `sender` the member it came from, when it is a direct report (it is
   * told at once when it holds a stale accusation).
   */
  merge(r: MemberRecord, from: string, disseminate: boolean, sender?: string): boolean {
    const ctx = this.#ctx;
    if (r.address === ctx.self) {
      this.aboutSelf(r, sender);
      return false;
    }
    const before = ctx.members.get(r.address);
    if (before === undefined && ctx.members.size >= ctx.config.maxMembers) {
      ctx.metrics.membersRefused++;
      return false;
    }
    if (
      sender !== undefined && before?.state === "alive" && before.incarnation > r.incarnation &&
      (r.state === "suspect" || r.state === "dead")
    ) {
      // A stale accusation: the sender missed a refutation. Tell it directly,
      // or its suspicion would run out and declare a live member dead.
      this.#outbox.send(sender, [this.updateBody(toRecord(before), ctx.self)], false);
      return false;
    }
    if ((r.state === "suspect" || r.state === "dead") && from !== ctx.self) {
      // Lifeguard: a member we hold suspect or dead may be the sick one; what
      // it says about others is not acted on (nor counted as a confirmation).
      const accuser = ctx.members.get(from);
      if (accuser !== undefined && accuser.state !== "alive") return false;
    }
    if (
      r.state === "suspect" && before?.state === "suspect" &&
      before.incarnation === r.incarnation
    ) {
      // Pass an independent confirmation on, so others' timers shrink too.
      if (this.#suspicions.confirm(r.address, from)) this.disseminate(r, from);
      return false;
    }
    const { changed, previous } = ctx.members.apply(r, ctx.env.now());
    if (!changed) return false;
    this.#changed(r, previous, from);
    if (disseminate) {
      this.disseminate(r, from);
      // Learned of a new live member by gossip rather than from it: introduce
      // ourselves (CONN), since the seed that let it in may not have known us.
      const wasLive = previous !== undefined && isLive(previous);
      if (r.state === "alive" && !wasLive && ctx.phase === "running") {
        this.#outbox.send(r.address, [this.connBody()], false);
      }
    }
    return true;
  }

  /** Raises the event for a state change and starts or ends a suspicion. */
  #changed(r: MemberRecord, previous: State | undefined, from: string): void {
    const { address, incarnation } = r;
    const env = this.#ctx.env;
    const wasLive = previous !== undefined && isLive(previous);
    if (r.state !== "suspect") this.#suspicions.cancel(address);
    this.#suspicions.heldDead(address, r.state === "dead");
    if (r.state === "alive" && (previous === "suspect" || previous === "dead")) {
      // Refuted, or back from the dead: flap damping (suspicion.ts, Probation).
      this.#suspicions.probation.refuted(address);
    }
    switch (r.state) {
      case "alive":
        if (previous === "suspect") env.emit("alive", { address, incarnation });
        else if (!wasLive) env.emit("join", { address, incarnation });
        break;
      case "suspect":
        if (!wasLive) env.emit("join", { address, incarnation });
        this.#suspicions.start(address, incarnation, from);
        env.emit("suspect", { address, incarnation, from });
        break;
      case "dead":
        if (wasLive) env.emit("dead", { address, incarnation, from });
        break;
      case "left":
        if (wasLive) env.emit("leave", { address, incarnation });
        break;
    }
  }

  /**
   * Someone says something about this node: refute anything but the truth
   * by raising the incarnation past it. An accusation of an older
   * incarnation means the sender missed the refutation: it is told again.
   */
  aboutSelf(r: MemberRecord, sender?: string): void {
    const ctx = this.#ctx;
    if (ctx.phase !== "running") return;
    const stale = r.state === "alive"
      ? r.incarnation > this.#incarnation
      : r.incarnation >= this.#incarnation;
    if (!stale) {
      if (sender !== undefined && r.state !== "alive") {
        this.#outbox.send(sender, [this.updateBody(this.selfRecord(), ctx.self)], false);
      }
      return;
    }
    if (r.incarnation >= MAX_INCARNATION) {
      // Nothing outbids an accusation at the last incarnation: it stands, and
      // the member is declared dead like a crashed one; it is let in again
      // once the others have reaped it. An alive at the last one is taken as is.
      if (r.state !== "alive") return;
      this.#incarnation = MAX_INCARNATION;
      this.disseminate(this.selfRecord(), ctx.self);
      return;
    }
    this.#incarnation = r.incarnation + 1;
    if (r.state !== "alive") {
      ctx.metrics.refutations++;
      this.#awareness.apply(1);
    }
    this.disseminate(this.selfRecord(), ctx.self);
    if (sender !== undefined && sender !== ctx.self) {
      this.#outbox.send(sender, [this.updateBody(this.selfRecord(), ctx.self)], false);
    }
  }

  /** A suspicion ran out: declare the member dead (by this node's word). */
  declareDead(address: string, incarnation: number): void {
    this.merge({ address, state: "dead", incarnation }, this.#ctx.self, true);
  }

  /** The reap timer: forgets dead and left members older than `reapAfter`; returns them. */
  reap(): string[] {
    const { env, config, members } = this.#ctx;
    const cutoff = env.now() - config.reapAfter;
    const gone: string[] = [];
    for (const m of members.all()) {
      if (!isLive(m.state) && m.since <= cutoff) gone.push(m.address);
    }
    for (const address of gone) {
      members.remove(address);
      this.#suspicions.probation.forget(address);
      this.#suspicions.heldDead(address, false);
    }
    this.#suspicions.probation.prune();
    env.schedule({ name: "reap" }, this.#reapInterval());
    return gone;
  }

  #reapInterval(): number {
    return Math.max(1000, Math.min(this.#ctx.config.reapAfter / 2, 60_000));
  }
}
