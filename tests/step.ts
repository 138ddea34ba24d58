/**
 * Drives a protocol engine step by step, as foca's AccumulatingRuntime does:
 * the engine's environment records every datagram it sends, every timer it
 * schedules and every event it emits, and the test decides what arrives and
 * which timer fires when. No network and no clock of its own: time moves
 * only when a timer is fired or `advance` is called.
 */

import type { Engine, EngineEnv, Random, Timer } from "../src/engine.ts";
import type { GossipNodeEventMap } from "../src/events.ts";
import { seededRandom } from "../src/testing/random.ts";
import { decode, encode } from "../src/wire/codec.ts";
import type { Message, SingleMessage } from "../src/wire/message.ts";
import { profile, type ProtocolConfig } from "../src/core/config.ts";
import { Protocol } from "../src/core/protocol.ts";
import type { CoreTimer } from "../src/core/timers.ts";

/** One emitted event, with its type. */
export type Emitted = {
  [K in keyof GossipNodeEventMap]: { type: K } & GossipNodeEventMap[K];
}[keyof GossipNodeEventMap];

/** A datagram the engine sent. */
export interface Sent {
  to: string;
  data: Uint8Array;
  at: number;
}

/** A pending timer, and when it is due. */
export interface Pending<T extends Timer = Timer> {
  timer: T;
  at: number;
}

/** Shared time for several engines stepped together. */
export interface StepTime {
  now: number;
}

/** The environment of one engine under test; see the module documentation. */
export class Step<E extends Engine = Engine, T extends Timer = Timer> implements EngineEnv<T> {
  readonly self: string;
  readonly random: Random;
  readonly engine: E;
  readonly time: StepTime;
  /** Datagrams sent and not yet taken by {@link Step.take} or {@link deliver}. */
  outbox: Sent[] = [];
  /** Every event emitted, in order. */
  readonly events: Emitted[] = [];
  #timers: Pending<T>[] = [];
  #cookie = 0x1000;

  constructor(
    self: string,
    make: (env: EngineEnv<T>) => E,
    options: { seed?: number; time?: StepTime } = {},
  ) {
    this.self = self;
    this.random = seededRandom(options.seed ?? 1);
    this.time = options.time ?? { now: 0 };
    this.engine = make(this);
  }

  // --- EngineEnv -------------------------------------------------------------

  now(): number {
    return this.time.now;
  }

  unpredictable(): number {
    return this.#cookie++;
  }

  send(to: string, data: Uint8Array): void {
    this.outbox.push({ to, data: data.slice(), at: this.time.now });
  }

  schedule(timer: T, delay: number): void {
    this.#timers.push({ timer, at: this.time.now + Math.max(0, delay) });
  }

  emit<K extends keyof GossipNodeEventMap>(type: K, detail: GossipNodeEventMap[K]): void {
    this.events.push({ type, ...detail } as Emitted);
  }

  // --- driving ---------------------------------------------------------------

  /** Pending timers (optionally of one name), earliest first. */
  pending(name?: string): Pending<T>[] {
    return this.#timers
      .filter((p) => name === undefined || p.timer.name === name)
      .sort((a, b) => a.at - b.at);
  }

  /**
   * Fires the earliest pending timer named `name` (and matching `where`),
   * moving time to it if it is later; throws when there is none.
   */
  fire(name: string, where: (timer: T) => boolean = () => true): T {
    const next = this.pending(name).find((p) => where(p.timer));
    if (!next) throw new Error(`no pending ${name} timer`);
    this.#timers.splice(this.#timers.indexOf(next), 1);
    if (next.at > this.time.now) this.time.now = next.at;
    this.engine.fire(next.timer);
    return next.timer;
  }

  /** Fires every timer due within `ms` from now, in time order, then sets the time. */
  advance(ms: number): void {
    const until = this.time.now + ms;
    for (;;) {
      const next = this.pending()[0];
      if (!next || next.at > until) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      if (next.at > this.time.now) this.time.now = next.at;
      this.engine.fire(next.timer);
    }
    this.time.now = until;
  }

  /** Hands `message` to the engine as a datagram from `from`. */
  receive(from: string, message: Message): void {
    this.engine.receive(from, encode(message));
  }

  /** Takes the datagrams sent so far (optionally only those to `to`), decoded. */
  take(to?: string): { to: string; messages: SingleMessage[] }[] {
    const taken = this.outbox.filter((s) => to === undefined || s.to === to);
    this.outbox = this.outbox.filter((s) => !taken.includes(s));
    return taken.map((s) => ({ to: s.to, messages: messagesOf(s.data) }));
  }

  /** Events of one type, in order. */
  eventsOf<K extends Emitted["type"]>(type: K): Extract<Emitted, { type: K }>[] {
    return this.events.filter((e): e is Extract<Emitted, { type: K }> => e.type === type);
  }
}

/** The messages in one native datagram. */
export function messagesOf(data: Uint8Array): SingleMessage[] {
  const m = decode(data);
  return m.type === "batch" ? m.messages : [m];
}

/**
 * Delivers what `from` sent to `to` (all of it, or what `keep` accepts),
 * removing it from `from`'s outbox; returns how many datagrams arrived.
 */
export function deliver(
  from: Step,
  to: Step,
  keep: (messages: SingleMessage[]) => boolean = () => true,
): number {
  const mine = from.outbox.filter((s) => s.to === to.self);
  from.outbox = from.outbox.filter((s) => s.to !== to.self);
  let n = 0;
  for (const s of mine) {
    if (!keep(messagesOf(s.data))) continue;
    to.engine.receive(from.self, s.data);
    n++;
  }
  return n;
}

/** A native engine (LAN profile unless overridden) under step control. */
export function protocolStep(
  self: string,
  config: Partial<ProtocolConfig> = {},
  options: { seeds?: string[]; seed?: number; time?: StepTime } = {},
): Step<Protocol, CoreTimer> {
  return new Step<Protocol, CoreTimer>(
    self,
    (env) => new Protocol(env, { ...profile("lan"), ...config }, options.seeds ?? []),
    options,
  );
}

/**
 * Starts the engine and teaches it `addresses` as alive members, the way a
 * stranger gets in and shares its table: the first address introduces itself
 * (CONN) and answers the cookie PING (unless it is a member already), then,
 * as a member, asks for a table exchange with every member in its SYNC. Then forgets what that made the
 * engine send and emit.
 */
export function startKnowing(
  step: Step<Protocol, CoreTimer>,
  addresses: string[],
  incarnation = 0,
): void {
  step.engine.start();
  const [first] = addresses;
  if (!step.engine.members().some((m) => m.address === first)) {
    step.receive(first, { type: "conn", incarnation });
    const cookie = step.take(first).flatMap((d) => d.messages).find((m) => m.type === "ping");
    if (cookie?.type !== "ping") throw new Error("startKnowing: no cookie PING");
    step.receive(first, { type: "ack", seq: cookie.seq });
  }
  const members = addresses.map((address) => ({ address, state: "alive" as const, incarnation }));
  step.receive(first, { type: "sync", reply: false, members });
  step.outbox = [];
  step.events.length = 0;
}
