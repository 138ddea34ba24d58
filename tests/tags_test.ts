/**
 * Tags: per-node key-value state, replicated. Writes and deletes converge
 * across a cluster; a member away longer than the tombstone grace period
 * gets the owner's whole state; a restart's tags replace the old ones
 * everywhere; partitions reconcile both ways; a quiet cluster sends no tag
 * data; limits and bad input; tags of reaped members are gone.
 */

import assert from "node:assert/strict";
import { GossipNode } from "../mod.ts";
import { MemoryNetwork, seededRandom, Simulation, VirtualClock } from "../src/testing/mod.ts";
import { encode } from "../src/wire/codec.ts";
import { messagesOf } from "./step.ts";

/** Whether every node that is up holds `expected` as node `owner`'s tags. */
function everyoneSees(sim: Simulation, owner: number, expected: Record<string, string>): boolean {
  const address = sim.address(owner);
  const want = JSON.stringify(Object.entries(expected).sort());
  return sim.upNodes().every((i) => {
    const tags = sim.node(i)!.tags(address);
    return tags !== undefined && JSON.stringify(Object.entries(tags).sort()) === want;
  });
}

Deno.test("tags: sets and deletes converge on every member, with tag events and members()[i].tags", async () => {
  await using sim = new Simulation({ seed: 21, trace: true });
  await sim.addNodes(1, { tags: { role: "db", zone: "eu-1" } });
  await sim.addNodes(19, { seeds: [0] });
  assert.ok(sim.runUntil(() => sim.converged(), 30_000));
  assert.ok(sim.runUntil(() => everyoneSees(sim, 0, { role: "db", zone: "eu-1" }), 30_000));
  const a = sim.node(0)!, b = sim.node(7)!;
  a.setTag("load", "0.42");
  a.deleteTag("zone");
  b.setTag("role", "cache");
  const t0 = sim.now;
  assert.ok(sim.runUntil(() => everyoneSees(sim, 0, { role: "db", load: "0.42" }), 10_000));
  assert.ok(sim.runUntil(() => everyoneSees(sim, 7, { role: "cache" }), 10_000));
  console.log(
    `  a write and a delete seen by all 20 after ${Math.round(sim.now - t0)} ms (virtual)`,
  );
  assert.deepEqual(a.tags(), { role: "db", load: "0.42" });
  assert.equal(sim.node(3)!.members().find((m) => m.address === a.address)?.tags.load, "0.42");
  // Each node saw the delete as an event without a value.
  const deletes = sim.events({ type: "tag" }).filter((e) => e.subject === `${a.address} zone`);
  assert.ok(deletes.length >= 19, `${deletes.length} delete events`);
  assert.equal(sim.node(5)!.tags("10.9.9.9:1"), undefined, "a stranger has no tags");
});

Deno.test("tags: a member away longer than the tombstone grace period gets the whole state, no stale key", async () => {
  await using sim = new Simulation({
    seed: 22,
    config: { tagTombstoneTtl: 5_000, reapAfter: 600_000, pushPullInterval: 2_000 },
  });
  await sim.addNodes(1, { tags: { a: "1", b: "2", c: "3" } });
  await sim.addNodes(5, { seeds: [0] });
  assert.ok(sim.runUntil(() => everyoneSees(sim, 0, { a: "1", b: "2", c: "3" }), 30_000));
  // Node 5 is cut off while node 0 deletes b and changes c; the tombstone of b is forgotten.
  sim.partition([5]);
  sim.node(0)!.deleteTag("b");
  sim.node(0)!.setTag("c", "33");
  sim.run(70_000);
  assert.deepEqual(
    sim.node(5)!.tags(sim.address(0)),
    { a: "1", b: "2", c: "3" },
    "stale while away",
  );
  sim.heal();
  assert.ok(
    sim.runUntil(() => everyoneSees(sim, 0, { a: "1", c: "33" }), 60_000),
    JSON.stringify(sim.node(5)!.tags(sim.address(0))),
  );
});

