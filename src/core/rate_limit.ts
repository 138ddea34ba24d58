/**
 * Per-source token buckets in bounded memory.
 *
 * @module
 */

/**
 * Options for {@link RateLimiter}.
 */
export interface RateLimiterOptions {
  /** Tokens added per second to each source's bucket. */
  rate: number;
  /** Bucket size: how many requests a quiet source may make at once. */
  burst: number;
  /**
   * How many sources are tracked at most. When a new source arrives at a full
   * table, the least recently seen source is forgotten (it starts again
   * with a full bucket), so memory stays bounded whatever the number of
   * (forged) sources.
   */
  maxSources: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per source key (an address), with at most `maxSources`
 * buckets: each source may make `burst` requests at once and `rate` per
 * second after that.
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxSources: number;
  /** Least recently seen first. */
  #buckets = new Map<string, Bucket>();

  /**
   * Creates a limiter.
   *
   * @throws {RangeError} When a field is not a positive number.
   */
  constructor(options: RateLimiterOptions) {
    const { rate, burst, maxSources } = options;
    if (!(rate > 0) || !(burst >= 1) || !(maxSources >= 1)) {
      throw new RangeError(
        `rate limiter needs rate > 0, burst >= 1 and maxSources >= 1 (got ${rate}, ${burst}, ${maxSources})`,
      );
    }
    this.#rate = rate;
    this.#burst = burst;
    this.#maxSources = Math.floor(maxSources);
  }

  /** How many sources are tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes one token from `source`'s bucket at time `now` (ms); false when it
   * is empty (the request should be dropped).
   */
  allow(source: string, now: number): boolean {
    let bucket = this.#buckets.get(source);
    if (bucket) {
      this.#buckets.delete(source);
      bucket.tokens = Math.min(
        this.#burst,
        bucket.tokens + Math.max(0, now - bucket.at) * this.#rate / 1000,
      );
      bucket.at = now;
    } else {
      bucket = { tokens: this.#burst, at: now };
      if (this.#buckets.size >= this.#maxSources) {
        this.#buckets.delete(this.#buckets.keys().next().value!);
      }
    }
    this.#buckets.set(source, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
