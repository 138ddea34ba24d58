/**
 * Repair (IHAVE / IWANT) on the core, step by step: a member that no pushed
 * copy reached learns the message's id from a gossip round's offer, asks for
 * it and gets it, once; a member that was not offered anything, or asks too
 * late, gets nothing, so a forged IWANT cannot make a node an amplifier.
 */

import assert from "node:assert/strict";
import { deliver, messagesOf, protocolStep, startKnowing } from "./step.ts";

const A = "10.0.0.1:1";
const B = "10.0.0.2:1";
const C = "10.0.0.3:1";
/** Repair as epidemic mode does it (tree mode waits, then grafts: tree_test.ts). */
const EPIDEMIC = { mode: "epidemic" as const };

/** A and B know each other (A also knows C); A broadcasts, and the push to B is lost. */
function lostPush() {
  const a = protocolStep(A, EPIDEMIC);
  const b = protocolStep(B, EPIDEMIC, { time: a.time, seed: 2 });
  startKnowing(a, [B]);
  startKnowing(b, [A]);
  const id = a.engine.broadcast(new TextEncoder().encode("hello"));
  assert.ok(a.take(B).some((d) => d.messages.some((m) => m.type === "gosp")), "pushed once");
  return { a, b, id };
}

Deno.test("repair: a member that missed the push is offered the id, asks, and gets the message once", () => {
  const { a, b, id } = lostPush();
  assert.deepEqual(b.eventsOf("message"), []);
  // The first gossip round after the message is a period old offers it.
  a.fire("gossip");
  assert.deepEqual(a.outbox.flatMap((d) => messagesOf(d.data)), [
    { type: "ihave", messages: [{ origin: A, id }] },
  ]);
  assert.equal(deliver(a, b), 1);
  assert.deepEqual(b.outbox.flatMap((d) => messagesOf(d.data)), [
    { type: "iwant", messages: [{ origin: A, id }] },
  ]);
  assert.equal(deliver(b, a), 1);
  assert.equal(deliver(a, b), 1);
  const delivered = b.eventsOf("message");
  assert.equal(delivered.length, 1);
  assert.equal(new TextDecoder().decode(delivered[0].payload), "hello");
  assert.deepEqual([delivered[0].from, delivered[0].via, delivered[0].id], [A, A, id]);
  // Offered again later, B has it and does not ask.
  a.fire("gossip");
  assert.equal(deliver(a, b), 1);
  assert.deepEqual(b.take(), []);
  assert.equal(b.eventsOf("message").length, 1);
});

Deno.test("repair: only a member that was offered may ask, and only within the repair window", () => {
  const { a, id } = lostPush();
  startKnowing(a, [B, C]);
  const want = { type: "iwant" as const, messages: [{ origin: A, id }] };
  // C was offered nothing: its IWANT (or a forged one in its name) is dropped.
  a.receive(C, want);
  assert.deepEqual(a.take(C), []);
  assert.equal(a.engine.metrics().dropped["unknown-sender"], 1);
  // B is offered, asks within the window, and is served.
  a.fire("gossip");
  const offeredTo = a.take().filter((d) => d.messages.some((m) => m.type === "ihave"));
  assert.equal(offeredTo.length, 1);
  const peer = offeredTo[0].to;
  a.receive(peer, want);
  assert.ok(a.take(peer).some((d) => d.messages.some((m) => m.type === "gosp" && m.id === id)));
  // Past the window (2000 ms in the LAN profile) the same request gets nothing.
  a.time.now += 2001;
  a.receive(peer, want);
  assert.deepEqual(a.take(peer), []);
  assert.equal(a.engine.metrics().dropped["unknown-sender"], 2);
});
