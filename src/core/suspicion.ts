/**
 * Lifeguard's suspicion timeout: it starts at a maximum and shrinks towards a
 * minimum as independent members confirm the suspicion.
 *
 * @module
 */

/**
 * The suspicion timeout after `confirmations` of the `k` expected:
 * `max - (max - min) * log(c + 1) / log(k + 1)`, never below `min`.
 *
 * @example
 * ```ts
 * import { suspicionTimeout } from "@gossip/peer";
 * console.assert(suspicionTimeout(0, 2, 4000, 24000) === 24000);
 * console.assert(suspicionTimeout(2, 2, 4000, 24000) === 4000);
 * ```
 */
export function suspicionTimeout(
  confirmations: number,
  k: number,
  min: number,
  max: number,
): number {
  if (k < 1) return min;
  const frac = Math.log(confirmations + 1) / Math.log(k + 1);
  return Math.max(min, Math.floor(max - (max - min) * frac));
}

/**
 * The bounds of the suspicion timeout in a cluster of `n` members
 * (memberlist: `min = mult * max(1, log10 n) * probeInterval`,
 * `max = maxMult * min`).
 *
 * @example
 * ```ts
 * import { suspicionBounds } from "@gossip/peer";
 * const { min, max } = suspicionBounds(4, 6, 10, 1000);
 * console.assert(min === 4000 && max === 24000);
 * ```
 */
export function suspicionBounds(
  mult: number,
  maxMult: number,
  n: number,
  probeInterval: number,
): { min: number; max: number } {
  const min = mult * Math.max(1, Math.log10(Math.max(1, n))) * probeInterval;
  return { min, max: maxMult * min };
}

/**
 * One member's suspicion: when it started, who confirmed it, and when it
 * expires.
 *
 * @example
 * ```ts
 * import { Suspicion } from "@gossip/peer";
 * const s = new Suspicion("127.0.0.1:1", 0, 0, 2, 4000, 24000, "127.0.0.1:2");
 * console.assert(s.deadline() === 24000);
 * s.confirm("127.0.0.1:3");
 * console.assert(s.deadline() < 24000);
 * ```
 */
export class Suspicion {
  #confirmers = new Set<string>();

  /** Starts a suspicion of `address` at `incarnation`, raised by `from` at time `start`. */
  constructor(
    readonly address: string,
    readonly incarnation: number,
    readonly start: number,
    readonly k: number,
    readonly min: number,
    readonly max: number,
    from: string,
  ) {
    this.#confirmers.add(from);
  }

  /** Independent confirmations so far (the first accuser does not count). */
  get confirmations(): number {
    return this.#confirmers.size - 1;
  }

  /** Records a confirmation by `from`; false when `from` had already accused. */
  confirm(from: string): boolean {
    if (this.#confirmers.has(from) || this.confirmations >= this.k) return false;
    this.#confirmers.add(from);
    return true;
  }

  /** The time at which the member is declared dead. */
  deadline(): number {
    return this.start + suspicionTimeout(this.confirmations, this.k, this.min, this.max);
  }
}
