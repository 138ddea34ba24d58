/**
 * MemoryNetwork delivery: never inside send, timing on a virtual or the
 * system clock, binding, stats, taps, determinism, scale and the event heap.
 */

import assert from "node:assert/strict";
import { seededRandom, VirtualClock } from "../src/testing/mod.ts";
import { parseAddress } from "../src/address.ts";
import { MemoryNetwork, type MemoryTransport } from "../src/testing/mod.ts";
import { Heap } from "../src/testing/_heap.ts";
import { assertBalanced, closeAll, collect, dec, enc } from "./_memory_network.ts";

Deno.test("memory network: delivers datagrams, never inside send", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock });
  const a = network.bind("10.0.0.1:7946");
  const b = network.bind("10.0.0.2:7946");
  const got = collect(clock, b);
  a.send(b.address, enc.encode("one"));
  a.send(b.address, enc.encode("two"));
  assert.equal(got.length, 0, "nothing is delivered synchronously");
  assert.equal(network.inFlight, 2);
  clock.advance(0);
  assert.deepEqual(got.map((r) => [r.from, r.text]), [
    ["10.0.0.1:7946", "one"],
    ["10.0.0.1:7946", "two"],
  ]);
  assert.equal(network.stats.delivered, 2);
  assert.equal(network.stats.bytes, 6);
  assertBalanced(network);
  await closeAll(a, b);
  assert.equal(clock.pending, 0);
});

Deno.test("memory network: a handler that sends is not re-entered", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock });
  const a = network.bind(), b = network.bind();
  let depth = 0, maxDepth = 0, count = 0;
  const pingPong = (self: MemoryTransport) => (from: string, data: Uint8Array) => {
    depth++;
    maxDepth = Math.max(maxDepth, depth);
    count++;
    if (data[0] < 10) self.send(from, new Uint8Array([data[0] + 1]));
    depth--;
  };
  a.listen(pingPong(a));
  b.listen(pingPong(b));
  a.send(b.address, new Uint8Array([0]));
  clock.advance(0);
  assert.equal(count, 11);
  assert.equal(maxDepth, 1);
  await closeAll(a, b);
});

Deno.test("memory network: delay and jitter on a virtual clock", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, random: seededRandom(3), delay: 10, jitter: 20 });
  const a = network.bind(), b = network.bind();
  const got = collect(clock, b);
  for (let i = 0; i < 200; i++) a.send(b.address, enc.encode(String(i)));
  clock.advance(9.999);
  assert.equal(got.length, 0, "nothing arrives before the base delay");
  clock.advance(20.001);
  assert.equal(got.length, 200);
  for (const r of got) assert.ok(r.at >= 10 && r.at < 30, `arrived at ${r.at}`);
  for (let i = 1; i < got.length; i++) assert.ok(got[i - 1].at <= got[i].at, "in time order");
  const order = got.map((r) => Number(r.text));
  assert.notDeepEqual(order, [...order].sort((x, y) => x - y), "jitter reorders");
  // Without jitter, same-time datagrams keep their send order.
  network.jitter = 0;
  const start = clock.now();
  got.length = 0;
  for (let i = 0; i < 50; i++) a.send(b.address, enc.encode(String(i)));
  clock.advance(10);
  assert.deepEqual(got.map((r) => Number(r.text)), [...Array(50).keys()]);
  assert.ok(got.every((r) => r.at === start + 10));
  await closeAll(a, b);
});

Deno.test("memory network: bind allocates, validates and refuses addresses in use", async () => {
  const network = new MemoryNetwork({ clock: new VirtualClock() });
  const ts: MemoryTransport[] = [];
  for (let i = 0; i < 600; i++) ts.push(network.bind());
  const addrs = new Set(ts.map((t) => t.address));
  assert.equal(addrs.size, 600);
  for (const addr of addrs) {
    const { hostname, port } = parseAddress(addr);
    assert.equal(port, 7946);
    assert.match(hostname, /^10\.\d+\.\d+\.\d+$/);
    assert.ok(hostname.split(".").every((x) => Number(x) <= 255));
  }
  assert.equal(ts[0].address, "10.0.0.1:7946");
  assert.throws(
    () => network.bind(ts[0].address),
    (e: unknown) => e instanceof Deno.errors.AddrInUse && e.message.includes(ts[0].address),
  );
  assert.throws(() => network.bind("sim-1"), TypeError);
  assert.throws(() => network.bind("host:port"), TypeError);
  // A manual bind on an address the allocator would pick is skipped over.
  const manual = network.bind("10.0.2.93:7946");
  const next = network.bind();
  assert.equal(next.address, "10.0.2.94:7946");
  // Port 0 picks a free port on the host.
  const e1 = network.bind("127.0.0.1:0"), e2 = network.bind("[::1]:0");
  assert.equal(e1.address, "127.0.0.1:49152");
  assert.equal(parseAddress(e2.address).hostname, "::1");
  assert.notEqual(parseAddress(e2.address).port, 0);
  assert.equal(network.addresses().length, 604);
  await ts[0].close();
  const again = network.bind(ts[0].address);
  assert.equal(again.address, ts[0].address);
  assert.throws(() => Reflect.construct(Object.getPrototypeOf(again).constructor, []), TypeError);
  await closeAll(...ts, manual, next, e1, e2, again);
  assert.equal(network.addresses().length, 0);
});

