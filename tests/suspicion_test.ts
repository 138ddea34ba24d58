/**
 * Lifeguard's suspicion on the core, driven step by step: independent
 * confirmations bring the deadline closer, a last call comes before death,
 * a suspect that talks to us is nudged, and stale accusations are corrected
 * by whoever knows better.
 */

import assert from "node:assert/strict";
import type { SingleMessage } from "../src/wire/message.ts";
import { deliver, messagesOf, protocolStep, startKnowing } from "./step.ts";

const A = "10.0.0.1:1";
const B = "10.0.0.2:1";
const OTHERS = ["10.0.0.3:1", "10.0.0.4:1", "10.0.0.5:1", "10.0.0.6:1"];

/** Lifeguard's timeout after `c` of `k` confirmations (memberlist suspicion.go). */
function lifeguard(c: number, k: number, min: number, max: number): number {
  return Math.max(min, Math.floor(max - (max - min) * Math.log(c + 1) / Math.log(k + 1)));
}

/** Whether `messages` repeat the accusation of `address`. */
function accuses(messages: SingleMessage[], address: string): boolean {
  return messages.some((m) => m.type === "suspect" && m.address === address);
}

/**
 * A node that knows B and four others, hears B accused by the first of
 * `accusers` and confirmed by the rest; returns it and when the last call
 * went out (only suspicion timers are fired, so nothing else interferes).
 */
function suspectB(accusers: string[]) {
  const a = protocolStep(A);
  startKnowing(a, [B, ...OTHERS]);
  for (const from of accusers) {
    a.receive(from, { type: "suspect", address: B, incarnation: 0, from });
  }
  for (;;) {
    a.fire("suspicion");
    if (accuses(a.take(B).flatMap((d) => d.messages), B)) break;
  }
  return { a, lastCall: a.time.now };
}

Deno.test("suspicion: each independent confirmation brings the deadline closer, down to the minimum", () => {
  // Six members: min = 4 × log10(6)→1 × 1000 ms, max = 6 × min, k = suspicionMult − 2 = 2.
  const min = 4000, max = 24000, k = 2;
  const [c, d, e, f] = OTHERS;
  assert.equal(suspectB([c]).lastCall, lifeguard(0, k, min, max));
  assert.equal(suspectB([c, d]).lastCall, lifeguard(1, k, min, max));
  assert.equal(suspectB([c, d, e]).lastCall, lifeguard(2, k, min, max));
  assert.equal(lifeguard(2, k, min, max), min);
  // Past k confirmations nothing changes; an accuser repeating itself is no confirmation.
  assert.equal(suspectB([c, d, e, f]).lastCall, min);
  assert.equal(suspectB([c, c, c]).lastCall, max);
});

Deno.test("suspicion: a confirmation is passed on, so the others' timers shrink too", () => {
  const a = protocolStep(A);
  startKnowing(a, [B, ...OTHERS]);
  const [c, d] = OTHERS;
  a.receive(c, { type: "suspect", address: B, incarnation: 0, from: c });
  a.fire("gossip");
  a.take();
  a.receive(d, { type: "suspect", address: B, incarnation: 0, from: d });
  a.fire("gossip");
  const gossiped = a.take().flatMap((x) => x.messages);
  assert.ok(
    gossiped.some((m) => m.type === "suspect" && m.address === B && m.from === d),
    "D's confirmation is gossiped under D's name",
  );
});

Deno.test("suspicion: the last call goes to the suspect and a few members, then death one probe interval later", () => {
  const { a, lastCall } = suspectB([OTHERS[0]]);
  // The accusation went to B itself (it can refute) and to indirectChecks = 3 members.
  const asked = a.take().filter((d) => accuses(d.messages, B)).map((d) => d.to);
  assert.equal(asked.length, 3);
  assert.ok(asked.every((to) => OTHERS.includes(to)));
  assert.deepEqual(a.eventsOf("dead"), [], "not dead at the last call");
  a.fire("suspicion");
  assert.equal(a.time.now, lastCall + 1000);
  assert.deepEqual(a.eventsOf("dead"), [{ type: "dead", address: B, incarnation: 0, from: A }]);
  assert.equal(a.engine.members().find((m) => m.address === B)?.state, "dead");
  // Once dead, the suspicion is over: stale timers do nothing.
  for (const _ of a.pending("suspicion")) a.fire("suspicion");
  assert.equal(a.eventsOf("dead").length, 1);
});

