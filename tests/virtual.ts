/** A cluster of real GossipNodes on an in-process network with a virtual clock. */

import {
  GossipNode,
  type GossipNodeEventMap,
  type GossipNodeOptions,
  MemoryNetwork,
} from "../mod.ts";
import { seededRandom, VirtualClock } from "../src/testing/mod.ts";

/** One recorded node event. */
export interface Recorded {
  time: number;
  node: string;
  type: keyof GossipNodeEventMap;
  address?: string;
}

const EVENTS: (keyof GossipNodeEventMap)[] = ["join", "suspect", "alive", "dead", "leave"];

/** A virtual cluster: nodes, the network, the clock and an event log. */
export class VirtualCluster {
  readonly clock = new VirtualClock();
  readonly network: MemoryNetwork;
  readonly nodes: GossipNode[] = [];
  readonly events: Recorded[] = [];
  #seed: number;
  #options: GossipNodeOptions;

  constructor(
    seed: number,
    options: GossipNodeOptions = {},
    net: {
      delay?: number;
      jitter?: number;
      tap?: (from: string, to: string, data: Uint8Array) => void;
    } = {},
  ) {
    this.#seed = seed;
    this.#options = options;
    this.network = new MemoryNetwork({
      clock: this.clock,
      random: seededRandom(seed),
      delay: net.delay ?? 1,
      jitter: net.jitter ?? 1,
      tap: net.tap,
    });
  }

  /** Starts a node on `address` (or a fresh one) joining through `seeds`. */
  async add(
    seeds: string[] = [],
    address?: string,
    extra: GossipNodeOptions = {},
  ): Promise<GossipNode> {
    const transport = this.network.bind(address);
    const node = await GossipNode.start({
      ...this.#options,
      ...extra,
      seeds,
      transport,
      clock: this.clock,
      random: seededRandom(this.#seed * 7919 + this.nodes.length + 1),
    });
    for (const type of EVENTS) {
      node.addEventListener(type, (e) => {
        const detail = (e as CustomEvent<{ address: string }>).detail;
        this.events.push({
          time: this.clock.now(),
          node: node.address,
          type,
          address: detail.address,
        });
      });
    }
    this.nodes.push(node);
    return node;
  }

  /** Starts `n` nodes, each joining through the first, and runs until all know all. */
  async grow(n: number, within = 60_000): Promise<void> {
    const first = this.nodes[0] ?? await this.add();
    while (this.nodes.length < n) await this.add([first.address]);
    this.runUntil(() => this.converged(), within, "full mesh");
  }

  /** Nodes that are still running. */
  running(): GossipNode[] {
    return this.nodes.filter((n) => !this.#closed.has(n));
  }

  #closed = new Set<GossipNode>();

  /** Closes `node` without leaving (its socket just goes quiet), like a crash. */
  crash(node: GossipNode): void {
    this.#closed.add(node);
    this.network.crash(node.address);
    void node.close();
  }

  /** Closes a node after a graceful leave. */
  async leave(node: GossipNode): Promise<void> {
    this.#closed.add(node);
    await node.leave();
  }

  /** True when every running node sees exactly the other running nodes as live. */
  converged(): boolean {
    const live = this.running();
    const all = live.map((n) => n.address).sort().join(",");
    return live.every((n) => [...n.peers(), n.address].sort().join(",") === all);
  }

  /** Advances virtual time in small steps until `cond` holds; throws after `within` ms. */
  runUntil(cond: () => boolean, within: number, what: string): number {
    const start = this.clock.now();
    while (!cond()) {
      if (this.clock.now() - start > within) {
        throw new Error(`${what} not reached within ${within} virtual ms`);
      }
      this.clock.advance(10);
    }
    return this.clock.now() - start;
  }

  /** Advances virtual time by `ms`. */
  run(ms: number): void {
    this.clock.advance(ms);
  }

  /** Closes every node (and drains the network). */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
    this.clock.advance(1000);
  }
}