Deno.test("memory network: per-address stats", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock });
  const a = network.bind(), b = network.bind(), c = network.bind();
  b.listen(() => {});
  c.listen(() => {});
  a.send(b.address, new Uint8Array(10));
  a.send(b.address, new Uint8Array(20));
  a.send(c.address, new Uint8Array(5));
  b.send(c.address, new Uint8Array(7));
  network.crash(c.address);
  a.send(c.address, new Uint8Array(100)); // counted as sent, never received
  clock.advance(0);
  assert.deepEqual(network.statsFor(a.address), {
    sentPackets: 4,
    sentBytes: 135,
    receivedPackets: 0,
    receivedBytes: 0,
  });
  assert.deepEqual(network.statsFor(b.address), {
    sentPackets: 1,
    sentBytes: 7,
    receivedPackets: 2,
    receivedBytes: 30,
  });
  assert.deepEqual(network.statsFor(c.address), {
    sentPackets: 0,
    sentBytes: 0,
    receivedPackets: 0,
    receivedBytes: 0,
  }, "datagrams in flight to a crashed node are dropped");
  assert.deepEqual(network.statsFor("10.99.99.99:1").sentPackets, 0);
  const snapshot = network.statsFor(a.address);
  snapshot.sentPackets = 1000;
  assert.equal(network.statsFor(a.address).sentPackets, 4, "a snapshot, not the live object");
  await a.close();
  assert.equal(network.statsFor(a.address).sentPackets, 4, "kept after close");
  assert.deepEqual(network.stats, {
    sent: 5,
    delivered: 2,
    dropped: { loss: 0, partition: 0, crashed: 3, mtu: 0, unbound: 0 },
    bytes: 142,
  });
  await closeAll(b, c);
});

Deno.test("memory network: copies datagrams and taps traffic", async () => {
  const clock = new VirtualClock();
  const tapped: string[] = [];
  const network = new MemoryNetwork({
    clock,
    tap: (from, to, data) => tapped.push(`${from}>${to}:${data.length}`),
  });
  const a = network.bind(), b = network.bind();
  const got = collect(clock, b);
  const buf = enc.encode("abc");
  a.send(b.address, buf);
  buf.set(enc.encode("xyz"));
  a.send("10.250.0.1:1", buf);
  clock.advance(0);
  assert.deepEqual(got.map((r) => r.text), ["abc"]);
  assert.deepEqual(tapped, [`${a.address}>${b.address}:3`, `${a.address}>10.250.0.1:1:3`]);
  await closeAll(a, b);
});

function runTrace(seed: number): string[] {
  const clock = new VirtualClock();
  const random = seededRandom(seed);
  const network = new MemoryNetwork({ clock, random: seededRandom(seed + 1), delay: 2, jitter: 8 });
  network.loss = 0.2;
  const nodes = Array.from({ length: 20 }, () => network.bind());
  const trace: string[] = [];
  for (const t of nodes) {
    t.listen((from, data) => {
      trace.push(`${clock.now().toFixed(6)} ${from}>${t.address} ${data[0]}`);
      if (data[0] > 0) {
        const to = nodes[Math.floor(random.next() * nodes.length)].address;
        t.send(to, new Uint8Array([data[0] - 1]));
      }
    });
  }
  for (let i = 0; i < 50; i++) {
    const from = nodes[Math.floor(random.next() * nodes.length)];
    const to = nodes[Math.floor(random.next() * nodes.length)];
    from.send(to.address, new Uint8Array([10]));
  }
  network.partition(nodes.slice(0, 5).map((t) => t.address));
  clock.advance(30);
  network.heal();
  clock.advance(1000);
  for (const t of nodes) void t.close();
  assert.equal(clock.pending, 0);
  trace.push(JSON.stringify(network.stats));
  return trace;
}

