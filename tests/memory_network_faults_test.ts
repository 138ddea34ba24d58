/**
 * MemoryNetwork faults: loss, per-link overrides, partitions, crashes, the
 * MTU, and unbound or closed destinations.
 */

import assert from "node:assert/strict";
import { seededRandom, VirtualClock } from "../src/testing/mod.ts";
import { MemoryNetwork } from "../src/testing/mod.ts";
import { assertBalanced, closeAll, collect, enc } from "./_memory_network.ts";

Deno.test("memory network: loss rate over 10,000 datagrams", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, random: seededRandom(12345) });
  network.loss = 0.3;
  const a = network.bind(), b = network.bind();
  let received = 0;
  b.listen(() => received++);
  const data = new Uint8Array(8);
  for (let i = 0; i < 10_000; i++) a.send(b.address, data);
  clock.advance(1);
  const { dropped, delivered } = network.stats;
  assert.equal(received, delivered);
  assert.equal(delivered + dropped.loss, 10_000);
  // Expected 3000 lost, sd ~46; the seed is fixed, so this is exact and cannot flake.
  assert.ok(dropped.loss > 2800 && dropped.loss < 3200, `lost ${dropped.loss}`);
  assert.throws(() => network.loss = 1.5, RangeError);
  await closeAll(a, b);
});

Deno.test("memory network: per-link overrides and clearLinks", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, delay: 5 });
  const a = network.bind(), b = network.bind(), c = network.bind();
  network.setLink(a.address, b.address, { delay: 50 });
  network.setLink(a.address, c.address, { loss: 1 });
  const gotB = collect(clock, b);
  const gotC = collect(clock, c);
  const gotA = collect(clock, a);
  a.send(b.address, enc.encode("slow"));
  a.send(c.address, enc.encode("lost"));
  b.send(a.address, enc.encode("back")); // the reverse direction keeps the default
  clock.advance(100);
  assert.deepEqual(gotB.map((r) => r.at), [50]);
  assert.equal(gotC.length, 0);
  assert.deepEqual(gotA.map((r) => r.at), [5]);
  assert.equal(network.stats.dropped.loss, 1);
  network.clearLinks();
  a.send(c.address, enc.encode("now"));
  clock.advance(5);
  assert.deepEqual(gotC.map((r) => r.text), ["now"]);
  await closeAll(a, b, c);
});

Deno.test("memory network: partition and heal", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, delay: 10 });
  const [a, b, c, d] = [network.bind(), network.bind(), network.bind(), network.bind()];
  const got = new Map<string, string[]>();
  for (const t of [a, b, c, d]) {
    const list: string[] = [];
    got.set(t.address, list);
    t.listen((from) => list.push(from));
  }
  const all = [a, b, c, d];
  const meshSend = () => {
    for (const x of all) for (const y of all) if (x !== y) x.send(y.address, new Uint8Array(1));
  };
  network.partition([a.address, b.address], [c.address]);
  meshSend();
  clock.advance(10);
  assert.deepEqual(got.get(a.address)!.sort(), [b.address, d.address].sort());
  assert.deepEqual(got.get(c.address)!.sort(), [d.address]);
  assert.deepEqual(got.get(d.address)!.length, 3, "d is in neither group");
  assert.equal(network.stats.dropped.partition, 4);
  assert.ok(network.isPartitioned(c.address, a.address));
  assert.ok(!network.isPartitioned(a.address, b.address));

  // In flight across a new cut: dropped on arrival.
  a.send(c.address, new Uint8Array(1));
  network.heal();
  c.send(a.address, new Uint8Array(1));
  network.partition([a.address]); // isolate a from everyone, including later binds
  clock.advance(10);
  assert.equal(network.stats.dropped.partition, 5 + 1);
  const e = network.bind();
  e.send(a.address, new Uint8Array(1));
  e.send(b.address, new Uint8Array(1));
  clock.advance(10);
  assert.equal(network.stats.dropped.partition, 7);
  assert.equal(got.get(b.address)!.filter((x) => x === e.address).length, 1);

  network.heal();
  for (const l of got.values()) l.length = 0;
  meshSend();
  clock.advance(10);
  for (const l of got.values()) assert.equal(l.length, 3);
  assert.throws(() => network.partition([a.address], [a.address]), RangeError);
  assertBalanced(network);
  await closeAll(a, b, c, d, e);
});

