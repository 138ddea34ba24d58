/**
 * How far each node of a {@link Simulation} has come: when it joined and,
 * with `trackMembers`, how many live peers it knows and when it first knew
 * them all. Private to `src/testing/`.
 *
 * @module
 */

/** Join and completeness bookkeeping, by node index. */
export class Progress {
  #joinedAt: number[] = [];
  #joined = 0;
  #known: number[] = [];
  #completeAt: number[] = [];
  #complete = 0;
  #target = 0;
  readonly #isUp: (i: number) => boolean;

  constructor(isUp: (i: number) => boolean) {
    this.#isUp = isUp;
  }

  /** Adds a node (as not joined, knowing nobody). */
  add(): void {
    this.#joinedAt.push(NaN);
    this.#known.push(0);
    this.#completeAt.push(NaN);
  }

  /** Forgets what node `i` reached before a restart. */
  reset(i: number): void {
    this.#joinedAt[i] = NaN;
    this.#completeAt[i] = NaN;
    this.#known[i] = 0;
  }

  /** Nodes up that joined. */
  get joinedCount(): number {
    return this.#joined;
  }

  /** Nodes up that know every other node as live. */
  get completeCount(): number {
    this.#retarget();
    return this.#complete;
  }

  /** When node `i` joined, or `undefined`. */
  joinedAt(i: number): number | undefined {
    const t = this.#joinedAt[i];
    return t === undefined || Number.isNaN(t) ? undefined : t;
  }

  /** When node `i` first knew every other node, or `undefined`. */
  completeAt(i: number): number | undefined {
    const t = this.#completeAt[i];
    return t === undefined || Number.isNaN(t) ? undefined : t;
  }

  /** Live peers of node `i`, counted from its events. */
  knownPeers(i: number): number {
    return this.#known[i] ?? 0;
  }

  /** Node `i` joined at `now` (only the first time counts). */
  markJoined(i: number, now: number): void {
    if (!Number.isNaN(this.#joinedAt[i])) return;
    this.#joinedAt[i] = now;
    this.#joined++;
  }

  /** Node `i` learned of a live peer (`delta` 1) or lost one (-1) at `now`. */
  count(i: number, delta: number, now: number): void {
    this.#retarget();
    const before = this.#known[i];
    const after = before + delta;
    this.#known[i] = after;
    if (before === this.#target) this.#complete--;
    if (after === this.#target) {
      this.#complete++;
      if (Number.isNaN(this.#completeAt[i])) this.#completeAt[i] = now;
    }
  }

  /** Node `i` stopped. */
  stopped(i: number): void {
    if (!Number.isNaN(this.#joinedAt[i])) this.#joined--;
    if (this.#known[i] === this.#target) this.#complete--;
    this.#known[i] = 0;
  }

  /** Every other node ever added is the target; recount when that grew. */
  #retarget(): void {
    const target = this.#known.length - 1;
    if (target === this.#target) return;
    this.#target = target;
    let complete = 0;
    for (let i = 0; i < this.#known.length; i++) {
      if (this.#isUp(i) && this.#known[i] === target) complete++;
    }
    this.#complete = complete;
  }
}