Deno.test("memory network: same seed, same delivery trace", () => {
  const one = runTrace(7);
  const two = runTrace(7);
  assert.ok(one.length > 50, `trace has ${one.length} entries`);
  assert.deepEqual(one, two);
  assert.notDeepEqual(runTrace(8), one);
});

Deno.test("memory network: system clock delivers on a macrotask", async () => {
  const network = new MemoryNetwork();
  const a = network.bind(), b = network.bind();
  try {
    let delivered = false;
    const got = new Promise<string>((resolve) =>
      b.listen((from, data) => {
        delivered = true;
        resolve(`${from} ${dec.decode(data)}`);
      })
    );
    a.send(b.address, enc.encode("hello"));
    await Promise.resolve();
    assert.equal(delivered, false, "not even on a microtask");
    assert.equal(await got, `${a.address} hello`);
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("memory network: a closed sender's datagram still arrives (system clock)", async () => {
  const network = new MemoryNetwork({ delay: 5 });
  const a = network.bind(), b = network.bind();
  try {
    const got = new Promise<string>((resolve) =>
      b.listen((_from, data) => resolve(dec.decode(data)))
    );
    a.send(b.address, enc.encode("bye"));
    await a.close();
    assert.equal(await got, "bye");
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("memory network: no timers leak when closing with datagrams in flight", async () => {
  // Sanitizers are on: a pending timer left behind fails this test.
  const network = new MemoryNetwork({ delay: 60_000, jitter: 1000 });
  const nodes = Array.from({ length: 10 }, () => network.bind());
  for (const t of nodes) t.listen(() => {});
  for (const x of nodes) for (const y of nodes) x.send(y.address, new Uint8Array(16));
  assert.equal(network.inFlight, 100);
  for (const t of nodes) await t.close();
  assert.equal(network.inFlight, 0);
  assertBalanced(network);
});

Deno.test("memory network: 10,000 nodes, 200,000 datagrams on a virtual clock", async () => {
  const clock = new VirtualClock();
  const random = seededRandom(99);
  const network = new MemoryNetwork({ clock, random, delay: 1, jitter: 4, loss: 0.01 });
  const nodes = Array.from({ length: 10_000 }, () => network.bind());
  let received = 0;
  for (const t of nodes) t.listen(() => received++);
  const data = new Uint8Array(64);
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < nodes.length; i++) {
      nodes[i].send(nodes[Math.floor(random.next() * nodes.length)].address, data);
    }
    clock.advance(10);
  }
  assert.equal(network.inFlight, 0);
  assert.equal(received, network.stats.delivered);
  assert.equal(network.stats.sent, 200_000);
  assertBalanced(network);
  await closeAll(...nodes);
  assert.equal(clock.pending, 0);
});

Deno.test("memory network: the event heap pops by (at, seq) and survives removeWhere", () => {
  const random = seededRandom(5);
  const heap = new Heap<{ at: number; seq: number }>();
  const all: { at: number; seq: number }[] = [];
  for (let seq = 0; seq < 5000; seq++) {
    // Few distinct times, so ties are common and seq must break them.
    const item = { at: Math.floor(random.next() * 50), seq };
    all.push(item);
    heap.push(item.at, item.seq, item);
  }
  assert.equal(heap.size, 5000);
  const removed = heap.removeWhere((x) => x.seq % 3 === 0);
  assert.equal(removed, 1667);
  const expected = all.filter((x) => x.seq % 3 !== 0).sort((x, y) => x.at - y.at || x.seq - y.seq);
  const popped: { at: number; seq: number }[] = [];
  for (let i = 0; i < 100; i++) popped.push(heap.pop()!);
  // Pushes after pops still land in order.
  for (const x of expected.slice(0, 100)) heap.push(x.at, x.seq, x);
  const again: { at: number; seq: number }[] = [];
  while (heap.size > 0) {
    assert.equal(heap.peekAt(), heap.peek()!.at);
    assert.equal(heap.peekSeq(), heap.peek()!.seq);
    again.push(heap.pop()!);
  }
  assert.deepEqual(popped, expected.slice(0, 100));
  assert.deepEqual(
    again,
    [...expected.slice(0, 100), ...expected.slice(100)].sort((x, y) =>
      x.at - y.at || x.seq - y.seq
    ),
  );
  assert.equal(heap.pop(), undefined);
  assert.equal(heap.peekAt(), Infinity);
});
