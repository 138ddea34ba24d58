/**
 * The last incarnation, 2³²−1. A member refutes an accusation by raising its
 * incarnation past it; at 2³²−1 there is nothing past it, and wrapping to 0
 * would make the refutation an `alive` at 0 that loses to every record of
 * the member's life so far. So incarnations never wrap: an accusation at
 * 2³²−1 stands, the member is declared dead like a crashed one, and it is let
 * in again (admission) once the others have reaped its record. Reaching
 * 2³²−1 takes 2³² refutations, or a lie by a member (docs/PROTOCOL.md 7.6).
 */

import assert from "node:assert/strict";
import { protocolStep, startKnowing } from "./step.ts";

const MAX = 0xffffffff;
const A = "10.0.0.1:1";
const [B, C, D] = ["10.0.0.2:1", "10.0.0.3:1", "10.0.0.4:1"];

Deno.test("incarnation: accused at 2^32-2, a member refutes at 2^32-1", () => {
  const a = protocolStep(A);
  startKnowing(a, [B, C]);
  a.receive(B, { type: "suspect", address: A, incarnation: MAX - 1, from: B });
  assert.equal(a.engine.incarnation, MAX);
  const told = a.take(B).flatMap((d) => d.messages);
  assert.deepEqual(told.filter((m) => m.type === "alive"), [
    { type: "alive", address: A, incarnation: MAX },
  ]);
});

Deno.test("incarnation: accused at 2^32-1, a member cannot refute, and does not wrap to 0", () => {
  const a = protocolStep(A);
  startKnowing(a, [B, C]);
  a.receive(B, { type: "suspect", address: A, incarnation: MAX - 1, from: B });
  a.take();
  const refutations = a.engine.metrics().refutations;
  a.receive(B, { type: "suspect", address: A, incarnation: MAX, from: B });
  a.receive(C, { type: "dead", address: A, incarnation: MAX, from: C });
  assert.equal(a.engine.incarnation, MAX, "no wrap");
  assert.equal(a.engine.metrics().refutations, refutations, "nothing to refute with");
  // Nothing about itself goes out: an ALIVE below the accusation would change nothing anywhere.
  a.fire("gossip");
  const about = a.take().flatMap((d) => d.messages).filter((m) =>
    "address" in m && m.address === A
  );
  assert.deepEqual(about.filter((m) => m.type === "alive" && m.incarnation !== MAX), []);
  // An alive record at the last incarnation is taken as it is.
  const b = protocolStep(B);
  startKnowing(b, [C]);
  b.receive(C, { type: "alive", address: B, incarnation: MAX });
  assert.equal(b.engine.incarnation, MAX);
});

Deno.test("incarnation: the others declare it dead at 2^32-1, reap it, and let it in again", () => {
  const o = protocolStep(D, { reapAfter: 60_000 });
  startKnowing(o, [C, A]);
  o.receive(A, { type: "alive", address: A, incarnation: MAX });
  o.receive(C, { type: "suspect", address: A, incarnation: MAX, from: C });
  // The suspicion runs out (A cannot refute): dead at the last incarnation.
  for (let i = 0; i < 2; i++) o.fire("suspicion");
  assert.deepEqual(o.eventsOf("dead").map((e) => [e.address, e.incarnation]), [[A, MAX]]);
  // Reaped after reapAfter...
  o.advance(120_000);
  assert.ok(!o.engine.members().some((m) => m.address === A), "forgotten");
  // ...then a PING from it is a stranger's: it answers the cookie and is a member again.
  o.take();
  o.receive(A, { type: "ping", seq: 1, target: D });
  const cookie = o.take(A).flatMap((d) => d.messages).find((m) => m.type === "ping");
  assert.ok(cookie?.type === "ping");
  o.receive(A, { type: "ack", seq: cookie.seq });
  assert.ok(o.engine.peers().includes(A));
});

Deno.test("incarnation: a restarted node outbids its old record and tells the seed at once", () => {
  const SEED = "10.0.0.9:1";
  const a = protocolStep(A, {}, { seeds: [SEED] });
  a.engine.start();
  a.take();
  // The seed still holds our previous life, dead at 5.
  a.receive(SEED, {
    type: "info",
    members: [
      { address: A, state: "dead", incarnation: 5 },
      { address: SEED, state: "alive", incarnation: 0 },
      { address: B, state: "alive", incarnation: 0 },
    ],
  });
  assert.equal(a.engine.incarnation, 6);
  const conns = a.take().filter((d) => d.messages.some((m) => m.type === "conn"));
  assert.deepEqual(conns.map((d) => d.to).sort(), [B, SEED].sort());
  assert.ok(conns.every((d) => d.messages.every((m) => m.type !== "conn" || m.incarnation === 6)));
});
