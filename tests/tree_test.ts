/**
 * Broadcast trees (tree mode): a duplicate prunes its link, a message that
 * was announced but did not come is grafted and arrives, the wait adapts to
 * the link delay, the eager links follow membership; on a simulated cluster
 * each delivery costs one copy once the trees have formed, and nothing is
 * lost to loss or crashes; on UDP every message arrives once.
 */

import assert from "node:assert/strict";
import { type Broadcast, Simulation } from "../src/testing/mod.ts";
import type { SingleMessage } from "../src/wire/message.ts";
import { closeAll, startCluster, waitFor } from "./helpers.ts";
import { deliver, messagesOf, protocolStep, startKnowing } from "./step.ts";

const A = "10.0.0.1:1", B = "10.0.0.2:1", C = "10.0.0.3:1", D = "10.0.0.4:1", E = "10.0.0.5:1";
const TREE = { mode: "tree" as const };
const payload = new Uint8Array([1, 2, 3]);

function gosp(origin: string, id: number, hops = 0): SingleMessage {
  return { type: "gosp", origin, id, hops, payload };
}

/** The GOSP copies in what `step` sent to `to`. */
function copiesTo(step: ReturnType<typeof protocolStep>, to: string): number {
  return step.take(to).flatMap((d) => d.messages).filter((m) => m.type === "gosp").length;
}

Deno.test("tree: the first copy makes its link eager; a duplicate prunes its link, both ends", () => {
  const a = protocolStep(A, TREE);
  startKnowing(a, [B, C, D, E]);
  a.receive(B, gosp(C, 1));
  assert.ok(a.engine.eager(C).includes(B), "the link the first copy came over is eager");
  const pushedTo = a.engine.eager(C).filter((p) => p !== B);
  assert.ok(pushedTo.length >= 1, "relayed to eagerPeers random members");
  for (const p of pushedTo) assert.equal(copiesTo(a, p), 1);
  assert.equal(copiesTo(a, B), 0, "not back where it came from");
  // The same message again, over another link: that link is pruned.
  const other = [D, E].find((p) => p !== B)!;
  a.receive(other, gosp(C, 1));
  assert.deepEqual(a.take(other).flatMap((d) => d.messages), [{ type: "prune", origin: C }]);
  assert.ok(!a.engine.eager(C).includes(other));
  assert.equal(a.engine.metrics().duplicates, 1);
  // A PRUNE from a peer: C's messages no longer go to it; other origins' trees are untouched.
  const [kept] = pushedTo;
  a.receive(kept, { type: "prune", origin: C });
  assert.ok(!a.engine.eager(C).includes(kept));
  a.receive(B, gosp(C, 2));
  assert.equal(copiesTo(a, kept), 0);
  a.receive(B, gosp(D, 1));
  assert.ok(a.engine.eager(D).includes(B));
});

Deno.test("tree: a push that crossed our PRUNE is kept, and its sender is told to keep pushing (GRAFT)", () => {
  const x = protocolStep(A, TREE);
  startKnowing(x, [B, C, D, E]);
  x.receive(C, gosp(E, 1)); // the tree of E's messages forms: C is eager
  x.receive(B, gosp(E, 1)); // a duplicate: B is pruned
  assert.deepEqual(x.take(B).flatMap((d) => d.messages).filter((m) => m.type === "prune"), [
    { type: "prune", origin: E },
  ]);
  x.outbox = [];
  // B pushed the next message before our PRUNE reached it, and it comes first:
  // B will have dropped us when the PRUNE lands, so it is asked to keep pushing.
  x.receive(B, gosp(E, 2));
  assert.deepEqual(x.take(B).flatMap((d) => d.messages).filter((m) => m.type === "graft"), [
    { type: "graft", origin: E, ids: [] },
  ]);
  assert.ok(x.engine.eager(E).includes(B));
  // The other end: a GRAFT without ids only makes the link eager (nothing served, nothing dropped).
  const b = protocolStep(B, TREE, { time: x.time });
  startKnowing(b, [A, C, D, E]);
  b.receive(A, { type: "graft", origin: E, ids: [] });
  assert.ok(b.engine.eager(E).includes(A));
  assert.equal(b.engine.metrics().dropped["unknown-sender"], 0);
  assert.deepEqual(b.take(A).flatMap((d) => d.messages).filter((m) => m.type === "gosp"), []);
});

