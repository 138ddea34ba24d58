/**
 * An application listener that throws is logged at error level and does not
 * stop its node: later messages are still delivered (to the other listeners
 * too), and the node goes on probing and gossiping.
 */

import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { GossipNode } from "../mod.ts";
import { seededRandom, VirtualClock } from "../src/testing/mod.ts";
import { MemoryNetwork } from "../src/testing/mod.ts";

/** Collects the library's error records while `body` runs. */
async function capturingErrors(body: (records: LogRecord[]) => Promise<void>): Promise<void> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (r) => records.push(r) },
    loggers: [
      { category: ["peer"], lowestLevel: "error", sinks: ["memory"] },
      { category: ["logtape", "meta"], lowestLevel: "fatal", sinks: [] },
    ],
  });
  try {
    await body(records);
  } finally {
    await reset();
  }
}

Deno.test("listener: one that throws is logged, and the node keeps receiving, probing and gossiping", async () => {
  await capturingErrors(async (records) => {
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock, random: seededRandom(1), delay: 1 });
    const start = (seeds: string[], seed: number) =>
      GossipNode.start({ transport: network.bind(), clock, random: seededRandom(seed), seeds });
    const a = await start([], 1);
    const b = await start([a.address], 2);
    const c = await start([a.address], 3);
    try {
      clock.advance(1000);
      assert.equal(b.peers().length, 2);
      const heard: string[] = [];
      b.addEventListener("message", () => {
        throw new Error("application bug");
      });
      b.addEventListener("message", (e) => heard.push(new TextDecoder().decode(e.detail.payload)));
      a.broadcast("one");
      clock.advance(100);
      a.broadcast("two");
      clock.advance(100);
      assert.deepEqual(heard, ["one", "two"], "both delivered, to the other listener too");
      assert.equal(records.length, 2, "one error record per throw");
      assert.equal(records[0].level, "error");
      assert.match(String(records[0].properties.error), /application bug/);
      assert.deepEqual(records[0].properties.type, "message");
      // The node goes on: it probes, answers probes, and relays gossip.
      const probes = b.metrics().probes;
      clock.advance(30_000);
      assert.ok(b.metrics().probes >= probes + 25, "still probing");
      for (const n of [a, c]) {
        assert.equal(n.members().find((m) => m.address === b.address)?.state, "alive");
      }
      const relayed: string[] = [];
      c.addEventListener(
        "message",
        (e) => relayed.push(new TextDecoder().decode(e.detail.payload)),
      );
      b.broadcast("three");
      clock.advance(100);
      assert.deepEqual(relayed, ["three"]);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});

Deno.test("listener: removeEventListener removes a listener added through the guard", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, random: seededRandom(1), delay: 1 });
  const a = await GossipNode.start({ transport: network.bind(), clock, random: seededRandom(1) });
  const b = await GossipNode.start({
    transport: network.bind(),
    clock,
    random: seededRandom(2),
    seeds: [a.address],
  });
  try {
    clock.advance(1000);
    let calls = 0;
    const listener = () => calls++;
    const object = { handleEvent: () => calls++ };
    b.addEventListener("message", listener);
    b.addEventListener("message", listener); // added once, as with EventTarget
    b.addEventListener("message", object);
    a.broadcast("x");
    clock.advance(100);
    assert.equal(calls, 2);
    b.removeEventListener("message", listener);
    b.removeEventListener("message", object);
    a.broadcast("y");
    clock.advance(100);
    assert.equal(calls, 2);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
