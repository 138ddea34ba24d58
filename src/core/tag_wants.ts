/**
 * What this node knows it lacks of other members' tags, and whom to ask. An
 * announcement (or a push that skipped a version) tells a node that a member
 * holds an owner's state further than it does; it asks that member for the
 * gap, and, while the gap stays open, asks again every second, each time the
 * next member known to hold it, for a bounded number of tries. Anti-entropy
 * covers whatever outlasts them.
 *
 * @module
 */

/** How long a request is waited on before the next is sent (ms). */
export const ASK_AGAIN_MS = 1000;
/** Requests per gap before it is left to anti-entropy. */
const MAX_TRIES = 30;
/** Members remembered per gap as holding it. */
const MAX_PEERS = 4;
/** Gaps tracked at once, at most (more wait for anti-entropy). */
const MAX_WANTS = 4096;

interface Want {
  generation: number;
  version: number;
  /** Members known to hold it, latest last. */
  peers: string[];
  /** The next of `peers` to ask when the timer finds it overdue. */
  next: number;
  askedAt: number;
  tries: number;
}

/** The open gaps of one node. */
export class TagWants {
  #wants = new Map<string, Want>();

  /** How many gaps are open. */
  get size(): number {
    return this.#wants.size;
  }

  /** Whether a gap of `owner`'s is open (what fills it is announced on). */
  has(owner: string): boolean {
    return this.#wants.has(owner);
  }

  /**
   * `from` holds `owner`'s state up to (`generation`, `version`), which this
   * node lacks. Returns whether to ask `from` now: at once for a new gap,
   * otherwise only when the last request is overdue.
   */
  lack(owner: string, generation: number, version: number, from: string, now: number): boolean {
    const want = this.#wants.get(owner);
    if (!want) {
      if (this.#wants.size >= MAX_WANTS) return false;
      this.#wants.set(owner, {
        generation,
        version,
        peers: [from],
        next: 0,
        askedAt: now,
        tries: 1,
      });
      return true;
    }
    if (
      generation > want.generation || (generation === want.generation && version > want.version)
    ) {
      want.generation = generation;
      want.version = version;
    }
    const at = want.peers.indexOf(from);
    if (at >= 0) want.peers.splice(at, 1);
    want.peers.push(from);
    if (want.peers.length > MAX_PEERS) want.peers.shift();
    if (now - want.askedAt < ASK_AGAIN_MS) return false;
    want.askedAt = now;
    want.tries++;
    return true;
  }

  /** Closes `owner`'s gap if what is held now, (`generation`, `version`), reaches what was wanted. */
  settle(owner: string, generation: number, version: number): boolean {
    const want = this.#wants.get(owner);
    if (!want) return false;
    if (
      generation > want.generation || (generation === want.generation && version >= want.version)
    ) {
      this.#wants.delete(owner);
      return true;
    }
    return false;
  }

  /**
   * The requests due at `now`: for each overdue gap, the next member known
   * to hold it that `usable` accepts. Gaps past their tries are dropped.
   */
  overdue(now: number, usable: (peer: string) => boolean): [owner: string, peer: string][] {
    const out: [string, string][] = [];
    for (const [owner, want] of this.#wants) {
      if (now - want.askedAt < ASK_AGAIN_MS) continue;
      if (want.tries >= MAX_TRIES) {
        this.#wants.delete(owner);
        continue;
      }
      let peer: string | undefined;
      const n = want.peers.length;
      for (let k = 0; k < n; k++) {
        const i = (want.next + k) % n;
        if (!usable(want.peers[i])) continue;
        peer = want.peers[i];
        want.next = (i + 1) % n;
        break;
      }
      if (peer === undefined) {
        this.#wants.delete(owner);
        continue;
      }
      want.askedAt = now;
      want.tries++;
      out.push([owner, peer]);
    }
    return out;
  }

  /** Forgets `owner`'s gap (it was reaped). */
  forget(owner: string): void {
    this.#wants.delete(owner);
  }
}