Deno.test("tags: a restart on the same address replaces its old tags everywhere", async () => {
  await using sim = new Simulation({ seed: 23 });
  await sim.addNodes(1);
  await sim.addNodes(1, { seeds: [0], tags: { role: "old", version: "1" } });
  await sim.addNodes(8, { seeds: [0] });
  assert.ok(sim.runUntil(() => everyoneSees(sim, 1, { role: "old", version: "1" }), 30_000));
  sim.crash(1);
  sim.run(2_000);
  await sim.restart(1, { seeds: [0], tags: { role: "new" } });
  assert.ok(
    sim.runUntil(() => everyoneSees(sim, 1, { role: "new" }), 60_000),
    "no key of the old generation survives",
  );
});

Deno.test("tags: a partition reconciles tags both ways when it heals", async () => {
  await using sim = new Simulation({ seed: 24, config: { pushPullInterval: 5_000 } });
  await sim.addNodes(10);
  sim.bootstrap();
  sim.run(1_000);
  const left = [0, 1, 2, 3, 4], right = [5, 6, 7, 8, 9];
  sim.partition(left, right);
  sim.node(0)!.setTag("side", "left");
  sim.node(9)!.setTag("side", "right");
  sim.run(5_000);
  assert.equal(sim.node(9)!.tags(sim.address(0))?.side, undefined, "not across the cut");
  sim.heal();
  assert.ok(sim.runUntil(() => everyoneSees(sim, 0, { side: "left" }), 120_000));
  assert.ok(sim.runUntil(() => everyoneSees(sim, 9, { side: "right" }), 120_000));
});

Deno.test("tags: a quiet cluster exchanges summaries only: no tag data, no member tables", async () => {
  let counting = false;
  const kinds = new Map<string, number>();
  let full = 0;
  await using sim = new Simulation({
    seed: 25,
    config: { pushPullInterval: 1_000 },
    tap: (_from, _to, data) => {
      if (!counting || data[0] !== 0xd7) return;
      for (const m of messagesOf(data)) {
        kinds.set(m.type, (kinds.get(m.type) ?? 0) + 1);
        if (m.type === "digest" && m.full) full++;
      }
    },
  });
  await sim.addNodes(1, { tags: { big: "x".repeat(1000) } });
  await sim.addNodes(11, { seeds: [0], tags: { role: "worker" } });
  assert.ok(
    sim.runUntil(() => sim.converged() && everyoneSees(sim, 0, { big: "x".repeat(1000) }), 60_000),
  );
  sim.run(30_000);
  counting = true;
  sim.run(20_000);
  counting = false;
  assert.ok(
    (kinds.get("digest") ?? 0) >= 12 * 10,
    `summaries went out: ${JSON.stringify([...kinds])}`,
  );
  assert.equal(kinds.get("tags") ?? 0, 0, "no tag data");
  assert.equal(kinds.get("sync") ?? 0, 0, "no member tables");
  assert.equal(full, 0, "no full digests");
});

Deno.test("tags: limits throw RangeError and change nothing; bad frames are dropped and counted", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, random: seededRandom(1), delay: 1 });
  const start = (seeds: string[], seed: number, maxTagBytes?: number) =>
    GossipNode.start({
      transport: network.bind(),
      clock,
      random: seededRandom(seed),
      seeds,
      ...(maxTagBytes ? { maxTagBytes } : {}),
    });
  await assert.rejects(
    () => GossipNode.start({ transport: network.bind(), clock, tags: { "": "x" } }),
    RangeError,
  );
  const a = await start([], 1, 1100);
  const b = await start([a.address], 2);
  const raw = network.bind();
  try {
    clock.advance(2000);
    assert.throws(() => a.setTag("k".repeat(256), "v"), /1 to 255 bytes/);
    assert.throws(() => a.setTag("k", "v".repeat(1025)), /at most 1024 bytes/);
    a.setTag("k", "v".repeat(1000));
    assert.throws(() => a.setTag("other", "v".repeat(100)), /maxTagBytes = 1100/);
    assert.deepEqual(Object.keys(a.tags()!), ["k"], "nothing stored over a limit");
    const dropped = b.metrics().dropped.malformed;
    // A truncated TAGS frame is malformed; one about a stranger is ignored.
    const frame = encode({
      type: "tags",
      owner: "10.9.9.9:1",
      generation: 1,
      since: 0,
      to: 1,
      reset: false,
      entries: [{ key: "evil", version: 1, value: "x" }],
    });
    raw.send(b.address, frame.subarray(0, frame.length - 3));
    raw.send(b.address, frame);
    clock.advance(10);
    assert.equal(b.metrics().dropped.malformed, dropped + 1);
    assert.equal(b.tags("10.9.9.9:1"), undefined);
    assert.ok(b.members().every((m) => m.tags.evil === undefined));
  } finally {
    await Promise.all([a.close(), b.close(), raw.close()]);
  }
});

