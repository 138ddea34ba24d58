/**
 * {@link Broadcast}: one message followed through a {@link Simulation}.
 *
 * @module
 */

/**
 * One broadcast followed through a {@link Simulation}: when and after how
 * many hops each node delivered it, how many copies were sent, in how many
 * datagrams and bytes. Its arrays fill in as the simulation runs. Get one
 * from {@link Simulation.broadcastFrom}.
 *
 * @example How fast, in how many rounds, at what cost
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulation } from "@gossip/peer/testing";
 * await using sim = new Simulation({ seed: 3 });
 * await sim.addNodes(50);
 * sim.bootstrap();
 * const b = sim.broadcastFrom(0);
 * assert.ok(sim.runUntil(() => b.complete, 10_000));
 * assert.equal(b.delivered, 50);
 * assert.ok(b.timeToReach(1)! > 0 && b.hopsToReach(1)! >= 1);
 * assert.ok(sim.settle(b));
 * assert.ok(b.copies >= 49 && b.packets > 0 && b.bytes > 0);
 * ```
 */
export class Broadcast {
  /** Index of the node that broadcast it. */
  readonly origin: number;
  /** The origin's id for it. */
  readonly id: number;
  /** Virtual time it was broadcast. */
  readonly sentAt: number;
  /**
   * Delivery time of each node (by index), ms after {@link Broadcast.sentAt};
   * `NaN` where not delivered. The origin has 0.
   */
  readonly times: Float64Array;
  /** Relays on the path that delivered it to each node; -1 where not delivered. */
  readonly hops: Int16Array;
  /** Copies each node put on the network (by node index). */
  readonly copiesBy: Uint32Array;
  /** Nodes that have it, the origin included. */
  delivered = 1;
  /** Copies of it put on the network (datagrams may carry other things too). */
  copies = 0;
  /** Datagrams that carried at least one copy. */
  packets = 0;
  /** Bytes of the datagrams that carried a copy. */
  bytes = 0;
  /** Virtual time the last copy was sent. */
  lastCopyAt: number;
  #population: () => number;
  #order: number[] = [];

  /** @internal Made by {@link Simulation.broadcastFrom}. */
  constructor(origin: number, id: number, sentAt: number, size: number, population: () => number) {
    this.origin = origin;
    this.id = id;
    this.sentAt = sentAt;
    this.lastCopyAt = sentAt;
    this.times = new Float64Array(size).fill(NaN);
    this.hops = new Int16Array(size).fill(-1);
    this.copiesBy = new Uint32Array(size);
    this.times[origin] = 0;
    this.hops[origin] = 0;
    this.#order.push(origin);
    this.#population = population;
  }

  /** Whether every node that is up has it. */
  get complete(): boolean {
    return this.delivered >= this.#population();
  }

  /** @internal Records a delivery. */
  record(node: number, at: number, hops: number): void {
    if (node >= this.times.length || !Number.isNaN(this.times[node])) return;
    this.times[node] = at - this.sentAt;
    this.hops[node] = hops;
    this.delivered++;
    this.#order.push(node);
  }

  /** @internal Records `copies` copies sent by node `sender` in one datagram of `bytes`. */
  recordCopies(copies: number, bytes: number, sender: number, at: number): void {
    this.copies += copies;
    if (sender >= 0 && sender < this.copiesBy.length) this.copiesBy[sender] += copies;
    this.packets++;
    this.bytes += bytes;
    this.lastCopyAt = at;
  }

  /**
   * Milliseconds until `fraction` of `population` nodes (default: the nodes
   * up now) had it; `undefined` if that has not happened.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Simulation } from "@gossip/peer/testing";
   * await using sim = new Simulation({ seed: 4 });
   * await sim.addNodes(20);
   * sim.bootstrap();
   * const b = sim.broadcastFrom(0);
   * assert.equal(b.timeToReach(1), undefined);
   * sim.run(5_000);
   * assert.ok(b.timeToReach(0.5)! <= b.timeToReach(1)!);
   * ```
   */
  timeToReach(fraction: number, population: number = this.#population()): number | undefined {
    const k = Math.max(1, Math.ceil(fraction * population - 1e-9));
    if (k > this.#order.length) return undefined;
    return this.times[this.#order[k - 1]];
  }

  /**
   * The most hops among the first `fraction` of `population` deliveries:
   * the epidemic's rounds (generations) to reach that fraction.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Simulation } from "@gossip/peer/testing";
   * await using sim = new Simulation({ seed: 4 });
   * await sim.addNodes(20);
   * sim.bootstrap();
   * const b = sim.broadcastFrom(0);
   * sim.run(5_000);
   * assert.ok(b.hopsToReach(0.5)! <= b.hopsToReach(1)!);
   * ```
   */
  hopsToReach(fraction: number, population: number = this.#population()): number | undefined {
    const k = Math.max(1, Math.ceil(fraction * population - 1e-9));
    if (k > this.#order.length) return undefined;
    let max = 0;
    for (let i = 0; i < k; i++) max = Math.max(max, this.hops[this.#order[i]]);
    return max;
  }
}