Deno.test("suspicion: a refutation the accuser missed arrives at the last call, and the member lives", () => {
  // Three members besides B, so the last call (to indirectChecks = 3 of them) reaches C.
  const [c, d, e] = OTHERS;
  const a = protocolStep(A);
  startKnowing(a, [B, c, d, e]);
  a.receive(d, { type: "suspect", address: B, incarnation: 0, from: d });
  // C saw B refute (alive at incarnation 1); A did not.
  const cStep = protocolStep(c, {}, { time: a.time });
  startKnowing(cStep, [A, B, d, e]);
  cStep.receive(B, { type: "alive", address: B, incarnation: 1 });
  cStep.outbox = [];
  a.fire("suspicion"); // the last call
  assert.ok(a.outbox.some((x) => x.to === c && accuses(messagesOf(x.data), B)));
  assert.equal(deliver(a, cStep), 1);
  // C corrects A directly with what it knows, and A believes it.
  assert.deepEqual(cStep.outbox.flatMap((x) => messagesOf(x.data)), [
    { type: "alive", address: B, incarnation: 1 },
  ]);
  assert.equal(deliver(cStep, a), 1);
  assert.deepEqual(a.eventsOf("alive"), [{ type: "alive", address: B, incarnation: 1 }]);
  for (const _ of a.pending("suspicion")) a.fire("suspicion");
  assert.deepEqual(a.eventsOf("dead"), [], "no live member is declared dead");
});

Deno.test("suspicion: a suspect that talks to us is nudged, at most once a probe interval, until it refutes", () => {
  const a = protocolStep(A);
  startKnowing(a, [B, ...OTHERS]);
  a.receive(OTHERS[0], { type: "suspect", address: B, incarnation: 0, from: OTHERS[0] });
  a.outbox = [];
  // A nudge is a datagram of its own holding only the accusation (a reply to
  // B may also carry it, piggybacked with the queued gossip).
  const nudges = () =>
    a.take(B).filter((d) => d.messages.length === 1 && accuses(d.messages, B)).length;
  a.receive(B, { type: "ping", seq: 9, target: A });
  assert.equal(nudges(), 1, "told it is suspected");
  a.receive(B, { type: "ping", seq: 10, target: A });
  assert.equal(nudges(), 0, "not twice within a probe interval");
  a.time.now += 1000;
  a.receive(B, { type: "ack", seq: 77 });
  assert.equal(nudges(), 1, "again after a probe interval");
  // B refutes: no more nudges, and the suspicion's timers do nothing.
  a.receive(B, { type: "alive", address: B, incarnation: 1 });
  a.time.now += 1000;
  a.receive(B, { type: "ping", seq: 11, target: A });
  assert.equal(nudges(), 0);
  for (const _ of a.pending("suspicion")) a.fire("suspicion");
  assert.deepEqual(a.eventsOf("dead"), []);
});

Deno.test("stale accusations: whoever knows better tells the accuser directly", () => {
  const a = protocolStep(A);
  startKnowing(a, [B, ...OTHERS], 2); // B alive at incarnation 2
  const [c, d] = OTHERS;
  for (const type of ["suspect", "dead"] as const) {
    a.receive(c, { type, address: B, incarnation: 1, from: c });
    assert.deepEqual(
      a.take(c).flatMap((x) => x.messages),
      [{ type: "alive", address: B, incarnation: 2 }],
      `a stale ${type} is answered with the newer alive`,
    );
  }
  assert.equal(a.engine.members().find((m) => m.address === B)?.state, "alive");
  assert.deepEqual(a.eventsOf("suspect"), []);
  // About itself: A refutes once, then tells a late accuser what it missed.
  a.receive(c, { type: "suspect", address: A, incarnation: 0, from: c });
  assert.equal(a.engine.incarnation, 1);
  assert.ok(
    a.take(c).flatMap((x) => x.messages).some((m) =>
      m.type === "alive" && m.address === A && m.incarnation === 1
    ),
  );
  a.receive(d, { type: "suspect", address: A, incarnation: 0, from: d });
  assert.equal(a.engine.incarnation, 1, "no second refutation for the same accusation");
  assert.deepEqual(a.take(d).flatMap((x) => x.messages), [
    { type: "alive", address: A, incarnation: 1 },
  ]);
  assert.equal(a.engine.metrics().refutations, 1);
});
