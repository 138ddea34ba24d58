/**
 * SWIM failure detection with Lifeguard's local health: each probe period one
 * member is pinged (round-robin over a shuffled list, so every member is
 * probed within two passes); with no ack by the probe timeout, `k` others are
 * asked to ping it (PING-REQ) and answer with an ACK or a NACK; with still no
 * ack by the end of the period, the member is suspected.
 *
 * @module
 */

import type { Random } from "../engine.ts";
import { randomInt, shuffle } from "./_random.ts";
import type { Awareness } from "./awareness.ts";
import { encodeBody } from "../wire/codec.ts";
import type { ProtocolConfig } from "./config.ts";
import type { AckMessage, NackMessage, PingMessage, PingReqMessage } from "../wire/message.ts";
import type { Membership } from "./membership.ts";

/** What the failure detector needs from the node that hosts it. */
export interface ProbeHost {
  /** The local address. */
  readonly self: string;
  /** Random source. */
  readonly random: Random;
  /** Protocol settings. */
  readonly config: ProtocolConfig;
  /** The member table. */
  readonly membership: Membership;
  /** Local health. */
  readonly awareness: Awareness;
  /** Sends `bodies` to `to`, filling the rest of the datagram with queued updates. */
  send(to: string, bodies: Uint8Array[]): void;
  /** Runs `fn` after `ms` milliseconds; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
  /** A probe of `address` at `incarnation` failed: suspect it. */
  probeFailed(address: string, incarnation: number): void;
  /** Extra bodies to put on a ping to `target` (the buddy system: tell a suspect it is suspected). */
  pingExtras(target: string): Uint8Array[];
}

interface Probe {
  seq: number;
  target: string;
  incarnation: number;
  acked: boolean;
  expectedNacks: number;
  nacks: number;
  cancel: (() => void)[];
}

interface Relay {
  requester: string;
  seq: number;
  cancel: () => void;
}

/**
 * The SWIM probe loop and its ping, ack, ping-req and nack handlers.
 *
 * @example
 * ```ts ignore
 * const detector = new FailureDetector(host);
 * detector.start();
 * ```
 */
export class FailureDetector {
  #host: ProbeHost;
  #seq: number;
  #order: string[] = [];
  #next = 0;
  #probe: Probe | undefined;
  #relays = new Map<number, Relay>();
  #stopTick: (() => void) | undefined;

  /** Creates a detector for `host`; nothing happens until {@link start}. */
  constructor(host: ProbeHost) {
    this.#host = host;
    this.#seq = randomInt(host.random, 0x7fffffff);
  }

  /** Starts the probe loop. */
  start(): void {
    this.#schedule();
  }

  /** Stops the loop and forgets outstanding probes. */
  stop(): void {
    this.#stopTick?.();
    this.#stopTick = undefined;
    if (this.#probe) { for (const c of this.#probe.cancel) c(); }
    this.#probe = undefined;
    for (const r of this.#relays.values()) r.cancel();
    this.#relays.clear();
  }

  /** The member currently being probed, if any. */
  get probing(): string | undefined {
    return this.#probe?.target;
  }

  #schedule(): void {
    const h = this.#host;
    this.#stopTick = h.after(h.awareness.scale(h.config.probeInterval), () => {
      this.#schedule();
      this.tick();
    });
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0;
    return this.#seq;
  }

  #pickTarget(): string | undefined {
    const m = this.#host.membership;
    for (let attempts = 0; attempts < 2; attempts++) {
      while (this.#next < this.#order.length) {
        const address = this.#order[this.#next++];
        const member = m.get(address);
        if (member && (member.state === "alive" || member.state === "suspect")) return address;
      }
      // A pass is over: start another over a fresh shuffle of the live members.
      this.#order = shuffle(this.#host.random, [...m.live()]);
      this.#next = 0;
    }
    return undefined;
  }

  /** Runs one probe period now (the loop calls this; tests may too). */
  tick(): void {
    if (this.#probe) this.#finish(this.#probe);
    const h = this.#host;
    const target = this.#pickTarget();
    if (target === undefined) return;
    const member = h.membership.get(target)!;
    const seq = this.#nextSeq();
    const probe: Probe = {
      seq,
      target,
      incarnation: member.incarnation,
      acked: false,
      expectedNacks: 0,
      nacks: 0,
      cancel: [],
    };
    this.#probe = probe;
    const ping: PingMessage = { type: "ping", seq, target };
    h.send(target, [encodeBody(ping), ...h.pingExtras(target)]);
    probe.cancel.push(
      h.after(h.awareness.scale(h.config.probeTimeout), () => this.#indirect(probe)),
    );
    probe.cancel.push(
      h.after(h.awareness.scale(h.config.probeInterval) - 1, () => this.#finish(probe)),
    );
  }

  #indirect(probe: Probe): void {
    if (probe.acked || this.#probe !== probe) return;
    const h = this.#host;
    const helpers = h.membership.randomLive(h.random, h.config.indirectChecks, probe.target);
    probe.expectedNacks = helpers.length;
    const req: PingReqMessage = { type: "ping-req", seq: probe.seq, target: probe.target };
    const body = encodeBody(req);
    for (const helper of helpers) h.send(helper, [body]);
  }

  #finish(probe: Probe): void {
    if (this.#probe !== probe) return;
    this.#probe = undefined;
    for (const c of probe.cancel) c();
    const h = this.#host;
    if (probe.acked) {
      h.awareness.apply(-1);
      return;
    }
    // Lifeguard: missing nacks mean our own links or CPU may be the problem.
    h.awareness.apply(probe.expectedNacks > 0 ? probe.expectedNacks - probe.nacks : 1);
    h.probeFailed(probe.target, probe.incarnation);
  }

  /** Answers a ping addressed to this node. */
  onPing(from: string, m: PingMessage): void {
    if (m.target !== this.#host.self) return;
    const ack: AckMessage = { type: "ack", seq: m.seq };
    this.#host.send(from, [encodeBody(ack)]);
  }

  /** Pings `target` for `from` and relays the outcome. */
  onPingReq(from: string, m: PingReqMessage): void {
    const h = this.#host;
    if (m.target === h.self) {
      // Asked to probe ourselves: answer directly.
      h.send(from, [encodeBody({ type: "ack", seq: m.seq })]);
      return;
    }
    const seq = this.#nextSeq();
    const cancel = h.after(Math.floor(h.config.probeTimeout * 0.8), () => {
      if (!this.#relays.delete(seq)) return;
      const nack: NackMessage = { type: "nack", seq: m.seq };
      h.send(from, [encodeBody(nack)]);
    });
    this.#relays.set(seq, { requester: from, seq: m.seq, cancel });
    h.send(m.target, [encodeBody({ type: "ping", seq, target: m.target })]);
  }

  /** Records an ack for our probe, or forwards one for a relayed probe. */
  onAck(_from: string, m: AckMessage): void {
    const probe = this.#probe;
    if (probe && probe.seq === m.seq) {
      probe.acked = true;
      this.#finish(probe);
      return;
    }
    const relay = this.#relays.get(m.seq);
    if (relay) {
      this.#relays.delete(m.seq);
      relay.cancel();
      this.#host.send(relay.requester, [encodeBody({ type: "ack", seq: relay.seq })]);
    }
  }

  /** Counts a nack for our probe. */
  onNack(_from: string, m: NackMessage): void {
    const probe = this.#probe;
    if (probe && probe.seq === m.seq) probe.nacks++;
  }
}
