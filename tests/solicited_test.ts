/**
 * Nobody plants members without being asked or being a member: INFO is taken
 * only from a seed this node sent INIT to (for as long as a cookie lives), a
 * SYNC reply only for a SYNC this node sent, and statements about members
 * (ALIVE, SUSPECT, DEAD, LEAVE) only from members; a stranger's are dropped,
 * and the stranger is asked in through the cookie round trip instead. Step by
 * step on the core.
 */

import assert from "node:assert/strict";
import type { MemberRecord } from "../src/wire/message.ts";
import { protocolStep, startKnowing } from "./step.ts";

const A = "10.0.0.1:1";
const SEED = "10.0.0.2:1";
const [B, C] = ["10.0.0.3:1", "10.0.0.4:1"];
const STRANGER = "10.6.6.6:6";
const BOGUS: MemberRecord[] = [
  { address: "10.6.6.7:1", state: "alive", incarnation: 0 },
  { address: "10.6.6.8:1", state: "alive", incarnation: 9 },
];

type Core = ReturnType<typeof protocolStep>;

const addresses = (a: Core) => a.engine.members().map((m) => `${m.address} ${m.state}`).sort();

Deno.test("solicited: an INFO nobody asked for adds nothing, and its forged DEAD kills no one", () => {
  const a = protocolStep(A);
  startKnowing(a, [B, C]);
  const before = addresses(a);
  a.receive(STRANGER, {
    type: "info",
    members: [...BOGUS, { address: B, state: "dead", incarnation: 0 }],
  });
  // Even from a member: a member answers INIT with INFO, and we sent it none.
  a.receive(B, {
    type: "info",
    members: [...BOGUS, { address: C, state: "dead", incarnation: 0 }],
  });
  assert.deepEqual(addresses(a), before);
  assert.deepEqual(a.eventsOf("join"), []);
  assert.deepEqual(a.eventsOf("dead"), []);
  assert.equal(a.engine.metrics().dropped["unknown-sender"], 2);
});

Deno.test("solicited: INFO from the seed we sent INIT to is merged, for as long as a cookie lives", () => {
  const a = protocolStep(A, {}, { seeds: [SEED] });
  a.engine.start();
  assert.ok(a.take(SEED).some((d) => d.messages.some((m) => m.type === "init")));
  a.receive(SEED, { type: "info", members: [{ address: SEED, state: "alive", incarnation: 0 }] });
  assert.ok(a.engine.joined);
  // More parts of the table arrive later, still in time (2 × joinRetryMax = 10 s, LAN).
  a.time.now += 9_000;
  a.receive(SEED, { type: "info", members: [BOGUS[0]] });
  assert.ok(a.engine.peers().includes(BOGUS[0].address));
  // Past it, the seed's INFO is unsolicited like anyone's.
  a.time.now += 2_000;
  a.receive(SEED, { type: "info", members: [BOGUS[1]] });
  assert.ok(!a.engine.members().some((m) => m.address === BOGUS[1].address));
  assert.equal(a.engine.metrics().dropped["unknown-sender"], 1);
});

Deno.test("solicited: a seed given by host name may answer from its address (same port)", () => {
  const a = protocolStep(A, {}, { seeds: ["seed.example:7946"] });
  a.engine.start();
  a.receive("10.0.0.9:7946", {
    type: "info",
    members: [{ address: "10.0.0.9:7946", state: "alive", incarnation: 0 }],
  });
  assert.ok(a.engine.joined);
  // Another port is someone else.
  a.receive("10.0.0.9:7947", { type: "info", members: [BOGUS[0]] });
  assert.ok(!a.engine.members().some((m) => m.address === BOGUS[0].address));
});

Deno.test("solicited: a SYNC reply is merged only after a SYNC request of ours to its sender", () => {
  const a = protocolStep(A);
  startKnowing(a, [B, C]);
  const before = addresses(a);
  a.receive(STRANGER, { type: "sync", reply: true, members: BOGUS });
  a.receive(B, { type: "sync", reply: true, members: BOGUS });
  assert.deepEqual(addresses(a), before, "unasked replies, from a stranger or a member");
  assert.equal(a.engine.metrics().dropped["unknown-sender"], 2);
  // A member's summary that differs from ours makes us ask it (SYNC request): its reply is merged.
  a.receive(B, {
    type: "digest",
    reply: false,
    full: false,
    members: 9,
    membersHash: 1,
    tagsHash: 0,
    after: "",
    through: "",
    entries: [],
  });
  const asked = a.take().filter((d) => d.messages.some((m) => m.type === "sync" && !m.reply));
  assert.deepEqual(asked.map((d) => d.to), [B]);
  a.receive(C, { type: "sync", reply: true, members: [BOGUS[0]] });
  assert.ok(!a.engine.peers().includes(BOGUS[0].address), "a reply from whom we did not ask");
  a.receive(B, { type: "sync", reply: true, members: [BOGUS[0]] });
  assert.ok(a.engine.peers().includes(BOGUS[0].address));
});

Deno.test("solicited: ALIVE, SUSPECT, DEAD and LEAVE from a stranger are dropped, and it is asked in", () => {
  const a = protocolStep(A);
  startKnowing(a, [B, C]);
  const before = addresses(a);
  a.receive(STRANGER, {
    type: "batch",
    messages: [
      { type: "alive", address: BOGUS[0].address, incarnation: 0 },
      { type: "suspect", address: B, incarnation: 0, from: STRANGER },
      { type: "dead", address: C, incarnation: 0, from: STRANGER },
      { type: "leave", address: B, incarnation: 5 },
    ],
  });
  assert.deepEqual(addresses(a), before);
  assert.deepEqual(a.events.filter((e) => e.type !== "drop"), []);
  assert.equal(a.engine.metrics().dropped["unknown-sender"], 4);
  // The stranger gets the cookie PING: once it answers, it is a member, and is heard.
  const [ping] = a.take(STRANGER).flatMap((d) => d.messages);
  assert.ok(ping?.type === "ping");
  a.receive(STRANGER, { type: "ack", seq: ping.seq });
  a.receive(STRANGER, { type: "alive", address: BOGUS[0].address, incarnation: 0 });
  assert.ok(a.engine.peers().includes(BOGUS[0].address));
});
