/**
 * Refusing replayed sealed datagrams, with bounded memory.
 *
 * A sealed datagram's 12-byte nonce starts with the sender's wall-clock time
 * in whole seconds (4 bytes, big-endian), followed by 8 random bytes. The
 * nonce is the AES-GCM IV, so it is authenticated: changing the timestamp
 * makes the datagram fail to open. A receiver accepts a datagram once, and
 * only while its timestamp is within the acceptance window of its own clock;
 * a {@link ReplayGuard} remembers the nonces it accepted for as long as they
 * could still be accepted. docs/SECURITY.md describes the scheme.
 *
 * @module
 */

/** Bytes of the timestamp at the start of a nonce. */
export const NONCE_TIME_SIZE = 4;
/** Bytes of a nonce (AES-GCM's 96 bits). */
const NONCE_SIZE = 12;

/**
 * Makes a 12-byte nonce for sealing at wall-clock time `now` (ms since the
 * epoch): the time in whole seconds (u32 big-endian), then 8 random bytes.
 *
 * @param now Milliseconds since the Unix epoch, e.g. `Date.now()`.
 * @returns A fresh nonce.
 */
export function timedNonce(now: number): Uint8Array {
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_SIZE));
  const seconds = Math.floor(now / 1000) >>> 0;
  nonce[0] = seconds >>> 24;
  nonce[1] = seconds >>> 16;
  nonce[2] = seconds >>> 8;
  nonce[3] = seconds;
  return nonce;
}

/**
 * The timestamp (whole seconds since the epoch) at the start of a nonce.
 *
 * @param nonce At least 4 bytes; the nonce as sealed.
 * @returns The seconds it names.
 */
export function nonceTime(nonce: Uint8Array): number {
  return ((nonce[0] << 24) | (nonce[1] << 16) | (nonce[2] << 8) | nonce[3]) >>> 0;
}

/**
 * What {@link ReplayGuard.check} says of a datagram: `"ok"` (accept),
 * `"seen"` (its nonce was accepted before), `"stale"` (its timestamp is
 * outside the window, or older than what the full cache can still vouch
 * for).
 */
export type ReplayVerdict = "ok" | "seen" | "stale";

/**
 * Options for {@link ReplayGuard}.
 */
export interface ReplayGuardOptions {
  /**
   * How far (ms) a datagram's timestamp may be from the receiver's clock,
   * either way: it covers clock skew between nodes plus network delay.
   */
  window: number;
  /** How many accepted nonces are remembered at most. */
  capacity: number;
}

/**
 * Accepts each nonce once within a time window, in bounded memory.
 *
 * Nonces accepted are remembered until their timestamp leaves the window.
 * When more than `capacity` are remembered, the oldest remembered is
 * forgotten and the guard from then on refuses every timestamp up to that
 * one's (`floor`): a forgotten nonce can then never be accepted again. Under
 * a load above `capacity / window` the window so shrinks for late datagrams;
 * it never lets a replay through.
 */
export class ReplayGuard {
  readonly #window: number;
  readonly #capacity: number;
  /** Nonce (as a 12-char string) to its timestamp in seconds, in order of acceptance. */
  #seen = new Map<string, number>();
  /** Timestamps at or below this (seconds) are refused: their nonces may have been forgotten. */
  #floor = -1;

  /**
   * Creates a guard.
   *
   * @throws {RangeError} When `window` or `capacity` is not a positive number.
   */
  constructor(options: ReplayGuardOptions) {
    const { window, capacity } = options;
    if (!(window > 0) || !Number.isFinite(window)) {
      throw new RangeError(`replay window must be a positive number of ms, got ${window}`);
    }
    if (!(capacity >= 1) || !Number.isInteger(capacity)) {
      throw new RangeError(`replay capacity must be a positive integer, got ${capacity}`);
    }
    this.#window = window;
    this.#capacity = capacity;
  }

  /** How many nonces are remembered. */
  get size(): number {
    return this.#seen.size;
  }

  /** Whether `nonce` was accepted and is still remembered (a cheap test before opening). */
  seen(nonce: Uint8Array): boolean {
    return this.#seen.has(nonceKey(nonce));
  }

  /**
   * Judges an authenticated datagram's nonce at local time `now` (ms since
   * the epoch) and, when it is `"ok"`, remembers it.
   */
  accept(nonce: Uint8Array, now: number): ReplayVerdict {
    const time = nonceTime(nonce);
    const ms = time * 1000;
    // A timestamp is the second the datagram was sealed in, so allow one more second.
    if (ms < now - this.#window - 1000 || ms > now + this.#window || time <= this.#floor) {
      return "stale";
    }
    const key = nonceKey(nonce);
    if (this.#seen.has(key)) return "seen";
    this.#expire(now);
    this.#seen.set(key, time);
    while (this.#seen.size > this.#capacity) {
      const [oldest, at] = this.#seen.entries().next().value!;
      this.#seen.delete(oldest);
      if (at > this.#floor) this.#floor = at;
    }
    return "ok";
  }

  /** Forgets the oldest accepted nonces whose timestamps have left the window. */
  #expire(now: number): void {
    const limit = (now - this.#window - 1000) / 1000;
    for (const [key, time] of this.#seen) {
      if (time >= limit) break;
      this.#seen.delete(key);
    }
  }
}

function nonceKey(nonce: Uint8Array): string {
  let s = "";
  for (let i = 0; i < NONCE_SIZE; i++) s += String.fromCharCode(nonce[i]);
  return s;
}