Deno.test("tree: a lazy member is told the id, waits, grafts, gets the message once, and the link turns eager", () => {
  const b = protocolStep(B, { ...TREE, eagerPeers: 1 });
  startKnowing(b, [A, C]);
  const id = b.engine.broadcast(payload);
  const [pushed] = b.engine.eager(B);
  const lazy = pushed === A ? C : A;
  assert.equal(copiesTo(b, pushed), 1, "pushed to its one eager peer");
  assert.equal(copiesTo(b, lazy), 0);
  // The id goes to the lazy member after lazyDelay (never to the eager one).
  b.fire("lazy");
  assert.deepEqual(b.take().map((d) => [d.to, d.messages.filter((m) => m.type === "ihave")]), [
    [lazy, [{ type: "ihave", messages: [{ origin: B, id }] }]],
  ]);
  b.engine.fire({ name: "lazy" }); // (stale: nothing queued)
  const l = protocolStep(lazy, TREE, { time: b.time, seed: 2 });
  startKnowing(l, [A, B, C].filter((x) => x !== lazy));
  l.receive(B, { type: "ihave", messages: [{ origin: B, id }] });
  // It waits graftTimeout (no link delay measured yet) in case a copy is on its way...
  const [graft] = l.pending("graft");
  assert.equal(graft.at - l.time.now, 50);
  assert.equal(l.outbox.length, 0);
  // ...then asks B for it.
  l.fire("graft");
  assert.deepEqual(l.outbox.flatMap((d) => messagesOf(d.data)), [
    { type: "graft", origin: B, ids: [id] },
  ]);
  assert.equal(deliver(l, b), 1);
  assert.equal(deliver(b, l), 1);
  assert.equal(l.eventsOf("message").length, 1);
  assert.ok(l.engine.eager(B).includes(B));
  assert.ok(b.engine.eager(B).includes(lazy), "the link is eager at both ends");
  // No more grafts for it.
  for (const _ of l.pending("graft")) l.fire("graft");
  assert.equal(l.take().filter((d) => d.messages[0].type === "graft").length, 0);
});

Deno.test("tree: a lost push to the only member is repaired by the gossip round's offer", () => {
  const b = protocolStep(B, TREE);
  const a = protocolStep(A, TREE, { time: b.time, seed: 2 });
  startKnowing(b, [A]);
  startKnowing(a, [B]);
  const id = b.engine.broadcast(payload);
  assert.equal(copiesTo(b, A), 1); // lost
  assert.deepEqual(b.pending("lazy"), [], "no IHAVE due: the only member is pushed to");
  assert.deepEqual(b.take(), []);
  b.fire("gossip");
  assert.deepEqual(b.outbox.flatMap((d) => messagesOf(d.data)), [
    { type: "ihave", messages: [{ origin: B, id }] },
  ]);
  assert.equal(deliver(b, a), 1);
  a.fire("graft");
  assert.equal(deliver(a, b), 1);
  assert.equal(deliver(b, a), 1);
  assert.equal(a.eventsOf("message").length, 1);
});

Deno.test("tree: ids are announced only where a member could lack them, the origin's own link aside", () => {
  const a = protocolStep(A, TREE);
  startKnowing(a, [B, C]);
  a.receive(B, gosp(B, 1)); // B's tree forms at A: B (it came over that link) and C are eager
  a.receive(C, { type: "prune", origin: B }); // C gets B's messages another way
  a.take();
  // B's next message: pushed to nobody (B has it, C pruned), so C must hear of it lazily.
  a.receive(B, gosp(B, 2));
  assert.equal(copiesTo(a, C), 0);
  a.fire("lazy");
  assert.deepEqual(a.take(C).flatMap((d) => d.messages).filter((m) => m.type === "ihave"), [
    { type: "ihave", messages: [{ origin: B, id: 2 }] },
  ]);
  // With C eager again every live member gets the push: nothing is announced, no timer is set.
  a.receive(C, { type: "graft", origin: B, ids: [] });
  a.receive(B, gosp(B, 3));
  assert.equal(copiesTo(a, C), 1);
  assert.deepEqual(a.pending("lazy"), []);
});

Deno.test("tree: the graft wait follows the observed link delay, and lost grafts are retried in turn", () => {
  const a = protocolStep(A, TREE);
  startKnowing(a, [B, C, D]);
  // Probes answered after 120 ms: the smoothed round trip grows.
  for (let i = 0; i < 8; i++) {
    a.fire("probe");
    const [sent] = a.take();
    const ping = sent.messages.find((m) => m.type === "ping");
    assert.ok(ping?.type === "ping");
    a.time.now += 120;
    a.receive(sent.to, { type: "ack", seq: ping.seq });
  }
  a.outbox = [];
  a.receive(B, { type: "ihave", messages: [{ origin: E, id: 9 }] });
  a.receive(C, { type: "ihave", messages: [{ origin: E, id: 9 }] });
  const wait = a.pending("graft")[0].at - a.time.now;
  assert.ok(
    wait > 120 && wait <= 500,
    `waits longer than a round trip (${wait} ms), at most probeTimeout`,
  );
  // Asked of B first, then (no answer) of C, then B again.
  const asked: string[] = [];
  for (let i = 0; i < 3; i++) {
    a.fire("graft");
    asked.push(...a.take().filter((d) => d.messages[0].type === "graft").map((d) => d.to));
  }
  assert.deepEqual(asked, [B, C, B]);
  a.receive(C, gosp(E, 9));
  a.outbox = [];
  a.fire("graft");
  assert.deepEqual(a.take(), [], "no graft once it came");
});

