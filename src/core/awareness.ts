/**
 * Lifeguard's local health awareness: a node that misses acks or has to
 * refute suspicions about itself is probably the slow one, so it stretches
 * its own probe interval and timeout instead of accusing others.
 *
 * @module
 */

/**
 * A health score from 0 (healthy) to `max - 1`; timeouts are multiplied by
 * `score + 1`.
 */
export class Awareness {
  #score = 0;

  /** Creates a score bounded by `max` (memberlist's AwarenessMaxMultiplier). */
  constructor(readonly max: number) {}

  /** The current score. */
  get score(): number {
    return this.#score;
  }

  /** Adds `delta` (negative when things go well), clamped to `[0, max - 1]`. */
  apply(delta: number): void {
    this.#score = Math.min(this.max - 1, Math.max(0, this.#score + delta));
  }

  /** `ms` stretched by the current score. */
  scale(ms: number): number {
    return ms * (this.#score + 1);
  }
}
