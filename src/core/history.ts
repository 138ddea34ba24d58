/**
 * Recently delivered gossip messages, kept for a short repair window so that
 * a member that missed one can pull it (IHAVE / IWANT, or GRAFT in tree
 * mode). Epidemic push with a bounded number of retransmissions leaves a
 * small residue of members that no copy reached (Demers et al.'s
 * rumor-mongering residue), and a lost push in a tree leaves a subtree
 * without the message; this closes both.
 *
 * @module
 */

import { encodeBody } from "../wire/codec.ts";
import type { GospMessage, MessageRef } from "../wire/message.ts";

interface Entry {
  key: string;
  ref: MessageRef;
  /** The encoded GOSP, or the message to encode when first asked for (most never are). */
  body: Uint8Array | GospMessage;
  at: number;
}

/**
 * A bounded, time-limited store of encoded GOSP bodies, and a record of whom
 * this node offered them to (only those may ask for them).
 *
 * Entries live in a ring, oldest first, beside a map for lookups: expiring
 * and evicting take the oldest from the ring, never by walking the map from
 * its start (which costs one step per entry deleted before it, in V8).
 */
export class MessageHistory {
  #ring: (Entry | undefined)[];
  #head = 0;
  #count = 0;
  #entries = new Map<string, Entry>();
  #offers = new Map<string, number>();

  /** Keeps at most `capacity` messages, each for `window` ms. */
  constructor(readonly capacity: number, readonly window: number) {
    this.#ring = new Array(capacity);
  }

  /** Number of messages kept. */
  get size(): number {
    return this.#count;
  }

  /**
   * Keeps a GOSP message, encoded or not, under `ref` (`key` is its
   * `origin/id`, when the caller has it already). `ref` is kept as given.
   */
  add(ref: MessageRef, body: Uint8Array | GospMessage, now: number, key?: string): void {
    this.#expire(now);
    key ??= `${ref.origin}/${ref.id}`;
    if (this.#entries.has(key)) return;
    if (this.#count === this.capacity) this.#dropOldest();
    const entry = { key, ref: { origin: ref.origin, id: ref.id }, body, at: now };
    this.#ring[(this.#head + this.#count) % this.capacity] = entry;
    this.#count++;
    this.#entries.set(key, entry);
  }

  /** The encoded message for `ref`, if still kept. */
  get(ref: MessageRef): Uint8Array | undefined {
    const entry = this.#entries.get(`${ref.origin}/${ref.id}`);
    if (!entry) return undefined;
    if (!(entry.body instanceof Uint8Array)) entry.body = encodeBody(entry.body);
    return entry.body;
  }

  /**
   * Up to `max` refs, newest first, of messages at least `minAge` ms old (the
   * eager push is still under way for younger ones).
   */
  recent(now: number, minAge: number, max: number): MessageRef[] {
    this.#expire(now);
    const out: MessageRef[] = [];
    for (let i = this.#count - 1; i >= 0 && out.length < max; i--) {
      const e = this.#ring[(this.#head + i) % this.capacity]!;
      if (now - e.at >= minAge) out.push(e.ref);
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
    while (this.#count > 0 && now - this.#ring[this.#head]!.at >= this.window) this.#dropOldest();
  }

  #dropOldest(): void {
    const e = this.#ring[this.#head]!;
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#count--;
    this.#entries.delete(e.key);
  }
}
