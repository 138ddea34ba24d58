/**
 * Observed link delay: the round-trip times of this node's direct probes,
 * kept as a histogram (for operators) and as a smoothed estimate with its
 * variation (for timeouts that follow the network, as TCP's RTO does).
 *
 * @module
 */

/** Upper bounds (ms) of the round-trip histogram's buckets; the last bucket is open. */
export const RTT_BUCKETS: readonly number[] = [
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  25,
  50,
  100,
  250,
  500,
  1000,
  2500,
];

/** Round-trip samples, by bucket, and their smoothed estimate. */
export class LinkDelay {
  /** Samples per bucket; the last counts those above every bound. */
  readonly counts: number[] = new Array(RTT_BUCKETS.length + 1).fill(0);
  /** Sum of all samples (ms). */
  sum = 0;
  /** Number of samples. */
  count = 0;
  #srtt: number | undefined;
  #rttvar = 0;

  /** Records one round trip of `ms`. */
  observe(ms: number): void {
    let i = 0;
    while (i < RTT_BUCKETS.length && ms > RTT_BUCKETS[i]) i++;
    this.counts[i]++;
    this.sum += ms;
    this.count++;
    if (this.#srtt === undefined) {
      this.#srtt = ms;
      this.#rttvar = ms / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - ms);
      this.#srtt = 0.875 * this.#srtt + 0.125 * ms;
    }
  }

  /** The smoothed round trip (ms), or undefined before the first sample. */
  get smoothed(): number | undefined {
    return this.#srtt;
  }

  /**
   * A timeout for waiting on one more hop: `srtt + 4 × rttvar` (TCP's RTO),
   * or `fallback` before any sample, clamped to `[min, max]`.
   */
  timeout(fallback: number, min: number, max: number): number {
    const t = this.#srtt === undefined ? fallback : this.#srtt + 4 * this.#rttvar;
    return Math.min(max, Math.max(min, t));
  }
}
