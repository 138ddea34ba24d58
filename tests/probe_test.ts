/**
 * SWIM probing and Lifeguard's local health on the core, step by step: a
 * probe period pings one member, asks others after the probe timeout, and
 * suspects the member at the end of the period; missed acks and nacks raise
 * this node's health score, which stretches its own probe interval and
 * timeouts, and acks bring it back down.
 */

import assert from "node:assert/strict";
import type { SingleMessage } from "../src/wire/message.ts";
import { protocolStep, startKnowing } from "./step.ts";

const A = "10.0.0.1:1";
const MEMBERS = ["10.0.0.2:1", "10.0.0.3:1", "10.0.0.4:1", "10.0.0.5:1"];

function only<T extends SingleMessage["type"]>(
  messages: SingleMessage[],
  type: T,
): Extract<SingleMessage, { type: T }>[] {
  return messages.filter((m): m is Extract<SingleMessage, { type: T }> => m.type === type);
}

/** Starts a probe period; returns the target and the probe's seq. */
function probe(a: ReturnType<typeof protocolStep>) {
  a.fire("probe");
  const sent = a.take();
  assert.equal(sent.length, 1, "one ping per period");
  const [ping] = only(sent[0].messages, "ping");
  assert.equal(ping.target, sent[0].to);
  return { target: ping.target, seq: ping.seq };
}

Deno.test("probe: no ack and not one nack: this node blames itself, accuses no one, and its timeouts stretch", () => {
  const a = protocolStep(A);
  startKnowing(a, MEMBERS);
  assert.deepEqual(a.pending("probe").map((p) => p.at), [1000]);
  const { target, seq } = probe(a);
  assert.equal(a.time.now, 1000);
  // The probe timeout (500 ms) passes: three others are asked to probe.
  a.fire("probe-indirect");
  assert.equal(a.time.now, 1500);
  const reqs = a.take();
  assert.equal(reqs.length, 3);
  for (const r of reqs) {
    assert.notEqual(r.to, target);
    assert.deepEqual(only(r.messages, "ping-req"), [{ type: "ping-req", seq, target }]);
  }
  // The period ends without an ack or a single nack: our own links may be the
  // problem, so the target's silence is no evidence against it.
  a.fire("probe-end");
  assert.equal(a.time.now, 1999);
  assert.deepEqual(a.eventsOf("suspect"), [], "a node that hears nobody accuses no one");
  assert.deepEqual(a.engine.members().filter((m) => m.state !== "alive"), []);
  assert.equal(a.engine.health, 3, "three missing nacks");
  assert.equal(a.engine.metrics().probesFailed, 1);
  // The next period, already scheduled, starts on time; the one after waits (3 + 1) × 1000 ms,
  // and its timeouts stretch by as much.
  probe(a);
  assert.equal(a.time.now, 2000);
  assert.deepEqual(a.pending("probe").map((p) => p.at), [2000 + 4 * 1000]);
  assert.deepEqual(a.pending("probe-indirect").map((p) => p.at), [2000 + 4 * 500]);
  assert.deepEqual(a.pending("probe-end").map((p) => p.at), [2000 + 4 * 1000 - 1]);
});

Deno.test("probe: one nack is enough evidence that this node hears: the target is suspected", () => {
  const a = protocolStep(A);
  startKnowing(a, MEMBERS);
  const { target, seq } = probe(a);
  a.fire("probe-indirect");
  const [helper] = a.take();
  a.receive(helper.to, { type: "nack", seq });
  a.fire("probe-end");
  assert.equal(a.engine.health, 2, "two nacks missing");
  assert.deepEqual(a.eventsOf("suspect").map((e) => [e.address, e.from]), [[target, A]]);
});

Deno.test("probe: nacks from every helper put the blame on the target, not on this node", () => {
  const a = protocolStep(A);
  startKnowing(a, MEMBERS);
  const { target, seq } = probe(a);
  a.fire("probe-indirect");
  for (const r of a.take()) a.receive(r.to, { type: "nack", seq });
  a.fire("probe-end");
  assert.equal(a.engine.health, 0);
  assert.equal(a.eventsOf("suspect")[0]?.address, target, "the target is still suspected");
});

