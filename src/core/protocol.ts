/**
 * The native protocol engine: it composes the rooms of the core (join and
 * admission, member state and suspicion, probing, dissemination and repair,
 * anti-entropy, the outbox) and routes each message and each timer to the
 * room that owns it. It never touches a socket, a clock, a timer or
 * `Math.random`: all of that comes in through its {@link EngineEnv}.
 *
 * @module
 */

import type { Engine, EngineEnv, Member, Timer } from "../engine.ts";
import type { EngineMetrics } from "../metrics.ts";
import { emptyEngineMetrics } from "../metrics.ts";
import { CodecError, decode, MAX_UDP_PAYLOAD } from "../wire/codec.ts";
import type { SingleMessage } from "../wire/message.ts";
import { Admission, type Admitted } from "./admission.ts";
import { AntiEntropy } from "./anti_entropy.ts";
import { Awareness } from "./awareness.ts";
import type { ProtocolConfig } from "./config.ts";
import { type Context, drop } from "./context.ts";
import { Dissemination } from "./dissemination.ts";
import { Join } from "./join.ts";
import { LinkDelay, RTT_BUCKETS } from "./link_delay.ts";
import { Membership } from "./membership.ts";
import { Outbox } from "./outbox.ts";
import { Prober } from "./probe.ts";
import { isUpdate, MemberState } from "./state.ts";
import { Suspicions } from "./suspicion.ts";
import { Tags } from "./tags.ts";
import type { CoreTimer } from "./timers.ts";

/** The native engine of one node; see the module documentation. */
export class Protocol implements Engine {
  #ctx: Context;
  #outbox: Outbox;
  #awareness: Awareness;
  #delay = new LinkDelay();
  #suspicions: Suspicions;
  #state: MemberState;
  #admission: Admission;
  #tags: Tags;
  #antiEntropy: AntiEntropy;
  #join: Join;
  #dissemination: Dissemination;
  #prober: Prober;

