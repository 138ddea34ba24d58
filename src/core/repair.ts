/**
 * Repair of missed messages (IHAVE / IWANT). Epidemic push with a bounded
 * number of transmissions leaves a small residue of members that no copy
 * reached (Demers et al.'s rumor-mongering residue). Each gossip round a node
 * offers one random member the ids of its recent messages (IHAVE); the member
 * asks for those it lacks (IWANT) and gets them. Only a member that was
 * offered may ask, so a forged IWANT cannot make a node an amplifier.
 *
 * @module
 */

import { encodeBody, utf8Length } from "../wire/codec.ts";
import type { GospMessage, MessageRef } from "../wire/message.ts";
import { type Context, drop } from "./context.ts";
import { MessageHistory } from "./history.ts";
import type { Outbox } from "./outbox.ts";
import type { SeenCache } from "./seen_cache.ts";

/** Bytes of an IHAVE besides its refs: batch header, entry length, kind, count. */
const IHAVE_OVERHEAD = 2 + 2 + 2 + 2;
/** Bytes of a batch header, and per batched message. */
const BATCH_HEADER = 4, ENTRY_OVERHEAD = 2;

/** The history of recent messages, and the IHAVE/IWANT exchange over it. */
export class Repair {
  #ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics">;
  #outbox: Outbox;
  #seen: SeenCache;
  #history: MessageHistory;

  /** Creates the repair of one node; `seen` tells which messages it has delivered. */
  constructor(
    ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics">,
    outbox: Outbox,
    seen: SeenCache,
  ) {
    this.#ctx = ctx;
    this.#outbox = outbox;
    this.#seen = seen;
    this.#history = new MessageHistory(512, ctx.config.repairWindow);
  }

  /** Keeps a message (its GOSP, encoded or to be encoded if asked for) for the repair window. */
  remember(ref: MessageRef, body: Uint8Array | GospMessage, key?: string): void {
    const { config, env } = this.#ctx;
    if (config.repairWindow > 0) this.#history.add(ref, body, env.now(), key);
  }

  /** Offers one random member the ids of recent messages, as many as fit one datagram. */
  offer(): void {
    if (this.#history.size === 0) return;
    const { env, config, members } = this.#ctx;
    const now = env.now();
    const refs = this.#history.recent(now, config.period, 64);
    let used = IHAVE_OVERHEAD;
    for (let i = 0; i < refs.length; i++) {
      used += utf8Length(refs[i].origin) + 5;
      if (used > config.maxDatagramSize) {
        refs.length = i;
        break;
      }
    }
    if (refs.length === 0) return;
    const [peer] = members.randomLive(env.random, 1);
    if (!peer) return;
    this.#history.offered(peer, now);
    this.#outbox.send(peer, [encodeBody({ type: "ihave", messages: refs })]);
  }

  /** IHAVE from `from`: ask for the messages not delivered here yet. */
  onIHave(from: string, refs: MessageRef[]): void {
    const self = this.#ctx.self;
    const wants = refs.filter((r) => r.origin !== self && !this.#seen.has(`${r.origin}/${r.id}`));
    if (wants.length > 0) {
      this.#outbox.send(from, [encodeBody({ type: "iwant", messages: wants })], false);
    }
  }

  /** Records that `peer` was offered message ids now (it may ask for them within the window). */
  offeredTo(peer: string): void {
    this.#history.offered(peer, this.#ctx.env.now());
  }

  /**
   * IWANT (or GRAFT) from `from`: send what it asks for, if it was offered
   * anything lately; otherwise drop the request (`unknown-sender`).
   */
  onIWant(from: string, refs: MessageRef[]): void {
    const ctx = this.#ctx;
    if (!this.#history.wasOffered(from, ctx.env.now())) {
      return drop(ctx, "unknown-sender", from, "IWANT without an IHAVE");
    }
    const max = ctx.config.maxDatagramSize;
    let batch: Uint8Array[] = [];
    let used = BATCH_HEADER;
    for (const ref of refs) {
      const body = this.#history.get(ref);
      // (A message from a node with a larger maxDatagramSize may not fit ours.)
      if (!body || body.length + BATCH_HEADER + ENTRY_OVERHEAD > max) continue;
      if (used + body.length + ENTRY_OVERHEAD > max && batch.length > 0) {
        this.#outbox.send(from, batch, false);
        batch = [];
        used = BATCH_HEADER;
      }
      batch.push(body);
      used += body.length + ENTRY_OVERHEAD;
    }
    if (batch.length > 0) this.#outbox.send(from, batch, false);
  }
}
