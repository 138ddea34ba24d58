/**
 * What a {@link Simulation} records from its nodes' events: the event log,
 * join and completeness progress, broadcast deliveries and false deaths.
 * Private to `src/testing/`.
 *
 * @module
 */

import type { GossipNode, GossipNodeEventMap } from "../node.ts";
import type { BroadcastFollower } from "./_broadcast_follower.ts";
import { describeEvent, EventLog } from "./_event_log.ts";
import { Progress } from "./_progress.ts";
import type { MemoryNetwork } from "./memory_network.ts";
import type { TraceEvent } from "./simulation_types.ts";

const TRACED: (keyof GossipNodeEventMap)[] = [
  "join",
  "suspect",
  "alive",
  "dead",
  "leave",
  "joined",
  "message",
  "tag",
];

/** What the recorder needs to know about the simulation. */
export interface RecorderContext {
  readonly network: MemoryNetwork;
  readonly follower: BroadcastFollower;
  /** Record every event in the log. */
  readonly trace: boolean;
  /** Count each node's live peers. */
  readonly trackMembers: boolean;
  now(): number;
  indexOf(address: string): number;
  isUp(i: number): boolean;
  /** Node `i` if it is up. */
  node(i: number): GossipNode | undefined;
}

/** Listens to each node started and keeps the simulation's records. */
export class Recorder {
  /** Every event, when tracing. */
  readonly log: EventLog = new EventLog();
  /** Joins and completeness. */
  readonly progress: Progress;
  /** Declarations of a live, reachable member's death. */
  readonly falseDeaths: TraceEvent[] = [];
  /**
   * Each node's open suspicions, by member address: the incarnation, and
   * whether it began while the member was out of the node's reach (down,
   * crashed or partitioned away).
   */
  readonly #suspicions: Map<string, { incarnation: number; outOfReach: boolean }>[] = [];
  readonly #ctx: RecorderContext;

  constructor(ctx: RecorderContext) {
    this.#ctx = ctx;
    this.progress = new Progress((i) => ctx.isUp(i));
  }

  /** Starts recording the events of `node`, node `i`, just started. */
  watch(i: number, node: GossipNode): void {
    const ctx = this.#ctx;
    const progress = this.progress;
    node.addEventListener("message", (e) => {
      const d = e.detail;
      ctx.follower.delivered(i, d.from, d.id, d.hops);
    });
    if (node.joined) progress.markJoined(i, ctx.now());
    else node.addEventListener("joined", () => progress.markJoined(i, ctx.now()));
    const suspicions = this.#suspicions[i] = new Map();
    node.addEventListener("suspect", (e) => {
      const { address, incarnation } = e.detail;
      if (suspicions.get(address)?.incarnation === incarnation) return; // a confirmation
      suspicions.set(address, { incarnation, outOfReach: !this.#reachable(i, address) });
    });
    node.addEventListener("alive", (e) => suspicions.delete(e.detail.address));
    node.addEventListener("leave", (e) => suspicions.delete(e.detail.address));
    node.addEventListener("dead", (e) => {
      const d = e.detail;
      const suspicion = suspicions.get(d.address);
      suspicions.delete(d.address);
      if (d.from !== node.address) return; // relayed, not declared here
      if (suspicion?.incarnation === d.incarnation && suspicion.outOfReach) return;
      this.#checkDeath(i, d);
    });
    if (ctx.trackMembers) {
      node.addEventListener("join", () => progress.count(i, 1, ctx.now()));
      node.addEventListener("dead", () => progress.count(i, -1, ctx.now()));
      node.addEventListener("leave", () => progress.count(i, -1, ctx.now()));
    }
    if (ctx.trace) {
      const indexOf = (a: string) => ctx.indexOf(a);
      for (const type of TRACED) {
        node.addEventListener(type, (e: Event) => {
          const detail = (e as CustomEvent).detail as Record<string, unknown>;
          this.log.record(describeEvent(ctx.now(), i, type, detail, indexOf));
        });
      }
    }
  }

  /**
   * Notes node `i`'s declaration of a member's death (suspected while in
   * reach) when the member is up, still in reach, and at the incarnation
   * declared (the death of a refuted one cannot stick).
   */
  #checkDeath(i: number, d: GossipNodeEventMap["dead"]): void {
    const ctx = this.#ctx;
    const victim = ctx.node(ctx.indexOf(d.address));
    if (victim === undefined || victim.incarnation > d.incarnation) return;
    if (!this.#reachable(i, d.address)) return;
    this.falseDeaths.push(describeEvent(ctx.now(), i, "dead", d, (a) => ctx.indexOf(a)));
  }

  /** Whether node `i` can reach the member at `address`: up, not crashed, no cut between. */
  #reachable(i: number, address: string): boolean {
    const ctx = this.#ctx;
    const j = ctx.indexOf(address);
    if (j < 0 || !ctx.isUp(j) || ctx.network.isCrashed(address)) return false;
    const self = ctx.node(i)?.address;
    return self === undefined || !ctx.network.isPartitioned(self, address);
  }
}