  /**
   * Creates the engine for `env.self`, joining through `seeds` once started,
   * in tag `generation` (a restarted node must start a later one: the host
   * passes its start time) with `tags` set at once.
   */
  constructor(
    env: EngineEnv<CoreTimer>,
    config: ProtocolConfig,
    seeds: readonly string[] = [],
    init: { generation?: number; tags?: Readonly<Record<string, string>> } = {},
  ) {
    const ctx: Context = {
      self: env.self,
      env,
      config,
      members: new Membership(),
      metrics: emptyEngineMetrics(),
      phase: "new",
    };
    this.#ctx = ctx;
    this.#outbox = new Outbox(ctx);
    this.#awareness = new Awareness(config.awarenessMaxMultiplier);
    this.#suspicions = new Suspicions(ctx, this.#outbox);
    this.#state = new MemberState(ctx, this.#outbox, this.#suspicions, this.#awareness);
    this.#admission = new Admission(ctx, this.#outbox);
    this.#dissemination = new Dissemination(ctx, this.#outbox, this.#delay);
    this.#tags = new Tags(
      ctx,
      this.#outbox,
      this.#state,
      this.#dissemination,
      init.generation ?? 0,
      init.tags ?? {},
    );
    this.#antiEntropy = new AntiEntropy(
      ctx,
      this.#outbox,
      this.#state,
      this.#admission,
      this.#tags,
    );
    const tags = this.#tags;
    this.#join = new Join(
      ctx,
      this.#outbox,
      this.#state,
      this.#antiEntropy,
      seeds,
      (seed) => tags.joined(seed),
    );
    this.#prober = new Prober(ctx, this.#outbox, this.#awareness, this.#state, this.#delay);
  }

  /** This node's address. */
  get self(): string {
    return this.#ctx.self;
  }

  /** This node's incarnation number. */
  get incarnation(): number {
    return this.#state.incarnation;
  }

  /** Whether a seed let this node in (true without seeds). */
  get joined(): boolean {
    return this.#join.joined;
  }

  /** Settings. */
  get config(): Readonly<ProtocolConfig> {
    return this.#ctx.config;
  }

  /** Local health: 0 is healthy; timeouts are stretched by `score + 1`. */
  get health(): number {
    return this.#awareness.score;
  }

  /** Updates and messages waiting to be piggybacked. */
  get queued(): number {
    return this.#outbox.queue.size;
  }

  /** Tree mode: the members `origin`'s messages are pushed to from this node. */
  eager(origin: string): string[] {
    return this.#dissemination.tree.eager(origin);
  }

  /** Strangers waiting on their join cookie. */
  get pendingAdmissions(): number {
    return this.#admission.pending;
  }

  /** Starts: schedules probing, gossip rounds, reaping and push-pull, and joins. */
  start(): void {
    const ctx = this.#ctx;
    if (ctx.phase !== "new") return;
    ctx.phase = "running";
    this.#prober.start();
    this.#dissemination.start();
    this.#state.start();
    this.#antiEntropy.start();
    this.#join.start();
  }

  /** Stops: nothing more is sent or handled; timers that fire later are ignored. */
  stop(): void {
    this.#ctx.phase = "stopped";
    this.#prober.stop();
    this.#suspicions.clear();
    this.#admission.clear();
  }

  /**
   * Announces a graceful leave: the others mark this node `left`. The node
   * keeps relaying and answering probes until {@link Protocol.stop}.
   */
  leave(): void {
    if (this.#ctx.phase !== "running") return;
    this.#ctx.phase = "leaving";
    this.#state.announceLeave();
  }

  /** Addresses of live (alive or suspect) members, self excluded. */
  peers(): string[] {
    return [...this.#ctx.members.live()];
  }

  /** Every known member, this node first, with its tags. */
  members(): Member[] {
    const store = this.#tags.store;
    return this.#state.members().map((m) => ({ ...m, tags: store.of(m.address) }));
  }

  /** Sets one of this node's tags; throws `RangeError` over a limit. */
  setTag(key: string, value: string): void {
    this.#tags.set(key, value);
  }

  /** Deletes one of this node's tags. */
  deleteTag(key: string): void {
    this.#tags.delete(key);
  }

  /** This node's tags, or a member's as last learned; `undefined` for a stranger. */
  tags(address?: string): Record<string, string> | undefined {
    if (address === undefined || address === this.#ctx.self) return this.#tags.store.own();
    return this.#ctx.members.has(address) ? this.#tags.store.of(address) : undefined;
  }

  /** A snapshot of the counters. */
  metrics(): EngineMetrics {
    const m = this.#ctx.metrics;
    const d = this.#delay;
    return {
      ...m,
      health: this.#awareness.score,
      queued: this.#outbox.queue.size,
      probeRtt: { bounds: RTT_BUCKETS, counts: [...d.counts], sum: d.sum, count: d.count },
      dropped: { ...m.dropped },
    };
  }

  /** Broadcasts `payload` to every live member (delivered once each); returns its id. */
  broadcast(payload: Uint8Array): number {
    const phase = this.#ctx.phase;
    if (phase === "stopped" || phase === "new") throw new Error("the node is not running");
    return this.#dissemination.broadcast(payload);
  }

  /** Handles one datagram from `from`. Never throws for bad input: it is dropped and counted. */
  receive(from: string, data: Uint8Array): void {
    const ctx = this.#ctx;
    if (ctx.phase === "stopped") return drop(ctx, "closed", from, "node stopped");
    if (data.length > MAX_UDP_PAYLOAD) return drop(ctx, "oversized", from, `${data.length} bytes`);
    let message;
    try {
      message = decode(data);
    } catch (e) {
      return drop(ctx, "malformed", from, e instanceof CodecError ? e.message : String(e));
    }
    const messages = message.type === "batch" ? message.messages : [message];
    for (const m of messages) this.#handle(from, m);
    this.#suspicions.nudge(from);
    if (this.#join.joined) this.#admission.noticeStranger(from, messages);
  }

  /** Handles a timer this engine scheduled; stale ones are ignored by their room. */
  fire(timer: Timer): void {
    if (this.#ctx.phase === "stopped") return;
    const t = timer as CoreTimer;
    switch (t.name) {
      case "probe":
        return this.#prober.period();
      case "probe-indirect":
        return this.#prober.indirect(t.seq);
      case "probe-end":
        return this.#prober.end(t.seq);
      case "relay":
        return this.#prober.relayExpired(t.seq);
      case "suspicion": {
        const expired = this.#suspicions.fire(t);
        if (expired) this.#state.declareDead(expired.address, expired.incarnation);
        return;
      }
      case "gossip":
        return this.#dissemination.round();
      case "push-pull":
        return this.#antiEntropy.pushPull();
      case "early-sync":
        return this.#antiEntropy.early();
      case "reap":
        this.#tags.forget(this.#state.reap());
        return this.#tags.collect();
      case "tag-pump":
        return this.#tags.pump();
      case "tag-ask":
        return this.#tags.ask();
      case "join":
        return this.#join.retry();
      case "lazy":
        return this.#dissemination.tree.flush();
      case "graft":
        return this.#dissemination.tree.graft(t);
    }
  }

  /** Routes one message to its room, after the checks on who may ask what. */
  #handle(from: string, m: SingleMessage): void {
    const ctx = this.#ctx;
    if (isUpdate(m) && !ctx.members.has(from)) return drop(ctx, "unknown-sender", from, m.type);
    switch (m.type) {
      case "init":
        // Not answered with the table at once: a stranger proves its address first.
        if (this.#admission.allow(from, "init")) this.#admission.admit(from, m.incarnation, "info");
        return;
      case "info":
        return this.#join.onInfo(from, m.members);
      case "conn":
        if (ctx.members.has(from)) {
          this.#state.merge(
            { address: from, state: "alive", incarnation: m.incarnation },
            from,
            false,
          );
        } else if (this.#admission.allow(from, "conn")) {
          this.#admission.admit(from, m.incarnation);
        }
        return;
      case "gosp":
        return this.#dissemination.onGosp(from, m);
      case "ping":
        if (m.target !== ctx.self) return drop(ctx, "misdirected", from, `ping for ${m.target}`);
        // Probed by a member we never heard of: it knows us, so we learn it once
        // it has answered our cookie.
        if (ctx.phase === "running" && !ctx.members.has(from)) {
          if (!this.#admission.allow(from, "ping")) return;
          this.#admission.admit(from, 0);
        }
        return this.#prober.onPing(from, m);
      case "ack": {
        const admitted = this.#admission.accept(from, m.seq);
        if (admitted === undefined) return this.#prober.onAck(from, m);
        if (admitted) this.#admitted(from, admitted);
        return;
      }
      case "ping-req":
        // Only members ask us to probe for them; a stranger's request could be forged.
        if (!ctx.members.has(from)) {
          return drop(ctx, "unknown-sender", from, "ping-req from a stranger");
        }
        if (this.#admission.allow(from, "ping-req")) this.#prober.onPingReq(from, m);
        return;
      case "nack":
        return this.#prober.onNack(from, m);
      case "alive":
      case "leave": {
        const state = m.type === "leave" ? "left" : "alive";
        this.#state.merge({ address: m.address, state, incarnation: m.incarnation }, from, true);
        return;
      }
      case "suspect":
      case "dead":
        this.#state.merge(
          { address: m.address, state: m.type, incarnation: m.incarnation },
          m.from,
          true,
          from,
        );
        return;
      case "sync":
        return this.#antiEntropy.onSync(from, m.reply, m.members);
      case "ihave":
        // In tree mode a missing message is waited for a little (it may be on
        // its way down the tree) before it is asked for.
        if (ctx.config.mode === "tree") return this.#dissemination.tree.onIHave(from, m.messages);
        return this.#dissemination.repair.onIHave(from, m.messages);
      case "iwant":
        return this.#dissemination.repair.onIWant(from, m.messages);
      case "prune":
        return this.#dissemination.tree.onPrune(from, m.origin);
      case "graft":
        return this.#dissemination.tree.onGraft(from, m.origin, m.ids);
      case "tags":
        return this.#tags.onTags(from, m);
      case "digest":
        return this.#antiEntropy.onDigest(from, m);
    }
  }

  /** A stranger answered its cookie: give it what it asked for. */
  #admitted(from: string, { incarnation, owed }: Admitted): void {
    if (owed === "info") return this.#join.answer(from, incarnation);
    // Verified alive at its address: tell the others too (as for a joiner).
    this.#state.merge({ address: from, state: "alive", incarnation }, from, true);
    // It asked for a table exchange: now that it is known, ask it for one.
    if (owed === "sync") this.#antiEntropy.request(from);
  }
}