Deno.test("tree: eager links follow membership: the dead leave, and a tree whose links all died forms again", () => {
  const a = protocolStep(A, { ...TREE, eagerPeers: 2 });
  startKnowing(a, [B, C, D]);
  a.engine.broadcast(payload);
  const first = a.engine.eager(A);
  assert.equal(first.length, 2);
  // They leave (a DEAD from a third party would only make them suspect, still live).
  for (const gone of first) a.receive(gone, { type: "leave", address: gone, incarnation: 0 });
  a.outbox = [];
  const stays = [B, C, D].find((p) => !first.includes(p))!;
  a.receive(stays, { type: "alive", address: E, incarnation: 0 }); // a newcomer, told of by a member
  a.outbox = [];
  a.engine.broadcast(payload);
  const now = a.engine.eager(A);
  assert.equal(now.length, 2);
  for (const p of now) assert.ok(!first.includes(p), `${p} is live`);
  for (const p of now) assert.equal(copiesTo(a, p), 1);
});

/** Copies sent per delivery over what `run` does, from every node's counters. */
function copiesPerDelivery(sim: Simulation, run: () => void): number {
  const sum = () => {
    let copies = 0, delivered = 0;
    for (const i of sim.upNodes()) {
      const m = sim.node(i)!.metrics();
      copies += m.copiesSent;
      delivered += m.delivered;
    }
    return { copies, delivered };
  };
  const before = sum();
  run();
  const after = sum();
  return (after.copies - before.copies) / (after.delivered - before.delivered);
}

Deno.test("tree: once formed, one sender's and every sender's messages cost one copy per delivery", async () => {
  await using sim = new Simulation({ seed: 5, config: TREE });
  await sim.addNodes(50);
  sim.bootstrap();
  sim.run(2000);
  const stream = (count: number, from: (k: number) => number) => () => {
    const sent = [];
    for (let k = 0; k < count; k++) {
      sent.push(sim.broadcastFrom(from(k)));
      sim.run(20);
    }
    sim.run(3000);
    assert.ok(sent.every((b) => b.complete), "every message reached every node");
  };
  const warm = copiesPerDelivery(sim, stream(10, () => 0));
  const one = copiesPerDelivery(sim, stream(40, () => 0));
  console.log(
    `  one sender: ${warm.toFixed(2)} copies per delivery while forming, ${one.toFixed(3)} after`,
  );
  assert.ok(one <= 1.05, `one sender: ${one}`);
  copiesPerDelivery(sim, stream(100, (k) => k % 50));
  const all = copiesPerDelivery(sim, stream(100, (k) => k % 50));
  console.log(`  every node sending: ${all.toFixed(3)} copies per delivery`);
  assert.ok(all <= 1.2, `every sender: ${all}`);
});

Deno.test("tree: nothing is lost to 30% loss, or to crashes of a tenth of the nodes mid-stream", async () => {
  await using sim = new Simulation({ seed: 9, config: TREE, trace: true });
  await sim.addNodes(60);
  sim.bootstrap();
  sim.run(2000);
  for (let k = 0; k < 10; k++) {
    sim.broadcastFrom(0);
    sim.run(20);
  }
  sim.run(2000);
  sim.network.loss = 0.3;
  const lossy: Broadcast[] = [];
  for (let k = 0; k < 20; k++) {
    lossy.push(sim.broadcastFrom(k % 3));
    sim.run(50);
  }
  sim.runUntil(() => lossy.every((b) => b.complete), 30_000);
  assert.equal(lossy.filter((b) => b.complete).length, 20, "30% loss: every message everywhere");
  sim.network.loss = 0;
  const crashed: Broadcast[] = [];
  for (let k = 0; k < 20; k++) {
    crashed.push(sim.broadcastFrom(0));
    if (k === 5) { for (let i = 1; i <= 6; i++) sim.crash(i * 9); }
    sim.run(30);
  }
  sim.runUntil(() => crashed.every((b) => b.complete), 30_000);
  assert.equal(
    crashed.filter((b) => b.complete).length,
    20,
    "crashes: every message at every live node",
  );
  assert.deepEqual(sim.falseDeaths(), []);
});

Deno.test("tree: on UDP a small cluster delivers every message exactly once", async () => {
  const nodes = await startCluster(6, { mode: "tree", profile: "local" });
  try {
    await waitFor(() => nodes.every((n) => n.peers().length === 5), { what: "full mesh of 6" });
    const got = nodes.map(() => new Map<string, number>());
    nodes.forEach((n, i) =>
      n.addEventListener("message", (e) => {
        const key = `${e.detail.from}/${e.detail.id}`;
        got[i].set(key, (got[i].get(key) ?? 0) + 1);
      })
    );
    for (let k = 0; k < 12; k++) nodes[k % 6].broadcast(`m${k}`);
    await waitFor(() => got.every((g) => [...g.values()].length === 12 - 2), {
      what: "every message at every other node",
    });
    for (const g of got) for (const count of g.values()) assert.equal(count, 1);
  } finally {
    await closeAll(nodes);
  }
});
