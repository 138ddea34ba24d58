/**
 * Recently delivered gossip messages, kept for a short repair window so that
 * a member that missed one can pull it (IHAVE / IWANT). Epidemic push with a
 * bounded number of retransmissions leaves a small residue of members that no
 * copy reached (Demers et al.'s rumor-mongering residue); this closes it.
 *
 * @module
 */

import type { MessageRef } from "../wire/message.ts";

interface Entry {
  ref: MessageRef;
  body: Uint8Array;
  at: number;
}

/**
 * A bounded, time-limited store of encoded GOSP bodies, and a record of whom
 * this node offered them to (only those may ask for them).
 */
export class MessageHistory {
  #entries = new Map<string, Entry>();
  #offers = new Map<string, number>();

  /** Keeps at most `capacity` messages, each for `window` ms. */
  constructor(readonly capacity: number, readonly window: number) {}

  /** Number of messages kept. */
  get size(): number {
    return this.#entries.size;
  }

  /** Keeps `body` (an encoded GOSP message) under `ref`. */
  add(ref: MessageRef, body: Uint8Array, now: number): void {
    this.#expire(now);
    this.#entries.set(`${ref.origin}/${ref.id}`, { ref, body, at: now });
    if (this.#entries.size > this.capacity) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }

  /** The encoded message for `ref`, if still kept. */
  get(ref: MessageRef): Uint8Array | undefined {
    return this.#entries.get(`${ref.origin}/${ref.id}`)?.body;
  }

  /**
   * Up to `max` refs, newest first, of messages at least `minAge` ms old (the
   * eager push is still under way for younger ones).
   */
  recent(now: number, minAge: number, max: number): MessageRef[] {
    this.#expire(now);
    const out: MessageRef[] = [];
    const all = [...this.#entries.values()];
    for (let i = all.length - 1; i >= 0 && out.length < max; i--) {
      if (now - all[i].at >= minAge) out.push(all[i].ref);
    }
    return out;
  }

  /** Records that `to` was offered messages at `now` (it may ask for a window). */
  offered(to: string, now: number): void {
    this.#offers.delete(to);
    this.#offers.set(to, now + this.window);
    if (this.#offers.size > 256) this.#offers.delete(this.#offers.keys().next().value!);
  }

  /** Whether `from` was offered messages within the window. */
  wasOffered(from: string, now: number): boolean {
    const until = this.#offers.get(from);
    return until !== undefined && until >= now;
  }

  #expire(now: number): void {
    for (const [key, e] of this.#entries) {
      if (now - e.at < this.window) break;
      this.#entries.delete(key);
    }
  }
}