Deno.test("tags: a reaped member's tags are gone, with delete events", async () => {
  await using sim = new Simulation({ seed: 26, config: { reapAfter: 20_000 }, trace: true });
  await sim.addNodes(1);
  await sim.addNodes(1, { seeds: [0], tags: { role: "gone" } });
  await sim.addNodes(4, { seeds: [0] });
  assert.ok(sim.runUntil(() => everyoneSees(sim, 1, { role: "gone" }), 30_000));
  const address = sim.address(1);
  await sim.leave(1);
  sim.run(5_000);
  assert.equal(sim.node(0)!.tags(address)?.role, "gone", "readable while not reaped");
  const before = sim.events({ type: "tag" }).filter((e) => e.subject === `${address} role`).length;
  sim.run(90_000);
  for (const i of sim.upNodes()) assert.equal(sim.node(i)!.tags(address), undefined);
  const gone = sim.events({ type: "tag" }).filter((e) => e.subject === `${address} role`).length;
  assert.equal(gone - before, sim.upNodes().length, "each node reports the key gone when it reaps");
});

Deno.test("tags: a write reaches 200 members about as fast as a broadcast, and all of them under 20% loss", async () => {
  await using sim = new Simulation({ seed: 27 });
  await sim.addNodes(1);
  await sim.addNodes(199, { seeds: [0] });
  assert.ok(sim.runUntil(() => sim.converged(), 60_000));
  sim.run(5_000);
  const writer = 5;
  const b = sim.broadcastFrom(writer);
  assert.ok(sim.settle(b));
  assert.ok(b.complete);
  const broadcastMs = Math.max(...b.times);
  sim.run(2_000);
  const t0 = sim.now;
  sim.node(writer)!.setTag("load", "0.42");
  assert.ok(sim.runUntil(() => everyoneSees(sim, writer, { load: "0.42" }), 10_000, 1));
  const writeMs = sim.now - t0;
  console.log(
    `  N=200: write seen by all in ${writeMs.toFixed(1)} ms, broadcast ${
      broadcastMs.toFixed(1)
    } ms`,
  );
  assert.ok(writeMs <= 2 * broadcastMs + 2, `write ${writeMs} ms vs broadcast ${broadcastMs} ms`);
  // Pushes lost on the way: the announcements on the probes, and the gaps asked for, fill in.
  sim.network.loss = 0.2;
  sim.node(writer)!.setTag("load", "0.9");
  sim.node(writer)!.deleteTag("load");
  sim.node(writer)!.setTag("zone", "eu-1");
  assert.ok(sim.runUntil(() => everyoneSees(sim, writer, { zone: "eu-1" }), 30_000, 10));
});

Deno.test("tags: once quiet, 20 KiB of tags per node cost no more than none", async () => {
  const idle = async (withTags: boolean) => {
    await using sim = new Simulation({ seed: 28 });
    const tags = (i: number) => {
      const t: Record<string, string> = {};
      if (withTags) { for (let k = 0; k < 20; k++) t[`k${k}`] = `${i}`.padEnd(1000, "t"); }
      return t;
    };
    await sim.addNodes(1, { tags: tags(0) });
    for (let i = 1; i < 30; i++) await sim.addNodes(1, { seeds: [0], tags: tags(i) });
    assert.ok(sim.runUntil(() => sim.converged(), 60_000));
    if (withTags) {
      assert.ok(
        sim.runUntil(() => sim.upNodes().every((i) => everyoneSees(sim, i, tags(i))), 30_000, 500),
      );
    }
    sim.run(30_000);
    const mark = sim.snapshot();
    sim.run(60_000);
    return sim.trafficSince(mark).totalBytes;
  };
  const without = await idle(false), withTags = await idle(true);
  console.log(
    `  idle bytes, 30 nodes for 60 s: ${withTags} with 20 KiB of tags each, ${without} without`,
  );
  assert.ok(withTags <= without * 1.1, `${withTags} vs ${without}`);
});
