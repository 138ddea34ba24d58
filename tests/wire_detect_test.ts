/**
 * Format detection at the node: a seed-format frame reaching a native node is
 * dropped under its own reason, "seed-wire", so an operator can tell "an
 * original peer is talking to me" from line noise; a native frame reaching a
 * seed-mode node is malformed there. The engines themselves know only their
 * own format.
 */

import assert from "node:assert/strict";
import { GossipNode } from "../mod.ts";
import { seededRandom, VirtualClock } from "../src/testing/mod.ts";
import { MemoryNetwork } from "../src/testing/mod.ts";
import { encode } from "../src/wire/codec.ts";

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** A node of the given wire format, and a raw sender on the same virtual network. */
async function setup(wire: "native" | "seed") {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, random: seededRandom(1) });
  const node = await GossipNode.start({
    wire,
    transport: network.bind("127.0.0.1:8000"),
    clock,
    random: seededRandom(2),
  });
  const raw = network.bind("127.0.0.1:9001");
  const drops: { reason: string; from: string }[] = [];
  node.addEventListener("drop", (e) => drops.push(e.detail));
  const send = (bytes: Uint8Array) => {
    raw.send(node.address, bytes);
    clock.advance(1);
  };
  const close = async () => {
    await node.close();
    await raw.close();
  };
  return { node, send, drops, network, close };
}

Deno.test("wire: a native node drops a seed frame as seed-wire, not malformed, and answers nothing", async () => {
  const { node, send, drops, network, close } = await setup("native");
  try {
    const before = network.statsFor(node.address).sentPackets;
    send(ascii("INIT"));
    const m = node.metrics();
    assert.equal(m.dropped["seed-wire"], 1);
    assert.equal(m.dropped.malformed, 0);
    assert.deepEqual(drops, [{
      reason: "seed-wire",
      from: "127.0.0.1:9001",
      detail: "seed-format frame received by a native node",
    }]);
    assert.deepEqual(node.peers(), []);
    assert.equal(network.statsFor(node.address).sentPackets, before, "nothing is answered");
  } finally {
    await close();
  }
});

Deno.test("wire: every seed tag, NUL-padded or not, counts as seed-wire on a native node", async () => {
  const { node, send, close } = await setup("native");
  try {
    const frames = ["INIT", "INFO127.0.0.1:9002", "CONN", "GOSPHello!", "GOSPHi\0\0\0", "INFO"];
    for (const f of frames) send(ascii(f));
    assert.equal(node.metrics().dropped["seed-wire"], frames.length);
    assert.equal(node.metrics().dropped.malformed, 0);
  } finally {
    await close();
  }
});

Deno.test("wire: junk that is neither format stays malformed on a native node", async () => {
  const { node, send, close } = await setup("native");
  try {
    for (const f of ["HELO", "IN", ""]) send(ascii(f));
    assert.equal(node.metrics().dropped.malformed, 3);
    assert.equal(node.metrics().dropped["seed-wire"], 0);
  } finally {
    await close();
  }
});

Deno.test("wire: a seed-mode node drops a native frame as malformed and learns nothing from it", async () => {
  const { node, send, drops, close } = await setup("seed");
  try {
    send(encode({ type: "init", incarnation: 0 }));
    assert.equal(node.metrics().dropped.malformed, 1);
    assert.equal(drops[0].reason, "malformed");
    assert.deepEqual(node.peers(), []);
    // Its own format still works.
    send(ascii("CONN"));
    assert.deepEqual(node.peers(), ["127.0.0.1:9001"]);
  } finally {
    await close();
  }
});
