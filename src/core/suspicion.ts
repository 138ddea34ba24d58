/**
 * Lifeguard's suspicion: a suspected member is declared dead when its
 * timeout runs out, unless it refutes first. The timeout starts at a maximum
 * and shrinks towards a minimum as independent members confirm the
 * suspicion. Before declaring death the node makes a last call (it repeats
 * the accusation to the suspect and a few members, so a refutation it missed
 * reaches it), and a suspect that talks to us is told it is suspected (a
 * nudge).
 *
 * @module
 */

import { encodeBody } from "../wire/codec.ts";
import type { Context } from "./context.ts";
import type { Outbox } from "./outbox.ts";

/**
 * The suspicion timeout after `confirmations` of the `k` expected:
 * `max - (max - min) * log(c + 1) / log(k + 1)`, never below `min`.
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

/** One member's suspicion: when it started, who confirmed it, and when it expires. */
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

/** Refutations counted towards a member's probation, at most. */
export const PROBATION_CAP = 3;

/**
 * Flap damping. A member that refutes a suspicion (or comes back from the
 * dead) was reachable after all, or is flapping: each time this node sees
 * that, the member must fail `probation` more probes in a row from this node
 * before this node suspects it again. The count of refutations halves every
 * `probationHalfLife` ms, so a member that settles is soon probed as any
 * other. A member that really crashed is still suspected, only a few probe
 * periods later.
 */
export class Probation {
  #ctx: Pick<Context, "env" | "config">;
  /** Refutations seen per member (decayed to `at`). */
  #seen = new Map<string, { count: number; at: number }>();

  /** Creates an empty record. */
  constructor(ctx: Pick<Context, "env" | "config">) {
    this.#ctx = ctx;
  }

  /** Members with refutations on record. */
  get size(): number {
    return this.#seen.size;
  }

  /** `address` refuted a suspicion or came back from the dead. */
  refuted(address: string): void {
    const now = this.#ctx.env.now();
    this.#seen.set(address, { count: this.#count(address, now) + 1, at: now });
  }

