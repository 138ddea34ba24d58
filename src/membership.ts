/**
 * The member table and its merge rules.
 *
 * A member's record is ordered by `(incarnation, state)`, with states ranked
 * `alive < suspect < dead < left`. An update is applied only when it is
 * strictly greater than what the table holds, so merging is a
 * join-semilattice: stale and reordered updates change nothing, and every
 * node that has seen the same updates holds the same table, whatever the
 * order they came in.
 *
 * @module
 */

import type { MemberRecord, MemberState } from "./message.ts";
import { type Random, randomInt } from "./clock.ts";

const RANK: Record<MemberState, number> = { alive: 0, suspect: 1, dead: 2, left: 3 };

/**
 * True when the update `next` supersedes `current`: a higher incarnation, or
 * the same incarnation with a stronger state (`alive < suspect < dead < left`).
 *
 * @example
 * ```ts
 * import { supersedes } from "@gossip/peer";
 * console.assert(supersedes({ state: "suspect", incarnation: 1 }, { state: "alive", incarnation: 1 }));
 * console.assert(!supersedes({ state: "alive", incarnation: 1 }, { state: "suspect", incarnation: 1 }));
 * console.assert(supersedes({ state: "alive", incarnation: 2 }, { state: "dead", incarnation: 1 }));
 * ```
 */
export function supersedes(
  next: Pick<MemberRecord, "state" | "incarnation">,
  current: Pick<MemberRecord, "state" | "incarnation">,
): boolean {
  if (next.incarnation !== current.incarnation) return next.incarnation > current.incarnation;
  return RANK[next.state] > RANK[current.state];
}

/** True for states in which a member is still part of the cluster (probed, gossiped to). */
export function isLive(state: MemberState): boolean {
  return state === "alive" || state === "suspect";
}

/**
 * A member as the local node sees it.
 *
 * @example
 * ```ts
 * import type { Member } from "@gossip/peer";
 * const m: Member = { address: "127.0.0.1:8080", state: "alive", incarnation: 0, since: 0 };
 * ```
 */
export interface Member extends MemberRecord {
  /** Clock time (ms) of the last state change. */
  since: number;
}

/** What {@link Membership.apply} did. */
export interface MergeResult {
  /** Whether the update was applied. */
  changed: boolean;
  /** The state before (undefined for a member not known before). */
  previous: MemberState | undefined;
  /** The member after the update (undefined when unknown and not applied). */
  member: Member | undefined;
}

/**
 * The table of other members (the local node is not in it), with O(1)
 * random choice among live members.
 *
 * @example
 * ```ts
 * import { Membership } from "@gossip/peer";
 * const table = new Membership();
 * table.apply({ address: "127.0.0.1:1", state: "alive", incarnation: 0 }, 0);
 * table.apply({ address: "127.0.0.1:1", state: "suspect", incarnation: 0 }, 5);
 * console.assert(table.get("127.0.0.1:1")?.state === "suspect");
 * ```
 */
export class Membership {
  #members = new Map<string, Member>();
  #live: string[] = [];
  #liveIndex = new Map<string, number>();

  /** Number of members in any state. */
  get size(): number {
    return this.#members.size;
  }

  /** Number of alive or suspect members. */
  get liveCount(): number {
    return this.#live.length;
  }

  /** The member at `address`, if known. */
  get(address: string): Member | undefined {
    return this.#members.get(address);
  }

  /** Every member, in insertion order. */
  all(): IterableIterator<Member> {
    return this.#members.values();
  }

  /** Addresses of alive and suspect members (a live view: do not modify). */
  live(): readonly string[] {
    return this.#live;
  }

  /**
   * Merges one update. Unknown members are added in whatever state the update
   * says, so a dead or left record (a tombstone) keeps a stale alive from
   * resurrecting them.
   */
  apply(update: MemberRecord, now: number): MergeResult {
    const current = this.#members.get(update.address);
    if (current === undefined) {
      const member: Member = {
        address: update.address,
        state: update.state,
        incarnation: update.incarnation,
        since: now,
      };
      this.#members.set(member.address, member);
      if (isLive(member.state)) this.#addLive(member.address);
      return { changed: true, previous: undefined, member };
    }
    if (!supersedes(update, current)) {
      return { changed: false, previous: current.state, member: current };
    }
    const previous = current.state;
    const wasLive = isLive(previous);
    current.incarnation = update.incarnation;
    if (previous !== update.state) {
      current.state = update.state;
      current.since = now;
    }
    const nowLive = isLive(current.state);
    if (wasLive && !nowLive) this.#removeLive(current.address);
    if (!wasLive && nowLive) this.#addLive(current.address);
    return { changed: true, previous, member: current };
  }

  /** Forgets a member entirely (used to reap old dead and left records). */
  remove(address: string): void {
    if (this.#members.delete(address)) this.#removeLive(address);
  }

  /**
   * Up to `k` distinct live members chosen at random, none of them in
   * `exclude`.
   */
  randomLive(random: Random, k: number, exclude?: ReadonlySet<string> | string): string[] {
    const live = this.#live;
    const excluded = (a: string) =>
      exclude === undefined ? false : typeof exclude === "string" ? a === exclude : exclude.has(a);
    const out: string[] = [];
    if (k <= 0 || live.length === 0) return out;
    if (k * 3 < live.length) {
      // Sparse choice: rejection sampling, O(k) expected.
      let tries = 0;
      while (out.length < k && tries < k * 8) {
        tries++;
        const a = live[randomInt(random, live.length)];
        if (!excluded(a) && !out.includes(a)) out.push(a);
      }
      if (out.length === k) return out;
    }
    // Dense choice: partial Fisher-Yates over a copy.
    const pool = live.filter((a) => !excluded(a) && !out.includes(a));
    for (let i = 0; i < pool.length && out.length < k; i++) {
      const j = i + randomInt(random, pool.length - i);
      const tmp = pool[i];
      pool[i] = pool[j];
      pool[j] = tmp;
      out.push(pool[i]);
    }
    return out;
  }

  #addLive(address: string): void {
    this.#liveIndex.set(address, this.#live.length);
    this.#live.push(address);
  }

  #removeLive(address: string): void {
    const i = this.#liveIndex.get(address);
    if (i === undefined) return;
    const last = this.#live.pop()!;
    if (last !== address) {
      this.#live[i] = last;
      this.#liveIndex.set(last, i);
    }
    this.#liveIndex.delete(address);
  }
}
