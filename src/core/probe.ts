/**
 * SWIM failure detection with Lifeguard's local health. Each probe period one
 * member is pinged (round-robin over a shuffled list, so every member is
 * probed within two passes); with no ack by the probe timeout, `k` others are
 * asked to ping it (PING-REQ) and answer with an ACK or a NACK; with still no
 * ack by the end of the period, the member is suspected. Missing acks and
 * nacks raise this node's own health score, which stretches its timeouts.
 *
 * @module
 */

import type { AckMessage, NackMessage, PingMessage, PingReqMessage } from "../wire/message.ts";
import { encodeBody } from "../wire/codec.ts";
import { randomInt, shuffle } from "./_random.ts";
import type { Awareness } from "./awareness.ts";
import type { Context } from "./context.ts";
import type { LinkDelay } from "./link_delay.ts";
import type { Outbox } from "./outbox.ts";
import type { MemberState } from "./state.ts";

interface Probe {
  seq: number;
  target: string;
  /** When the ping went out. */
  sentAt: number;
  incarnation: number;
  acked: boolean;
  /** Whether the indirect round ran (others asked, if there were any). */
  indirect: boolean;
  expectedNacks: number;
  nacks: number;
}

/** The probe loop and the ping, ack, ping-req and nack handlers. */
export class Prober {
  #ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics">;
  #outbox: Outbox;
  #awareness: Awareness;
  #state: MemberState;
  #delay: LinkDelay;
  #seq: number;
  #order: string[] = [];
  #next = 0;
  #probe: Probe | undefined;
  /** Consecutive failed probes of one member, towards its probation (flap damping). */
  #strikes: { target: string; count: number } | undefined;
  /** Pings sent for others' PING-REQs, by our seq: who asked, and their seq. */
  #relays = new Map<number, { requester: string; seq: number }>();

  /** Creates a prober; nothing happens until {@link Prober.start}. */
  constructor(
    ctx: Pick<Context, "self" | "env" | "config" | "members" | "metrics">,
    outbox: Outbox,
    awareness: Awareness,
    state: MemberState,
    delay: LinkDelay,
  ) {
    this.#ctx = ctx;
    this.#outbox = outbox;
    this.#awareness = awareness;
    this.#state = state;
    this.#delay = delay;
    this.#seq = randomInt(ctx.env.random, 0x7fffffff);
  }

  /** The member currently being probed, if any. */
  get probing(): string | undefined {
    return this.#probe?.target;
  }

  /** Schedules the first probe period. */
  start(): void {
    this.#schedulePeriod();
  }

  /** Forgets the probe and relays in progress. */
  stop(): void {
    this.#probe = undefined;
    this.#relays.clear();
  }

