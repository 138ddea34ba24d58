/**
 * The sans-IO protocol core: join (INIT, INFO, CONN), epidemic or full-mesh
 * dissemination (GOSP and membership updates), SWIM failure detection with
 * suspicion, push-pull anti-entropy, leave and reaping.
 *
 * It never touches a socket or the real clock: it is fed datagrams through
 * {@link Protocol.receive} and timer callbacks through the injected
 * {@link Clock}, and it sends through {@link ProtocolEnv.send}. The same code
 * runs on UDP in {@link GossipNode} and on the in-process network in tests
 * and the simulator.
 *
 * @module
 */

import { Timers } from "../timers.ts";
import { Awareness } from "./awareness.ts";
import { BroadcastQueue, retransmitLimit } from "./queue.ts";
import type { Clock } from "../clock.ts";
import type { Random } from "../engine.ts";
import { shuffle } from "./_random.ts";
import {
  CodecError,
  decode,
  encodeBody,
  HEADER_SIZE,
  pack,
  RECORD_OVERHEAD,
  utf8Length,
  Writer,
} from "../wire/codec.ts";
import type { ProtocolConfig } from "./config.ts";
import type { Engine } from "../engine.ts";
import { FailureDetector } from "./probe.ts";
import { MessageHistory } from "./history.ts";
import { isLive, type Member, Membership } from "./membership.ts";
import type { MemberRecord, MemberState, MessageRef, SingleMessage } from "../wire/message.ts";
import { type DropReason, emptyMetrics, type NodeMetrics } from "../metrics.ts";
import { RateLimiter } from "./rate_limit.ts";
import { detectWire } from "../wire/seed.ts";
import { SeenCache } from "./seen_cache.ts";
import { Suspicion, suspicionBounds } from "./suspicion.ts";

/** The largest UDP payload; anything larger cannot have come from a peer. */
export const MAX_UDP_PAYLOAD = 65507;
/** Batch overhead per message (its 2-byte length). */
const ENTRY_OVERHEAD = 2;
/** Header bytes of a batch: magic, version, kind, count. */
const BATCH_HEADER = HEADER_SIZE + 2;

/**
 * Something the protocol reports to its host.
 *
 * @example
 * ```ts
 * import type { ProtocolEvent } from "@gossip/peer";
 * const log = (e: ProtocolEvent) => console.log(e.type);
 * ```
 */
export type ProtocolEvent =
  | { type: "join"; address: string; incarnation: number }
  | { type: "suspect"; address: string; incarnation: number; from: string }
  | { type: "alive"; address: string; incarnation: number }
  | { type: "dead"; address: string; incarnation: number; from: string }
  | { type: "leave"; address: string; incarnation: number }
  | { type: "joined"; seed: string; members: number }
  | {
    type: "message";
    from: string;
    via: string;
    id: number;
    hops: number;
    payload: Uint8Array;
  }
  | { type: "drop"; reason: DropReason; from: string; detail: string };

/**
 * What the protocol is given by its host.
 *
 * @example
 * ```ts
 * import { type ProtocolEnv, seededRandom, VirtualClock } from "@gossip/peer";
 * const env: ProtocolEnv = {
 *   self: "10.0.0.1:7946",
 *   clock: new VirtualClock(),
 *   random: seededRandom(1),
 *   send: (_to, _data) => {},
 *   emit: (_event) => {},
 * };
 * ```
 */
export interface ProtocolEnv {
  /** This node's address as the others know it. */
  self: string;
  /** Time and timers. */
  clock: Clock;
  /** Randomness. */
  random: Random;
  /** Sends one datagram. */
  send(to: string, data: Uint8Array): void;
  /** Reports an event. */
  emit(event: ProtocolEvent): void;
  /**
   * Unpredictable 32-bit values for join cookies. Default: WebCrypto. A
   * simulation passes one derived from its seeded random, to stay exact.
   */
  unpredictable?: () => number;
}

/** A stranger asked to prove it receives at its address (see `#admit`). */
interface PendingAdmission {
  /** The random 32-bit cookie sent as the PING's seq; its ACK must echo it. */
  cookie: number;
  /** The incarnation it claimed. */
  incarnation: number;
  /**
   * What it is owed once in: the member table (it asked to join with INIT),
   * a table exchange (it asked for one with SYNC), or nothing more.
   */
  then: "info" | "sync" | undefined;
  /** When the cookie stops being accepted (ms). */
  expires: number;
}

interface ActiveSuspicion {
  suspicion: Suspicion;
  cancel: () => void;
  /** Whether the last call (asking the suspect and a few members once more) went out. */
  lastCall: boolean;
  /** When the suspect was last told of the suspicion because it sent us something. */
  nudged: number;
}

