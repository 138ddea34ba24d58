/**
 * Message sets for the codec benchmark, mirroring the gossipsub harness's
 * `codec_baseline.mjs` (../shared/peers/gossipsub): same generator
 * (mulberry32, seed 7), same sizes. Our messages carry what our wire format
 * carries, so the shapes differ slightly from the baseline's (see RESULTS.md):
 * - `data`: 1000 GOSP messages: origin `127.0.0.1:port`, a 32-bit id (the
 *   baseline has a 16-byte id and an incarnation), hops 0-8, 100-byte payload;
 * - `probes`: 1000 messages, alternately PING (seq, target) and ACK (seq);
 * - `membership`: 100 SYNC messages of 50 members each (address, state,
 *   incarnation), like the baseline's 50 x {addr, port, incarnation, state};
 * - `mix`: all of the above together.
 */

import type { MemberState, Message } from "../src/wire/message.ts";

function mulberry32(a: number): () => number {
  return function () {
    a |= 0;
    a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The four message sets, generated deterministically from `seed`. */
export function makeSets(seed = 7): Record<"data" | "probes" | "membership" | "mix", Message[]> {
  const rand = mulberry32(seed);
  const randInt = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const randBytes = (n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = randInt(0, 255);
    return b;
  };
  const sender = () => `127.0.0.1:${randInt(1024, 65535)}`;
  const STATES: MemberState[] = ["alive", "suspect", "dead"];
  const data: Message[] = Array.from({ length: 1000 }, () => ({
    type: "gosp" as const,
    origin: sender(),
    id: randInt(0, 0xffffffff),
    hops: randInt(0, 8),
    payload: randBytes(100),
  }));
  const probes: Message[] = Array.from(
    { length: 1000 },
    (_, i) =>
      i % 2 === 0
        ? { type: "ping" as const, seq: randInt(0, 0xffffffff), target: sender() }
        : { type: "ack" as const, seq: randInt(0, 0xffffffff) },
  );
  const membership: Message[] = Array.from({ length: 100 }, () => ({
    type: "sync" as const,
    reply: rand() < 0.5,
    members: Array.from({ length: 50 }, () => {
      const k = randInt(1, 65000);
      return {
        address: `127.0.${k >> 8}.${k & 255}:${randInt(1024, 65535)}`,
        state: STATES[randInt(0, 2)],
        incarnation: randInt(0, 1_000_000),
      };
    }),
  }));
  return { data, probes, membership, mix: [...data, ...probes, ...membership] };
}
