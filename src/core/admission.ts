/**
 * Admission of strangers, and per-source rate limits. A stranger (INIT, or
 * CONN, PING or SYNC from an address not in the table, or gossip from one) is
 * let in only once it has answered, at its address, a PING whose seq is a
 * random 32-bit cookie: until then its request is answered with that one
 * PING, about the size of the request, so a forged source address cannot
 * make this node send much more than it received (docs/SECURITY.md).
 *
 * @module
 */

import { encodeBody } from "../wire/codec.ts";
import type { SingleMessage } from "../wire/message.ts";
import { type Context, drop } from "./context.ts";
import type { Outbox } from "./outbox.ts";
import { RateLimiter } from "./rate_limit.ts";

/**
 * What a stranger is owed once it answered its cookie: the member table (it
 * sent INIT), a table exchange (it sent SYNC), or only to be known.
 */
export type Owed = "info" | "sync" | "member";

/** A stranger that answered its cookie in time. */
export interface Admitted {
  /** The incarnation it claimed. */
  incarnation: number;
  /** What it asked for. */
  owed: Owed;
}

interface Pending {
  cookie: number;
  incarnation: number;
  owed: Owed;
  /** When the cookie stops being accepted (ms). */
  expires: number;
}

const GOSSIP: ReadonlySet<SingleMessage["type"]> = new Set([
  "gosp",
  "alive",
  "suspect",
  "dead",
  "leave",
  "ihave",
]);

/** Strangers waiting on their cookie, and the request budget of every source. */
export class Admission {
  #ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">;
  #outbox: Outbox;
  /** Strangers sent a cookie PING, oldest first; at most `maxSources`. */
  #pending = new Map<string, Pending>();
  #limiter: RateLimiter;

  /** Creates an admission desk with no one waiting. */
  constructor(
    ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics" | "phase">,
    outbox: Outbox,
  ) {
    this.#ctx = ctx;
    this.#outbox = outbox;
    const { config } = ctx;
    this.#limiter = new RateLimiter({
      rate: config.requestRate,
      burst: config.requestBurst,
      maxSources: config.maxSources,
    });
  }

  /** How many strangers are waiting on their cookie. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Forgets every stranger waiting. */
  clear(): void {
    this.#pending.clear();
  }

  /**
   * Takes a token from `from`'s request budget; when there is none, counts a
   * `rate` drop and returns false.
   */
  allow(from: string, what: string): boolean {
    const ctx = this.#ctx;
    if (this.#limiter.allow(from, ctx.env.now())) return true;
    drop(ctx, "rate", from, `${what} over ${ctx.config.requestRate} requests/s`);
    return false;
  }

  /**
   * Sends `from` its cookie PING (the same cookie again while one is
   * pending), remembering what it will be owed once it answers.
   */
  admit(from: string, incarnation: number, owed: Owed = "member"): void {
    const ctx = this.#ctx;
    if (ctx.phase !== "running" || from === ctx.self) return;
    const now = ctx.env.now();
    let pending = this.#pending.get(from);
    if (pending && pending.expires > now) {
      pending.incarnation = Math.max(pending.incarnation, incarnation);
      if (pending.owed !== "info" && owed !== "member") pending.owed = owed;
    } else {
      this.#pending.delete(from);
      if (this.#pending.size >= ctx.config.maxSources) {
        this.#pending.delete(this.#pending.keys().next().value!);
      }
      const cookie = ctx.env.unpredictable() >>> 0;
      const expires = now + 2 * ctx.config.joinRetryMax;
      pending = { cookie, incarnation, owed, expires };
      this.#pending.set(from, pending);
    }
    const ping = encodeBody({ type: "ping", seq: pending.cookie, target: from });
    this.#outbox.send(from, [ping], false);
  }

  /**
   * An ACK from `from`: when it carries `from`'s cookie it is consumed here,
   * and the stranger is returned if it answered in time (`null` if too late).
   * `undefined` means the ACK is not a cookie (a probe's, for the prober).
   */
  accept(from: string, seq: number): Admitted | null | undefined {
    const pending = this.#pending.get(from);
    if (!pending || pending.cookie !== seq) return undefined;
    this.#pending.delete(from);
    const ctx = this.#ctx;
    if (pending.expires <= ctx.env.now() || ctx.phase !== "running") return null;
    return { incarnation: pending.incarnation, owed: pending.owed };
  }

  /**
   * Gossip from an address not in our table means a member knows of us while
   * we missed its ALIVE (the residue of bounded gossip, typical after a join
   * storm). Ask it in, through the same cookie round trip as a CONN, instead
   * of waiting for a push-pull.
   */
  noticeStranger(from: string, messages: readonly SingleMessage[]): void {
    const ctx = this.#ctx;
    if (ctx.phase !== "running" || from === ctx.self) return;
    if (ctx.members.has(from) || this.#pending.has(from)) return;
    if (!messages.every((m) => GOSSIP.has(m.type))) return;
    if (this.allow(from, "gossip")) this.admit(from, 0);
  }
}