/**
 * The protocol state machine for one node.
 *
 * @example Two nodes on a virtual network
 * ```ts
 * import { profile, Protocol, seededRandom, VirtualClock } from "@gossip/peer";
 * const clock = new VirtualClock();
 * const nodes = new Map<string, Protocol>();
 * const make = (self: string, seeds: string[]) => {
 *   const p = new Protocol({
 *     self, clock, random: seededRandom(self.length),
 *     send: (to, data) => clock.setTimeout(() => nodes.get(to)?.receive(self, data), 1),
 *     emit: () => {},
 *   }, profile("lan"), seeds);
 *   nodes.set(self, p);
 *   return p;
 * };
 * const a = make("10.0.0.1:1", []), b = make("10.0.0.2:1", ["10.0.0.1:1"]);
 * a.start();
 * b.start();
 * clock.advance(100);
 * console.assert(a.peers().length === 1 && b.peers().length === 1);
 * a.stop();
 * b.stop();
 * ```
 */
export class Protocol implements Engine {
  /** The member table (other members). */
  readonly membership: Membership = new Membership();
  /** Local health. */
  readonly awareness: Awareness;
  /** Updates and messages waiting to be piggybacked. */
  readonly queue: BroadcastQueue = new BroadcastQueue();
  /** Settings. */
  readonly config: ProtocolConfig;

  #env: ProtocolEnv;
  #seeds: string[];
  #metrics: NodeMetrics = emptyMetrics();
  #seen: SeenCache;
  #history: MessageHistory;
  #detector: FailureDetector;
  #incarnation = 0;
  #state: "new" | "running" | "leaving" | "stopped" = "new";
  #timers: Timers;
  #suspicions = new Map<string, ActiveSuspicion>();
  #joined = false;
  #joinDelay: number;
  #cancelJoin: (() => void) | undefined;
  #nextId: number;
  #writer = new Writer(2048);
  /** Strangers that were sent a cookie PING, oldest first; at most `maxSources`. */
  #pending = new Map<string, PendingAdmission>();
  /** Per-source budget for requests that cost this node work or replies. */
  #limiter: RateLimiter;