Deno.test("probe: an ack, direct or relayed, clears the probe and brings health back down", () => {
  const a = protocolStep(A);
  startKnowing(a, MEMBERS);
  // One failed probe (health 3)...
  probe(a);
  a.fire("probe-indirect");
  a.take();
  a.fire("probe-end");
  assert.equal(a.engine.health, 3);
  // ...then a direct ack: one step down, and the next period comes sooner.
  let p = probe(a);
  a.time.now += 3; // the ack takes 3 ms
  a.receive(p.target, { type: "ack", seq: p.seq });
  assert.equal(a.engine.health, 2);
  const rtt = a.engine.metrics().probeRtt;
  assert.equal(rtt.count, 1, "a direct ack is timed");
  assert.equal(rtt.sum, 3);
  assert.equal(rtt.counts[rtt.bounds.indexOf(5)], 1, "in the (2.5, 5] ms bucket");
  a.fire("probe-end"); // stale: the probe is over
  assert.equal(a.engine.health, 2);
  const next = a.pending("probe")[0].at;
  // ...then an ack relayed by a helper after a ping-req.
  p = probe(a);
  assert.equal(a.time.now, next);
  assert.deepEqual(a.pending("probe").map((x) => x.at), [next + 3 * 1000]);
  a.fire("probe-indirect", (t) => "seq" in t && t.seq === p.seq);
  const helper = a.take()[0].to;
  a.receive(helper, { type: "ack", seq: p.seq });
  assert.equal(a.engine.health, 1);
  assert.equal(a.engine.metrics().probeRtt.count, 1, "a relayed ack times two hops: not counted");
  a.fire("probe-end");
  assert.deepEqual(a.eventsOf("suspect"), [], "no nack ever came: no one was suspected");
});

Deno.test("probe: a suspect is told so on the ping itself (the buddy system)", () => {
  const a = protocolStep(A);
  const [b, c] = MEMBERS;
  startKnowing(a, [b, c]);
  a.receive(c, { type: "suspect", address: b, incarnation: 0, from: c });
  a.outbox = [];
  // Round robin: b is probed within two periods.
  let sent = a.take(b);
  for (let i = 0; i < 2 && sent.length === 0; i++) {
    a.fire("probe");
    sent = a.take(b);
  }
  const messages = sent.flatMap((d) => d.messages);
  assert.equal(only(messages, "ping").length, 1);
  assert.ok(
    only(messages, "suspect").some((m) => m.address === b && m.from === A),
    "the ping carries this node's own accusation",
  );
});

Deno.test("probe: a ping-req is relayed; silence comes back as a nack, an ack as an ack", () => {
  const a = protocolStep(A);
  startKnowing(a, MEMBERS);
  const [requester, target] = MEMBERS;
  a.receive(requester, { type: "ping-req", seq: 500, target });
  const [ping] = a.take(target).flatMap((d) => only(d.messages, "ping"));
  assert.equal(ping.target, target);
  a.fire("relay");
  assert.equal(a.time.now, 400, "after 0.8 × the probe timeout");
  assert.deepEqual(a.take(requester).flatMap((d) => only(d.messages, "nack")), [
    { type: "nack", seq: 500 },
  ]);
  // Again, and this time the target answers.
  a.receive(requester, { type: "ping-req", seq: 501, target });
  const [again] = a.take(target).flatMap((d) => only(d.messages, "ping"));
  a.receive(target, { type: "ack", seq: again.seq });
  assert.deepEqual(a.take(requester).flatMap((d) => only(d.messages, "ack")), [
    { type: "ack", seq: 501 },
  ]);
  a.fire("relay");
  assert.deepEqual(a.take(requester), [], "no nack once the ack was relayed");
  // A stranger cannot make us probe for it.
  a.receive("10.9.9.9:1", { type: "ping-req", seq: 502, target });
  assert.deepEqual(a.take(target), []);
  assert.equal(a.engine.metrics().dropped["unknown-sender"], 1);
});

Deno.test("probe: a probe cut short by the next period, before its indirect round, accuses no one", () => {
  const a = protocolStep(A);
  startKnowing(a, MEMBERS);
  // The next period comes before the probe's indirect round (a probe-end that
  // fires late, or a health score that changed): no one else was asked.
  probe(a);
  probe(a);
  assert.deepEqual(a.eventsOf("suspect"), []);
  assert.equal(a.engine.metrics().probesFailed, 1);
});