  /** The `probe` timer: the next period starts. */
  period(): void {
    // The last probe first: its outcome changes the health score, which sets
    // how long the period now starting lasts, as it sets its probe's timeouts.
    if (this.#probe) this.#finish(this.#probe);
    this.#schedulePeriod();
    this.tick();
  }

  /** Runs one probe period now: finishes the last probe and pings the next member. */
  tick(): void {
    if (this.#probe) this.#finish(this.#probe);
    const { env, config, members, metrics } = this.#ctx;
    const target = this.#pickTarget();
    if (target === undefined) return;
    const member = members.get(target)!;
    const seq = this.#nextSeq();
    this.#probe = {
      seq,
      target,
      sentAt: env.now(),
      incarnation: member.incarnation,
      acked: false,
      indirect: false,
      expectedNacks: 0,
      nacks: 0,
    };
    metrics.probes++;
    const ping: PingMessage = { type: "ping", seq, target };
    const bodies = [encodeBody(ping)];
    if (member.state === "suspect") {
      // Buddy system: tell the suspect directly, so it can refute at once.
      bodies.push(encodeBody({
        type: "suspect",
        address: target,
        incarnation: member.incarnation,
        from: this.#ctx.self,
      }));
    }
    this.#outbox.send(target, bodies);
    const scale = (ms: number) => this.#awareness.scale(ms);
    env.schedule({ name: "probe-indirect", seq }, scale(config.probeTimeout));
    env.schedule({ name: "probe-end", seq }, scale(config.probeInterval) - 1);
  }

  /** The `probe-indirect` timer: no direct ack yet, so ask `indirectChecks` others. */
  indirect(seq: number): void {
    const probe = this.#probe;
    if (!probe || probe.seq !== seq || probe.acked) return;
    const { env, config, members } = this.#ctx;
    const helpers = members.randomLive(env.random, config.indirectChecks, probe.target);
    probe.indirect = true;
    probe.expectedNacks = helpers.length;
    const req: PingReqMessage = { type: "ping-req", seq: probe.seq, target: probe.target };
    const body = encodeBody(req);
    for (const helper of helpers) this.#outbox.send(helper, [body]);
  }

  /** The `probe-end` timer: the period of probe `seq` is over. */
  end(seq: number): void {
    if (this.#probe?.seq === seq) this.#finish(this.#probe);
  }

  /** The `relay` timer: a ping relayed for a PING-REQ got no ack in time, so NACK. */
  relayExpired(seq: number): void {
    const relay = this.#relays.get(seq);
    if (!relay) return;
    this.#relays.delete(seq);
    const nack: NackMessage = { type: "nack", seq: relay.seq };
    this.#outbox.send(relay.requester, [encodeBody(nack)]);
  }

  /** Answers a ping addressed to this node. */
  onPing(from: string, m: PingMessage): void {
    const ack: AckMessage = { type: "ack", seq: m.seq };
    this.#outbox.send(from, [encodeBody(ack)]);
  }

  /** Pings `target` for `from` and relays the outcome (ACK, or NACK on time out). */
  onPingReq(from: string, m: PingReqMessage): void {
    const { self, env, config } = this.#ctx;
    if (m.target === self) {
      // Asked to probe ourselves: answer directly.
      this.#outbox.send(from, [encodeBody({ type: "ack", seq: m.seq })]);
      return;
    }
    const seq = this.#nextSeq();
    this.#relays.set(seq, { requester: from, seq: m.seq });
    // The NACK must reach the requester before its probe period ends
    // (probeInterval - probeTimeout after its PING-REQ), or it is no evidence.
    const wait = Math.min(config.probeTimeout, config.probeInterval - config.probeTimeout);
    env.schedule({ name: "relay", seq }, Math.floor(wait * 0.8));
    this.#outbox.send(m.target, [encodeBody({ type: "ping", seq, target: m.target })]);
  }

  /** Records an ack for our probe (timing it, if direct), or forwards one for a relayed probe. */
  onAck(from: string, m: AckMessage): void {
    const probe = this.#probe;
    if (probe && probe.seq === m.seq) {
      if (from === probe.target) this.#delay.observe(this.#ctx.env.now() - probe.sentAt);
      probe.acked = true;
      this.#finish(probe);
      return;
    }
    const relay = this.#relays.get(m.seq);
    if (relay) {
      this.#relays.delete(m.seq);
      this.#outbox.send(relay.requester, [encodeBody({ type: "ack", seq: relay.seq })]);
    }
  }

  /** Counts a nack for our probe. */
  onNack(_from: string, m: NackMessage): void {
    const probe = this.#probe;
    if (probe && probe.seq === m.seq) probe.nacks++;
  }

  #schedulePeriod(): void {
    const { env, config } = this.#ctx;
    env.schedule({ name: "probe" }, this.#awareness.scale(config.probeInterval));
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0;
    return this.#seq;
  }

  #pickTarget(): string | undefined {
    const { env, members } = this.#ctx;
    // A member on probation that failed its last probe is probed again at once.
    const again = this.#strikes?.target;
    if (again !== undefined && members.get(again)?.state === "alive") return again;
    this.#strikes = undefined;
    for (let attempts = 0; attempts < 2; attempts++) {
      while (this.#next < this.#order.length) {
        const address = this.#order[this.#next++];
        const member = members.get(address);
        if (member && (member.state === "alive" || member.state === "suspect")) return address;
      }
      // A pass is over: start another over a fresh shuffle of the live members.
      this.#order = shuffle(env.random, [...members.live()]);
      this.#next = 0;
    }
    return undefined;
  }

  #finish(probe: Probe): void {
    if (this.#probe !== probe) return;
    this.#probe = undefined;
    const strikes = this.#strikes?.target === probe.target ? this.#strikes.count : 0;
    this.#strikes = undefined;
    if (probe.acked) {
      this.#awareness.apply(-1);
      return;
    }
    // Lifeguard: missing nacks mean our own links or CPU may be the problem.
    this.#awareness.apply(probe.expectedNacks > 0 ? probe.expectedNacks - probe.nacks : 1);
    this.#ctx.metrics.probesFailed++;
    // Others were asked and not one NACK came back: this node hears nobody,
    // so the target's silence says nothing about the target. A node that
    // cannot hear accuses no one (Lifeguard: a node in poor health must not
    // spread suspicion that others act on). Nor does a probe cut short before
    // its indirect round (the next period came first): no one else was asked.
    if (!probe.indirect || (probe.expectedNacks > 0 && probe.nacks === 0)) return;
    const member = this.#ctx.members.get(probe.target);
    if (member?.state !== "alive" && member?.state !== "suspect") return;
    if (member.incarnation !== probe.incarnation) return;
    if (member.state === "alive" && strikes + 1 < this.#state.failuresNeeded(probe.target)) {
      // On probation (it refuted lately): probe it again next period before suspecting it.
      this.#strikes = { target: probe.target, count: strikes + 1 };
      return;
    }
    // Already suspect (someone else accused it first): our own failed probe is an
    // independent confirmation that shortens the suspicion (as memberlist does).
    this.#state.merge(
      { address: probe.target, state: "suspect", incarnation: probe.incarnation },
      this.#ctx.self,
      true,
    );
  }
}