  /** Failed probes in a row it takes before this node suspects `address`. */
  failuresNeeded(address: string): number {
    const refutations = Math.round(this.#count(address, this.#ctx.env.now()));
    return 1 + this.#ctx.config.probation * Math.min(PROBATION_CAP, refutations);
  }

  /** Forgets `address` (it was reaped). */
  forget(address: string): void {
    this.#seen.delete(address);
  }

  /** Forgets members whose record has decayed below half a refutation. */
  prune(): void {
    const now = this.#ctx.env.now();
    for (const address of [...this.#seen.keys()]) {
      if (this.#count(address, now) < 0.5) this.#seen.delete(address);
    }
  }

  #count(address: string, now: number): number {
    const seen = this.#seen.get(address);
    if (!seen) return 0;
    return seen.count * 2 ** (-(now - seen.at) / this.#ctx.config.probationHalfLife);
  }
}

interface Active {
  suspicion: Suspicion;
  /** Matches the `token` of the one timer that may act on this suspicion. */
  token: number;
  /** Whether the last call went out. */
  lastCall: boolean;
  /** When the suspect was last nudged. */
  nudged: number;
}

/** A member to declare dead: its suspicion ran out after the last call. */
export interface Expired {
  /** The member. */
  address: string;
  /** The incarnation it was suspected at. */
  incarnation: number;
}

/** The suspicions this node holds, and their timers. */
export class Suspicions {
  #ctx: Pick<Context, "self" | "env" | "config" | "members" | "phase">;
  #outbox: Outbox;
  #active = new Map<string, Active>();
  #token = 0;
  /** How many failed probes it takes to suspect each member (flap damping). */
  readonly probation: Probation;
  /** Members held dead, and when each was last told so (see {@link Suspicions.nudge}). */
  #dead = new Map<string, number>();

  /** Creates an empty set of suspicions. */
  constructor(
    ctx: Pick<Context, "self" | "env" | "config" | "members" | "phase">,
    outbox: Outbox,
  ) {
    this.#ctx = ctx;
    this.#outbox = outbox;
    this.probation = new Probation(ctx);
  }

  /** How many members are suspected. */
  get size(): number {
    return this.#active.size;
  }

  /** The suspicion of `address`, if any. */
  get(address: string): Suspicion | undefined {
    return this.#active.get(address)?.suspicion;
  }

  /** Starts suspecting `address` at `incarnation`, accused by `from`. */
  start(address: string, incarnation: number, from: string): void {
    const { config, members, env } = this.#ctx;
    const n = members.liveCount + 1;
    const { min, max } = suspicionBounds(
      config.suspicionMult,
      config.suspicionMaxTimeoutMult,
      n,
      config.probeInterval,
    );
    // Lifeguard: expect suspicionMult - 2 independent confirmations, if there are enough members.
    let k = config.suspicionMult - 2;
    if (n - 2 < k) k = 0;
    const suspicion = new Suspicion(address, incarnation, env.now(), k, min, max, from);
    const active: Active = { suspicion, token: 0, lastCall: false, nudged: -Infinity };
    this.#active.set(address, active);
    this.#arm(active);
  }

  /**
   * Counts `from`'s accusation as an independent confirmation, which brings
   * the deadline closer; false when it is not one (no suspicion, or `from`
   * accused already, or enough have confirmed).
   */
  confirm(address: string, from: string): boolean {
    const active = this.#active.get(address);
    if (!active || !active.suspicion.confirm(from)) return false;
    this.#arm(active);
    return true;
  }

  /** Stops suspecting `address` (it refuted, or another state replaced the suspicion). */
  cancel(address: string): void {
    this.#active.delete(address);
  }

  /** Forgets every suspicion. */
  clear(): void {
    this.#active.clear();
  }

  /**
   * A suspicion timer is due. The first time, the accusation is repeated to
   * the suspect and a few members (the last call: anyone who knows better
   * answers at once) and the verdict waits one more probe interval; the
   * second time, the member is returned to be declared dead. Stale timers and
   * suspicions that no longer match the table return nothing.
   */
  fire(timer: { address: string; token: number }): Expired | undefined {
    const active = this.#active.get(timer.address);
    if (!active || active.token !== timer.token) return undefined;
    const { suspicion } = active;
    const member = this.#ctx.members.get(suspicion.address);
    if (member?.state !== "suspect" || member.incarnation !== suspicion.incarnation) {
      this.#active.delete(suspicion.address);
      return undefined;
    }
    if (!active.lastCall) {
      active.lastCall = true;
      const { config, members, env } = this.#ctx;
      const body = this.#accusation(suspicion);
      const asked = members.randomLive(
        env.random,
        Math.max(1, config.indirectChecks),
        suspicion.address,
      );
      for (const to of [suspicion.address, ...asked]) this.#outbox.send(to, [body], false);
      this.#arm(active);
      return undefined;
    }
    this.#active.delete(suspicion.address);
    return { address: suspicion.address, incarnation: suspicion.incarnation };
  }

  /** `address` is held dead now (true) or no longer (false): see {@link Suspicions.nudge}. */
  heldDead(address: string, dead: boolean): void {
    if (dead) this.#dead.set(address, -Infinity);
    else this.#dead.delete(address);
  }

  /**
   * A datagram from a member we suspect is evidence that it lives, though
   * only the member itself may refute. Tell it (at most once a probe
   * interval) what we suspect: it refutes, or, if it refuted already and we
   * missed it, sends us its newer record at once. The same for a member we
   * hold dead (as both sides of a healed partition do): it is told it is
   * dead, and refutes, instead of waiting for a push-pull to tell it.
   */
  nudge(from: string): void {
    const active = this.#active.get(from);
    const ctx = this.#ctx;
    if (ctx.phase !== "running") return;
    if (!active) return this.#nudgeDead(from);
    const now = ctx.env.now();
    if (now - active.nudged < ctx.config.probeInterval) return;
    active.nudged = now;
    if (ctx.members.get(from)?.state !== "suspect") return;
    this.#outbox.send(from, [this.#accusation(active.suspicion)], false);
  }

  #nudgeDead(from: string): void {
    const last = this.#dead.get(from);
    if (last === undefined) return;
    const { env, config, members, self } = this.#ctx;
    const now = env.now();
    if (now - last < config.probeInterval) return;
    const member = members.get(from);
    if (member?.state !== "dead") return void this.#dead.delete(from);
    this.#dead.set(from, now);
    const body = encodeBody({
      type: "dead",
      address: from,
      incarnation: member.incarnation,
      from: self,
    });
    this.#outbox.send(from, [body], false);
  }

  #accusation(s: Suspicion): Uint8Array {
    return encodeBody({
      type: "suspect",
      address: s.address,
      incarnation: s.incarnation,
      from: this.#ctx.self,
    });
  }

  /** Schedules the suspicion's next step; any earlier timer of it becomes stale. */
  #arm(active: Active): void {
    const { env, config } = this.#ctx;
    active.token = ++this.#token;
    const delay = active.lastCall ? config.probeInterval : active.suspicion.deadline() - env.now();
    env.schedule(
      { name: "suspicion", address: active.suspicion.address, token: active.token },
      delay,
    );
  }
}