  /** Creates the protocol for `env.self`, joining through `seeds` once started. */
  constructor(env: ProtocolEnv, config: ProtocolConfig, seeds: readonly string[] = []) {
    this.#env = env;
    this.#timers = new Timers(env.clock);
    this.config = config;
    this.#seeds = seeds.filter((s) => s !== env.self);
    this.awareness = new Awareness(config.awarenessMaxMultiplier);
    this.#seen = new SeenCache(config.seenCapacity, config.seenTtl);
    this.#history = new MessageHistory(512, config.repairWindow);
    this.#joinDelay = config.joinRetryInterval;
    this.#limiter = new RateLimiter({
      rate: config.requestRate,
      burst: config.requestBurst,
      maxSources: config.maxSources,
    });
    this.#nextId = Math.floor(env.random.next() * 0x100000000) >>> 0;
    this.#detector = new FailureDetector({
      self: env.self,
      random: env.random,
      config,
      membership: this.membership,
      awareness: this.awareness,
      send: (to, bodies) => this.#sendBodies(to, bodies),
      after: (ms, fn) => this.#after(ms, fn),
      probeFailed: (address, incarnation) => this.#probeFailed(address, incarnation),
      pingExtras: (target) => this.#pingExtras(target),
    });
  }

  /** This node's address. */
  get self(): string {
    return this.#env.self;
  }

  /** This node's incarnation number. */
  get incarnation(): number {
    return this.#incarnation;
  }

  /** Whether an INFO answer has been received from a seed (or no seeds were given). */
  get joined(): boolean {
    return this.#joined;
  }

  /** A snapshot of the counters. */
  metrics(): NodeMetrics {
    const m = this.#metrics;
    return { ...m, health: this.awareness.score, dropped: { ...m.dropped } };
  }

  /** Starts the timers and, with seeds, the join. */
  start(): void {
    if (this.#state !== "new") return;
    this.#state = "running";
    this.#detector.start();
    this.#every(() => this.config.period, () => this.#gossipRound());
    this.#every(
      () => Math.max(1000, Math.min(this.config.reapAfter / 2, 60_000)),
      () => this.#reap(),
    );
    if (this.config.pushPullInterval > 0) {
      // First exchange at a random point of the interval, so nodes do not sync in step.
      const first = this.#env.random.next() * this.#pushPullInterval();
      this.#after(first, () => {
        this.#pushPull();
        this.#every(() => this.#pushPullInterval(), () => this.#pushPull());
      });
    }
    if (this.#seeds.length === 0) {
      this.#joined = true;
    } else {
      this.#sendInit();
    }
  }

  /** Stops every timer; the node sends and handles nothing more. */
  stop(): void {
    this.#state = "stopped";
    this.#detector.stop();
    this.#timers.clear();
    this.#suspicions.clear();
    this.#pending.clear();
    this.#cancelJoin = undefined;
  }

  /**
   * Announces a graceful leave: the others mark this node `left`. The node
   * keeps running (to pass on gossip) until {@link stop}.
   */
  leave(): void {
    if (this.#state !== "running") return;
    this.#state = "leaving";
    this.#cancelJoin?.();
    const body = encodeBody({ type: "leave", address: this.self, incarnation: this.#incarnation });
    this.queue.enqueue(`m:${this.self}`, body, this.#limit());
    for (const address of this.membership.live()) this.#sendBodies(address, [body], false);
  }

  /** Addresses of live (alive or suspect) members, self excluded. */
  peers(): string[] {
    return [...this.membership.live()];
  }

  /** Every known member, this node first. */
  members(): Member[] {
    const self: Member = {
      address: this.self,
      state: this.#state === "leaving" ? "left" : "alive",
      incarnation: this.#incarnation,
      since: 0,
    };
    return [self, ...[...this.membership.all()].map((m) => ({ ...m }))];
  }

  /**
   * Broadcasts `payload` to every live member (delivered once each).
   * Returns the message id.
   */
  broadcast(payload: Uint8Array): number {
    if (this.#state === "stopped" || this.#state === "new") {
      throw new Error("the node is not running");
    }
    const id = this.#nextId;
    this.#nextId = (this.#nextId + 1) >>> 0;
    const body = encodeBody({ type: "gosp", origin: this.self, id, hops: 0, payload });
    const max = this.config.maxDatagramSize - BATCH_HEADER - ENTRY_OVERHEAD;
    if (body.length > max) {
      throw new RangeError(
        `message of ${payload.length} bytes is too large: at most ${
          payload.length - (body.length - max)
        } bytes fit in a ${this.config.maxDatagramSize}-byte datagram`,
      );
    }
    // Not added to the seen cache: copies of our own messages are dropped by
    // origin (#onGosp, #onIHave), and the add cost as much as a delivery's.
    this.#metrics.broadcasts++;
    if (this.config.mode === "mesh") {
      for (const address of this.membership.live()) this.#sendBodies(address, [body]);
    } else {
      this.queue.enqueue(`g:${this.self}/${id}`, body, this.#limit());
      this.#remember({ origin: this.self, id }, body);
      this.#spread(undefined, this.#eagerFanout());
    }
    return id;
  }

  /** Handles one datagram from `from`. Never throws for bad input: it is dropped and counted. */
  receive(from: string, data: Uint8Array): void {
    const m = this.#metrics;
    m.packetsReceived++;
    m.bytesReceived += data.length;
    if (this.#state === "stopped") return this.#drop("closed", from, "node stopped");
    if (data.length > MAX_UDP_PAYLOAD) return this.#drop("oversized", from, `${data.length} bytes`);
    let message;
    try {
      message = decode(data);
    } catch (e) {
      if (detectWire(data) === "seed") {
        return this.#drop(
          "seed-wire",
          from,
          "seed-format frame (INIT/INFO/CONN/GOSP) received by a native node",
        );
      }
      const detail = e instanceof CodecError ? e.message : String(e);
      return this.#drop("malformed", from, detail);
    }
    const messages = message.type === "batch" ? message.messages : [message];
    for (const inner of messages) this.#handle(from, inner);
    this.#nudge(from);
    this.#noticeStranger(from, messages);
  }

  /**
   * Gossip from an address not in our table means a member knows of us while
   * we missed its ALIVE (the residue of bounded gossip, typical after a join
   * storm). Ask it in, through the same cookie round trip as a CONN, instead
   * of waiting for a push-pull.
   */
  #noticeStranger(from: string, messages: SingleMessage[]): void {
    if (this.#state !== "running" || !this.#joined || from === this.self) return;
    if (this.membership.get(from) || this.#pending.has(from)) return;
    const gossip = messages.every((m) =>
      m.type === "gosp" || m.type === "alive" || m.type === "suspect" || m.type === "dead" ||
      m.type === "leave" || m.type === "ihave"
    );
    if (!gossip || !this.#allow(from, "gossip")) return;
    this.#admit(from, 0);
  }

  /**
   * A datagram from a member we suspect is evidence that it lives, though only
   * the member itself may refute. Tell it (at most once a probe interval) what
   * we suspect: it refutes, or, if it refuted already and we missed it, sends
   * us its newer record at once (see #aboutSelf).
   */
  #nudge(from: string): void {
    const active = this.#suspicions.get(from);
    if (!active || this.#state !== "running") return;
    const now = this.#now();
    if (now - active.nudged < this.config.probeInterval) return;
    active.nudged = now;
    const member = this.membership.get(from);
    if (member?.state !== "suspect") return;
    this.#sendBodies(from, [this.#updateBody(toRecord(member), this.self)], false);
  }

  /** Counts a datagram dropped before it reached the protocol (by a layer around it). */
  countDrop(reason: DropReason, from: string, detail: string): void {
    this.#drop(reason, from, detail);
  }

  #drop(reason: DropReason, from: string, detail: string): void {
    this.#metrics.dropped[reason]++;
    this.#env.emit({ type: "drop", reason, from, detail });
  }

  #handle(from: string, m: SingleMessage): void {
    switch (m.type) {
      case "init":
        // Not answered with the table at once: see #admit.
        if (!this.#allow(from, "init")) return;
        return this.#admit(from, m.incarnation, "info");
      case "info":
        return this.#onInfo(from, m.members);
      case "conn":
        if (!this.membership.get(from)) {
          if (this.#allow(from, "conn")) this.#admit(from, m.incarnation);
          return;
        }
        this.#merge({ address: from, state: "alive", incarnation: m.incarnation }, from, false);
        return;
      case "gosp":
        return this.#onGosp(from, m);
      case "ping":
        if (m.target !== this.self) return this.#drop("misdirected", from, `ping for ${m.target}`);
        // Probed by a member we never heard of: it knows us, so we learn it
        // (at incarnation 0; a tombstone or a newer record wins as usual).
        // Learned once it has answered our cookie (see #admit).
        if (!this.membership.get(from) && this.#state === "running") {
          if (!this.#allow(from, "ping")) return;
          this.#admit(from, 0);
        }
        return this.#detector.onPing(from, m);
      case "ack":
        if (this.#onCookie(from, m.seq)) return;
        return this.#detector.onAck(from, m);
      case "ping-req":
        // Only members ask us to probe for them; a stranger's request could be forged.
        if (!this.membership.get(from)) {
          return this.#drop("unknown-sender", from, "ping-req from a stranger");
        }
        if (!this.#allow(from, "ping-req")) return;
        return this.#detector.onPingReq(from, m);
      case "nack":
        return this.#detector.onNack(from, m);
      case "alive":
      case "leave":
        this.#merge(
          {
            address: m.address,
            state: m.type === "leave" ? "left" : "alive",
            incarnation: m.incarnation,
          },
          from,
          true,
        );
        return;
      case "suspect":
      case "dead":
        this.#merge(
          { address: m.address, state: m.type, incarnation: m.incarnation },
          m.from,
          true,
          from,
        );
        return;
      case "sync":
        return this.#onSync(from, m.reply, m.members);
      case "ihave":
        return this.#onIHave(from, m.messages);
      case "iwant":
        return this.#onIWant(from, m.messages);
    }
  }

  // --- join ---------------------------------------------------------------

  #sendInit(): void {
    if (this.#joined || this.#state !== "running") return;
    const body = encodeBody({ type: "init", incarnation: this.#incarnation });
    for (const seed of this.#seeds) this.#sendBodies(seed, [body], false);
    const delay = this.#joinDelay;
    this.#joinDelay = Math.min(this.#joinDelay * 2, this.config.joinRetryMax);
    this.#cancelJoin = this.#after(delay, () => this.#sendInit());
  }

  /**
   * Takes a token from `from`'s request budget; when there is none, counts a
   * `rate` drop and returns false.
   */
  #allow(from: string, what: string): boolean {
    if (this.#limiter.allow(from, this.#now())) return true;
    this.#drop("rate", from, `${what} over ${this.config.requestRate} requests/s`);
    return false;
  }

  /**
   * The cookie round trip. A stranger (INIT, or CONN, PING or SYNC from an
   * address not in the table) is added to the member table, and for INIT
   * sent the table, only once it has answered at its address a PING whose
   * seq is a random 32-bit cookie: until then its request is answered with
   * that one PING, about the size of the request, so a forged source address
   * cannot make this node send much more than it received (docs/SECURITY.md).
   */
  #admit(from: string, incarnation: number, then?: "info" | "sync"): void {
    if (this.#state !== "running" || from === this.self) return;
    const now = this.#now();
    let pending = this.#pending.get(from);
    if (pending && pending.expires > now) {
      pending.incarnation = Math.max(pending.incarnation, incarnation);
      if (pending.then !== "info") pending.then = then ?? pending.then;
    } else {
      this.#pending.delete(from);
      if (this.#pending.size >= this.config.maxSources) {
        this.#pending.delete(this.#pending.keys().next().value!);
      }
      const cookie = this.#env.unpredictable?.() ??
        crypto.getRandomValues(new Uint32Array(1))[0];
      const expires = now + 2 * this.config.joinRetryMax;
      pending = { cookie, incarnation, then, expires };
      this.#pending.set(from, pending);
    }
    const ping = encodeBody({ type: "ping", seq: pending.cookie, target: from });
    this.#sendBodies(from, [ping], false);
  }

  /** An ACK carrying the cookie sent to a stranger lets it in; returns whether it did. */
  #onCookie(from: string, seq: number): boolean {
    const pending = this.#pending.get(from);
    if (!pending || pending.cookie !== seq) return false;
    this.#pending.delete(from);
    if (pending.expires <= this.#now() || this.#state !== "running") return true;
    if (pending.then === "info") {
      this.#onInit(from, pending.incarnation);
      return true;
    }
    // Verified alive at its address: tell the others too (as for a joiner).
    this.#merge({ address: from, state: "alive", incarnation: pending.incarnation }, from, true);
    // It asked for a table exchange: now that it is known, ask it for one.
    if (pending.then === "sync") this.#sendSync(from, false);
    return true;
  }

  /** Lets in a joiner that has answered its cookie: it is sent the member table. */
  #onInit(from: string, incarnation: number): void {
    if (this.#state !== "running") return;
    this.#merge({ address: from, state: "alive", incarnation }, from, true);
    // The requester's own record first (so it can refute a stale one at once), then ours.
    const records: MemberRecord[] = [];
    const own = this.membership.get(from);
    if (own) records.push(toRecord(own));
    records.push(this.#selfRecord());
    for (const member of this.membership.all()) {
      if (member.address !== from) records.push(toRecord(member));
    }
    for (const part of this.#split(records, 1)) {
      this.#sendBodies(from, [encodeBody({ type: "info", members: part })], false);
    }
  }

  #onInfo(from: string, members: MemberRecord[]): void {
    if (this.#state !== "running") return;
    for (const r of members) if (r.address === this.self) this.#aboutSelf(r);
    const learned: string[] = [];
    for (const r of members) {
      if (r.address === this.self) continue;
      const result = this.#merge(r, from, false);
      if (result && r.address !== from && isLive(r.state)) learned.push(r.address);
    }
    // CONN: announce ourselves to the live members we just learned of: to
    // every one in mesh mode and in clusters up to `announceLimit` members (the
    // original design); in larger epidemic clusters to `fanout` of them at
    // random, once per join, so a join costs O(1) packets, not O(N): the seed
    // gossips our ALIVE to the rest, members that learn of us by gossip CONN
    // us (see #merge), and probes teach the stragglers (see "ping" below).
    const small = this.membership.liveCount <= this.config.announceLimit;
    const targets = this.config.mode === "mesh" || small
      ? learned
      : this.#joined
      ? []
      : shuffle(this.#env.random, learned).slice(0, this.config.fanout);
    if (targets.length > 0) {
      const conn = this.#connBody();
      for (const address of targets) this.#sendBodies(address, [conn], false);
    }
    if (!this.#joined) {
      this.#joined = true;
      this.#cancelJoin?.();
      this.#cancelJoin = undefined;
      // Announce ourselves by gossip too (as memberlist does on join): with the
      // seed and the members we CONNed, several sources spread our ALIVE.
      this.#disseminate(this.#selfRecord(), this.self);
      // Early anti-entropy: a few table exchanges with random members soon
      // after joining, rather than only every pushPullInterval. Members that
      // missed an ALIVE during a join storm learn it from the joiners' tables
      // within seconds (the residue that bounded gossip leaves behind).
      if (this.config.pushPullInterval > 0) {
        for (const k of [1, 3, 7]) {
          this.#after(k * this.config.probeInterval, () => {
            const [peer] = this.membership.randomLive(this.#env.random, 1);
            if (peer) this.#sendSync(peer, false);
          });
        }
      }
      this.#env.emit({ type: "joined", seed: from, members: this.membership.liveCount });
    }
  }

  // --- membership updates ---------------------------------------------------

  #selfRecord(): MemberRecord {
    return {
      address: this.self,
      state: this.#state === "leaving" ? "left" : "alive",
      incarnation: this.#incarnation,
    };
  }

  /**
   * Transmissions per item: `retransmitMult * ceil(log10(N + 1))`, but never
   * more than there are other members (sending the same item twice to the
   * only peer of a two-node cluster buys nothing that repair does not).
   */
  #limit(): number {
    const live = this.membership.liveCount;
    return Math.min(retransmitLimit(this.config.retransmitMult, live + 1), Math.max(1, live));
  }

  #updateBody(r: MemberRecord, from: string): Uint8Array {
    switch (r.state) {
      case "alive":
        return encodeBody({ type: "alive", address: r.address, incarnation: r.incarnation });
      case "left":
        return encodeBody({ type: "leave", address: r.address, incarnation: r.incarnation });
      default:
        return encodeBody({ type: r.state, address: r.address, incarnation: r.incarnation, from });
    }
  }

  #disseminate(r: MemberRecord, from: string): void {
    this.queue.enqueue(`m:${r.address}`, this.#updateBody(r, from), this.#limit());
  }

  /**
   * Applies an update about a member; returns whether it changed anything.
   * `from` is who vouches for it (the accuser, for suspect and dead).
   */
  #merge(r: MemberRecord, from: string, disseminate: boolean, sender?: string): boolean {
    if (r.address === this.self) {
      this.#aboutSelf(r, sender);
      return false;
    }
    const before = this.membership.get(r.address);
    if (before === undefined && this.membership.size >= this.config.maxMembers) {
      this.#metrics.membersRefused++;
      return false;
    }
    if (
      sender !== undefined && before?.state === "alive" && before.incarnation > r.incarnation &&
      (r.state === "suspect" || r.state === "dead")
    ) {
      // A stale accusation: the sender missed a refutation. Tell it directly,
      // or its suspicion would run out and declare a live member dead.
      this.#sendBodies(sender, [this.#updateBody(toRecord(before), this.self)], false);
      return false;
    }
    if (
      r.state === "suspect" && before?.state === "suspect" &&
      before.incarnation === r.incarnation
    ) {
      this.#confirm(r.address, from);
      return false;
    }
    const { changed, previous } = this.membership.apply(r, this.#now());
    if (!changed) return false;
    const { address, incarnation } = r;
    const wasLive = previous !== undefined && isLive(previous);
    if (r.state !== "suspect") this.#cancelSuspicion(address);
    switch (r.state) {
      case "alive":
        if (previous === "suspect") this.#env.emit({ type: "alive", address, incarnation });
        else if (!wasLive) this.#env.emit({ type: "join", address, incarnation });
        break;
      case "suspect":
        if (!wasLive) this.#env.emit({ type: "join", address, incarnation });
        this.#startSuspicion(address, incarnation, from);
        this.#env.emit({ type: "suspect", address, incarnation, from });
        break;
      case "dead":
        if (wasLive) this.#env.emit({ type: "dead", address, incarnation, from });
        break;
      case "left":
        if (wasLive) this.#env.emit({ type: "leave", address, incarnation });
        break;
    }
    if (disseminate) {
      this.#disseminate(r, from);
      // Learned of a new live member by gossip rather than from it: introduce
      // ourselves (CONN), since the seed that let it in may not have known us.
      if (r.state === "alive" && !wasLive && this.#state === "running") {
        this.#sendBodies(address, [this.#connBody()], false);
      }
    }
    return true;
  }

  #connBody(): Uint8Array {
    return encodeBody({ type: "conn", incarnation: this.#incarnation });
  }

  /** Someone says something about us: refute anything but the truth. */
  #aboutSelf(r: MemberRecord, sender?: string): void {
    if (this.#state !== "running") return;
    const stale = r.state === "alive"
      ? r.incarnation > this.#incarnation
      : r.incarnation >= this.#incarnation;
    if (!stale) {
      if (sender !== undefined && r.state !== "alive") {
        // An accusation of an older incarnation: the sender missed our refutation.
        this.#sendBodies(sender, [this.#updateBody(this.#selfRecord(), this.self)], false);
      }
      return;
    }
    this.#incarnation = (r.incarnation + 1) >>> 0;
    if (r.state !== "alive") {
      this.#metrics.refutations++;
      this.awareness.apply(1);
    }
    this.#disseminate(this.#selfRecord(), this.self);
    if (sender !== undefined && sender !== this.self) {
      this.#sendBodies(sender, [this.#updateBody(this.#selfRecord(), this.self)], false);
    }
  }

  #startSuspicion(address: string, incarnation: number, from: string): void {
    this.#cancelSuspicion(address);
    const n = this.membership.liveCount + 1;
    const { min, max } = suspicionBounds(
      this.config.suspicionMult,
      this.config.suspicionMaxTimeoutMult,
      n,
      this.config.probeInterval,
    );
    // Lifeguard: expect suspicionMult - 2 independent confirmations, if there are enough members.
    let k = this.config.suspicionMult - 2;
    if (n - 2 < k) k = 0;
    const suspicion = new Suspicion(address, incarnation, this.#now(), k, min, max, from);
    const active: ActiveSuspicion = {
      suspicion,
      cancel: () => {},
      lastCall: false,
      nudged: -Infinity,
    };
    this.#suspicions.set(address, active);
    this.#armSuspicion(active);
  }

  #armSuspicion(active: ActiveSuspicion): void {
    active.cancel();
    const { suspicion } = active;
    const delay = active.lastCall ? this.config.probeInterval : suspicion.deadline() - this.#now();
    active.cancel = this.#after(delay, () => {
      if (this.#suspicions.get(suspicion.address) !== active) return;
      const member = this.membership.get(suspicion.address);
      if (member?.state !== "suspect" || member.incarnation !== suspicion.incarnation) {
        this.#suspicions.delete(suspicion.address);
        return;
      }
      if (!active.lastCall) {
        // Last call: before declaring death, repeat the accusation to the
        // suspect and a few members. Anyone who knows better (a refutation
        // this node missed) answers at once; see #merge and #aboutSelf.
        active.lastCall = true;
        const body = this.#updateBody(toRecord(member), this.self);
        const asked = this.membership.randomLive(
          this.#env.random,
          Math.max(1, this.config.indirectChecks),
          suspicion.address,
        );
        for (const to of [suspicion.address, ...asked]) this.#sendBodies(to, [body], false);
        this.#armSuspicion(active);
        return;
      }
      this.#suspicions.delete(suspicion.address);
      this.#merge(
        { address: suspicion.address, state: "dead", incarnation: suspicion.incarnation },
        this.self,
        true,
      );
    });
  }

  #confirm(address: string, from: string): void {
    const active = this.#suspicions.get(address);
    if (!active || !active.suspicion.confirm(from)) return;
    this.#armSuspicion(active);
    // Pass the independent confirmation on, so others' timers shrink too.
    this.queue.enqueue(
      `m:${address}`,
      encodeBody({ type: "suspect", address, incarnation: active.suspicion.incarnation, from }),
      this.#limit(),
    );
  }

  #cancelSuspicion(address: string): void {
    const active = this.#suspicions.get(address);
    if (!active) return;
    active.cancel();
    this.#suspicions.delete(address);
  }

  #probeFailed(address: string, incarnation: number): void {
    this.#metrics.probesFailed++;
    const member = this.membership.get(address);
    if (!member || !isLive(member.state) || member.incarnation !== incarnation) return;
    // Already suspect (someone else accused it first): our own failed probe is an
    // independent confirmation that shortens the suspicion (as memberlist does).
    this.#merge({ address, state: "suspect", incarnation }, this.self, true);
  }

  #pingExtras(target: string): Uint8Array[] {
    this.#metrics.probes++;
    const member = this.membership.get(target);
    if (member?.state !== "suspect") return [];
    // Buddy system: tell the suspect directly, so it can refute at once.
    return [encodeBody({
      type: "suspect",
      address: target,
      incarnation: member.incarnation,
      from: this.self,
    })];
  }

  #reap(): void {
    const cutoff = this.#now() - this.config.reapAfter;
    const gone: string[] = [];
    for (const m of this.membership.all()) {
      if (!isLive(m.state) && m.since <= cutoff) gone.push(m.address);
    }
    for (const address of gone) this.membership.remove(address);
  }

  // --- dissemination --------------------------------------------------------

  #onGosp(from: string, m: Extract<SingleMessage, { type: "gosp" }>): void {
    if (m.origin === this.self) return;
    const key = `${m.origin}/${m.id}`;
    if (!this.#seen.add(key, this.#now())) {
      this.#metrics.duplicates++;
      return;
    }
    this.#metrics.delivered++;
    this.#env.emit({
      type: "message",
      from: m.origin,
      via: from,
      id: m.id,
      hops: m.hops,
      payload: m.payload,
    });
    if (this.config.mode === "mesh" || this.#state === "stopped") return;
    const body = encodeBody({ ...m, hops: Math.min(255, m.hops + 1) });
    // A message from a node with a larger maxDatagramSize may not fit ours:
    // deliver it, but do not queue what could never be sent.
    if (body.length > this.config.maxDatagramSize - BATCH_HEADER - ENTRY_OVERHEAD) return;
    this.queue.enqueue(`g:${key}`, body, this.#limit());
    this.#remember(m, body);
    this.#spread(from, this.#eagerFanout());
  }

  #remember(ref: MessageRef, body: Uint8Array): void {
    if (this.config.repairWindow > 0) {
      this.#history.add({ origin: ref.origin, id: ref.id }, body, this.#now());
    }
  }

  /** Repair: offer one random member the ids of recent messages (IHAVE). */
  #offer(): void {
    if (this.#history.size === 0) return;
    const now = this.#now();
    const refs = this.#history.recent(now, this.config.period, 64);
    // Keep the IHAVE inside one datagram: each ref costs its origin + 5 bytes.
    let used = BATCH_HEADER + ENTRY_OVERHEAD + 2;
    for (let i = 0; i < refs.length; i++) {
      used += utf8Length(refs[i].origin) + 5;
      if (used > this.config.maxDatagramSize) {
        refs.length = i;
        break;
      }
    }
    if (refs.length === 0) return;
    const [peer] = this.membership.randomLive(this.#env.random, 1);
    if (!peer) return;
    this.#history.offered(peer, now);
    this.#sendBodies(peer, [encodeBody({ type: "ihave", messages: refs })]);
  }

  #onIHave(from: string, refs: MessageRef[]): void {
    const wants = refs.filter((r) =>
      r.origin !== this.self && !this.#seen.has(`${r.origin}/${r.id}`)
    );
    if (wants.length > 0) {
      this.#sendBodies(from, [encodeBody({ type: "iwant", messages: wants })], false);
    }
  }

  #onIWant(from: string, refs: MessageRef[]): void {
    // Only a member we offered to may ask, so a forged IWANT cannot turn this
    // node into an amplifier towards a stranger.
    if (!this.#history.wasOffered(from, this.#now())) {
      return this.#drop("unknown-sender", from, "IWANT without an IHAVE");
    }
    let batch: Uint8Array[] = [];
    let used = BATCH_HEADER;
    for (const ref of refs) {
      const body = this.#history.get(ref);
      if (!body) continue;
      if (used + body.length + ENTRY_OVERHEAD > this.config.maxDatagramSize && batch.length > 0) {
        this.#sendBodies(from, batch, false);
        batch = [];
        used = BATCH_HEADER;
      }
      batch.push(body);
      used += body.length + ENTRY_OVERHEAD;
    }
    if (batch.length > 0) this.#sendBodies(from, batch, false);
  }

  /** Sends what is queued to `fanout` random members now (a new message is not held for the next round). */
  #spread(exclude: string | undefined, count: number = this.config.fanout): void {
    const targets = this.membership.randomLive(this.#env.random, count, exclude);
    for (const target of targets) {
      if (this.queue.size === 0) break;
      this.#sendBodies(target, []);
    }
  }

  /**
   * How many members a new message is pushed to at once. Each node sends an
   * item `limit` times in all, whenever it sends them; spending all but two at
   * first receipt (the rest go in later rounds) makes the latency hops x link
   * delay for nearly every member at no extra cost, and IHAVE/IWANT repair
   * catches the few that no copy reached.
   */
  #eagerFanout(): number {
    return Math.max(this.config.fanout, this.#limit() - 2);
  }

  #gossipRound(): void {
    if (this.config.mode !== "mesh" && this.config.repairWindow > 0) this.#offer();
    if (this.queue.size === 0) return;
    if (this.config.mode === "mesh") {
      const bodies = this.queue.take(
        this.config.maxDatagramSize - BATCH_HEADER,
        ENTRY_OVERHEAD,
        255,
        this.#limit(),
      );
      if (bodies.length === 0) return;
      for (const address of this.membership.live()) this.#sendBodies(address, bodies, false);
    } else {
      this.#spread(undefined);
    }
  }

  #pushPullInterval(): number {
    const n = this.membership.liveCount + 1;
    const scale = n <= 32 ? 1 : Math.ceil(Math.log2(n) - Math.log2(32)) + 1;
    return this.config.pushPullInterval * scale;
  }

  #pushPull(): void {
    if (this.#state !== "running") return;
    const [peer] = this.membership.randomLive(this.#env.random, 1);
    if (peer) this.#sendSync(peer, false);
    // Reconnect: also try one member we believe dead, so healed partitions merge again.
    const dead: string[] = [];
    for (const m of this.membership.all()) if (m.state === "dead") dead.push(m.address);
    if (dead.length > 0) {
      this.#sendSync(dead[Math.floor(this.#env.random.next() * dead.length)], false);
    }
  }

  #sendSync(to: string, reply: boolean): void {
    const records = [this.#selfRecord(), ...[...this.membership.all()].map(toRecord)];
    for (const part of this.#split(records, 2)) {
      this.#sendBodies(to, [encodeBody({ type: "sync", reply, members: part })], false);
    }
  }

  #onSync(from: string, reply: boolean, members: MemberRecord[]): void {
    if (this.#state !== "running") return;
    if (!reply && !this.membership.get(from)) {
      // Answering strangers would let a forged source make us send our whole
      // table anywhere: a stranger that names itself gets the cookie PING
      // (#admit) and, once in, a SYNC request of ours (the exchange it asked for).
      const own = members.find((r) => r.address === from);
      if (own && this.#allow(from, "sync")) this.#admit(from, own.incarnation, "sync");
      return this.#drop("unknown-sender", from, "sync from a stranger");
    }
    if (!reply && members[0]?.address === from && !this.#allow(from, "sync")) return;
    for (const r of members) this.#merge(r, from, true);
    // Answer once per exchange, not once per datagram (a table of k datagrams
    // would cost k² back): the first datagram starts with the sender's own record.
    if (!reply && members[0]?.address === from) this.#sendSync(from, true);
  }

  // --- sending --------------------------------------------------------------

  /** Splits records into parts whose frames fit one datagram (`fixed` = bytes before the records). */
  #split(records: MemberRecord[], fixed: number): MemberRecord[][] {
    const budget = this.config.maxDatagramSize - HEADER_SIZE - 1 - fixed - 2;
    const parts: MemberRecord[][] = [];
    let part: MemberRecord[] = [];
    let used = 0;
    for (const r of records) {
      const cost = RECORD_OVERHEAD + utf8Length(r.address);
      if (used + cost > budget && part.length > 0) {
        parts.push(part);
        part = [];
        used = 0;
      }
      part.push(r);
      used += cost;
    }
    if (part.length > 0 || parts.length === 0) parts.push(part);
    return parts;
  }

  /** Sends `bodies` to `to`, filling the datagram with queued updates when `piggyback`. */
  #sendBodies(to: string, bodies: Uint8Array[], piggyback = true): void {
    if (this.#state === "stopped") return;
    let all = bodies;
    // Piggyback only to live members: a reply to a stranger stays the size it is.
    const member = piggyback && this.queue.size > 0 ? this.membership.get(to) : undefined;
    if (member && isLive(member.state)) {
      let used = BATCH_HEADER;
      for (const b of bodies) used += b.length + ENTRY_OVERHEAD;
      const extra = this.queue.take(
        this.config.maxDatagramSize - used,
        ENTRY_OVERHEAD,
        255 - bodies.length,
        this.#limit(),
      );
      if (extra.length > 0) all = bodies.concat(extra);
    }
    if (all.length === 0) return;
    const data = pack(all, this.#writer);
    this.#metrics.packetsSent++;
    this.#metrics.bytesSent += data.length;
    this.#env.send(to, data);
  }

  // --- timers ---------------------------------------------------------------

  #now(): number {
    return this.#env.clock.now();
  }

  #after(ms: number, fn: () => void): () => void {
    return this.#timers.after(ms, () => {
      if (this.#state !== "stopped") fn();
    });
  }

  #every(interval: () => number, fn: () => void): void {
    this.#timers.every(interval, () => {
      if (this.#state !== "stopped") fn();
    });
  }
}

function toRecord(m: Member): MemberRecord {
  return { address: m.address, state: m.state as MemberState, incarnation: m.incarnation };
}