Deno.test("memory network: overlapping partitions", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock });
  const [a, b, c] = ["10.9.0.1:1", "10.9.0.2:1", "10.9.0.3:1"];
  network.partition([a], [b]);
  network.partition([b], [c]);
  assert.ok(network.isPartitioned(a, b) && network.isPartitioned(b, a));
  assert.ok(network.isPartitioned(b, c) && network.isPartitioned(c, b));
  assert.ok(!network.isPartitioned(a, c) && !network.isPartitioned(c, a));
  assert.ok(!network.isPartitioned(a, "10.9.0.4:1"));
  network.heal();
  assert.ok(!network.isPartitioned(a, b));
  await Promise.resolve();
});

Deno.test("memory network: crash and restore", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, delay: 10 });
  const a = network.bind(), b = network.bind();
  const gotA = collect(clock, a), gotB = collect(clock, b);
  a.send(b.address, enc.encode("in flight"));
  network.crash(b.address);
  a.send(b.address, enc.encode("to crashed"));
  b.send(a.address, enc.encode("from crashed"));
  clock.advance(10);
  assert.equal(gotA.length, 0);
  assert.equal(gotB.length, 0);
  assert.equal(network.stats.dropped.crashed, 3);
  assert.ok(network.isCrashed(b.address));
  assert.ok(!b.closed, "the crashed transport is not told");
  network.restore(b.address);
  a.send(b.address, enc.encode("again"));
  b.send(a.address, enc.encode("back"));
  clock.advance(10);
  assert.deepEqual(gotB.map((r) => r.text), ["again"]);
  assert.deepEqual(gotA.map((r) => r.text), ["back"]);
  // The mark belongs to the address: a rebound transport is still crashed.
  network.crash(b.address);
  await b.close();
  const b2 = network.bind(b.address);
  const gotB2 = collect(clock, b2);
  a.send(b2.address, enc.encode("x"));
  clock.advance(10);
  assert.equal(gotB2.length, 0);
  network.restore(b2.address);
  assertBalanced(network);
  await closeAll(a, b2);
});

Deno.test("memory network: datagrams over the MTU are dropped", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, mtu: 1400 });
  const a = network.bind(), b = network.bind();
  const got = collect(clock, b);
  a.send(b.address, new Uint8Array(1400));
  a.send(b.address, new Uint8Array(1401));
  clock.advance(0);
  assert.equal(got.length, 1);
  assert.equal(network.stats.dropped.mtu, 1);
  assert.equal(network.mtu, 1400);
  assert.equal(new MemoryNetwork().mtu, 65507);
  assert.throws(() => new MemoryNetwork({ mtu: 0 }), RangeError);
  await closeAll(a, b);
});

Deno.test("memory network: unbound and closed destinations", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, delay: 10 });
  const a = network.bind(), b = network.bind();
  const got = collect(clock, b);
  a.send("10.200.0.1:7946", new Uint8Array(1)); // nobody there
  a.send("not an address", new Uint8Array(1)); // never throws
  assert.equal(network.stats.dropped.unbound, 2);
  a.send(b.address, enc.encode("doomed"));
  a.send(b.address, enc.encode("doomed"));
  assert.equal(network.inFlight, 2);
  await b.close();
  assert.equal(network.inFlight, 0, "in flight to a closed transport is dropped at once");
  assert.equal(clock.pending, 0, "and its timer is gone");
  assert.equal(network.stats.dropped.unbound, 4);
  // Rebinding the address does not receive the old datagrams.
  const b2 = network.bind(b.address);
  const got2 = collect(clock, b2);
  clock.advance(100);
  assert.equal(got.length + got2.length, 0);
  // A transport that has not called listen drops what arrives.
  const c = network.bind();
  a.send(c.address, new Uint8Array(1));
  clock.advance(10);
  assert.equal(network.stats.dropped.unbound, 5);
  // A closed sender's datagrams still arrive; sending after close is a no-op.
  a.send(b2.address, enc.encode("last words"));
  await a.close();
  a.send(b2.address, enc.encode("ignored"));
  clock.advance(10);
  assert.deepEqual(got2.map((r) => r.text), ["last words"]);
  assert.ok(a.closed);
  await a.close(); // idempotent
  assertBalanced(network);
  await closeAll(b2, c);
});
