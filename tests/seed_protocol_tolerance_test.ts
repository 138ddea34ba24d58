/**
 * SeedProtocol tolerance of what original peers do: duplicate and
 * NUL-padded frames, seeds and peers that never answer, INIT retries,
 * broadcast limits, native frames and junk. Everything runs in-process on a
 * VirtualClock and a MemoryNetwork, or step by step.
 */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { encode } from "../src/wire/codec.ts";
import { ascii, latin1, rawPeer, seedNode, seedStep, utf8, world } from "./_seed.ts";

// --- tolerance ------------------------------------------------------------------

Deno.test("seed: duplicate CONN gives one join event; NUL-padded INIT, INFO and CONN are understood", async () => {
  const w = world();
  const { clock } = w;
  const node = seedNode(w, "127.0.0.1:8000", ["127.0.0.1:9000"]);
  const origin = rawPeer(w, "127.0.0.1:9000");
  const x = rawPeer(w, "127.0.0.1:9001");
  await node.start();
  origin.send("127.0.0.1:8000", "INFO127.0.0.1:9001\0\0\0");
  clock.advance(2);
  ok(node.joined);
  deepStrictEqual(x.got.map((g) => g.bytes), ["CONN"]);
  for (const frame of ["CONN", "CONN", "CONN\0", "CONN\0\0\0\0"]) x.send("127.0.0.1:8000", frame);
  clock.advance(1);
  deepStrictEqual(node.joins(), ["127.0.0.1:9001", "127.0.0.1:9000"]);
  deepStrictEqual(node.peers(), ["127.0.0.1:9001", "127.0.0.1:9000"]);

  const y = rawPeer(w, "127.0.0.1:9002");
  y.send("127.0.0.1:8000", "INIT\0");
  clock.advance(2);
  deepStrictEqual(y.got.map((g) => g.bytes), ["INFO127.0.0.1:9001 127.0.0.1:9000"]);
  strictEqual(node.metrics().dropped.malformed, 0);

  // A second INFO (say, from a retried INIT) adds only what is new and CONNs only that.
  origin.send("127.0.0.1:8000", "INFO127.0.0.1:9001  127.0.0.1:9002 127.0.0.1:8000\n");
  clock.advance(2);
  deepStrictEqual(x.got.map((g) => g.bytes), ["CONN"]);
  strictEqual(node.events.filter((e) => e.type === "joined").length, 1);
  await node.close();
  await w.close();
});

Deno.test("seed: a seed that never answers gets INIT again with growing gaps, up to joinRetryMax", async () => {
  const w = world();
  const { clock } = w;
  const silent = rawPeer(w, "127.0.0.1:9000");
  const config = { joinRetryInterval: 250, joinRetryMax: 2000 };
  // Also a seed with nothing bound at all.
  const node = seedNode(w, "127.0.0.1:8000", ["127.0.0.1:9000", "127.0.0.1:9999"], config);
  await node.start();
  clock.advance(10_000);
  ok(silent.got.every((g) => g.bytes === "INIT"));
  const times = silent.got.map((g) => g.at - 1);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  deepStrictEqual(gaps.slice(0, 6), [250, 500, 1000, 2000, 2000, 2000]);
  strictEqual(node.joined, false);
  deepStrictEqual(node.peers(), []);
  strictEqual(node.events.length, 0);
  strictEqual(node.metrics().packetsSent, silent.got.length * 2);

  await node.close();
  strictEqual(clock.pending, 0, "closing the node clears its INIT retry timer");
  await w.close();
});

Deno.test("seed: INIT is retried by a timer; leave() and stop() end the retries", () => {
  const step = seedStep(["127.0.0.1:9000", "127.0.0.1:8000"]);
  const sent = () => step.outbox.map((s) => `${s.to} ${latin1(s.data)}`);
  step.engine.start();
  deepStrictEqual(sent(), ["127.0.0.1:9000 INIT"], "a seed equal to self is ignored");
  deepStrictEqual(step.pending().map((p) => [p.timer.name, p.at]), [["join", 250]]);
  step.fire("join");
  deepStrictEqual(sent(), ["127.0.0.1:9000 INIT", "127.0.0.1:9000 INIT"]);
  deepStrictEqual(step.pending().map((p) => [p.timer.name, p.at]), [["join", 750]]);
  // leave(): nothing to say on this wire, but no more INIT.
  step.engine.leave();
  step.fire("join");
  strictEqual(step.outbox.length, 2);
  deepStrictEqual(step.pending(), []);
  // After stop: timers do nothing, datagrams are dropped as "closed", broadcast refuses.
  const other = seedStep(["127.0.0.1:9000"]);
  other.engine.start();
  other.engine.stop();
  other.fire("join");
  strictEqual(other.outbox.length, 1);
  other.engine.receive("127.0.0.1:9000", ascii("INFO"));
  strictEqual(other.engine.metrics().dropped.closed, 1);
  strictEqual(other.engine.joined, false);
  throws(() => other.engine.broadcast(utf8.encode("x")), Error);
});

Deno.test("seed: a peer listed in INFO that never answers breaks nothing", async () => {
  const w = world();
  const { clock } = w;
  const origin = rawPeer(w, "127.0.0.1:9000");
  const live = rawPeer(w, "127.0.0.1:9001");
  const node = seedNode(w, "127.0.0.1:8000", ["127.0.0.1:9000"]);
  await node.start();
  // 127.0.0.1:9998 is bound but never listens; 127.0.0.1:9999 is not bound at all.
  w.bind("127.0.0.1:9998");
  origin.send("127.0.0.1:8000", "INFO127.0.0.1:9998 127.0.0.1:9999 127.0.0.1:9001");
  clock.advance(2);
  ok(node.joined);
  deepStrictEqual(node.peers(), [
    "127.0.0.1:9998",
    "127.0.0.1:9999",
    "127.0.0.1:9001",
    "127.0.0.1:9000",
  ]);
  for (let i = 0; i < 3; i++) node.broadcast(utf8.encode(`m${i}`));
  clock.advance(60_000);
  deepStrictEqual(live.got.map((g) => g.bytes), ["CONN", "GOSPm0", "GOSPm1", "GOSPm2"]);
  deepStrictEqual(origin.got.map((g) => g.bytes), ["INIT", "GOSPm0", "GOSPm1", "GOSPm2"]);
  strictEqual(node.metrics().broadcasts, 3);
  strictEqual(node.metrics().packetsSent, 1 + 3 + 3 * 4);
  await node.close();
  strictEqual(clock.pending, 0);
  await w.close();
});

Deno.test("seed: broadcast takes UTF-8 text that fits one datagram", () => {
  const step = seedStep([], { maxDatagramSize: 20 });
  const engine = step.engine;
  throws(() => engine.broadcast(utf8.encode("early")), Error, "not running before start");
  engine.start();
  engine.receive("127.0.0.1:9001", ascii("CONN"));
  const id1 = engine.broadcast(utf8.encode("é ✓"));
  deepStrictEqual(step.outbox.map((s) => s.data), [
    new Uint8Array([...ascii("GOSP"), ...utf8.encode("é ✓")]),
  ]);
  const id2 = engine.broadcast(new Uint8Array(16).fill(0x61));
  ok(id2 !== id1);
  throws(() => engine.broadcast(new Uint8Array([0x61, 0xff])), TypeError);
  throws(() => engine.broadcast(new Uint8Array([0xc3])), TypeError);
  throws(() => engine.broadcast(utf8.encode("ends in newline\n")), TypeError);
  throws(() => engine.broadcast(new Uint8Array(17).fill(0x61)), RangeError);
  strictEqual(engine.metrics().broadcasts, 2);
  strictEqual(step.outbox.length, 2);
  engine.stop();
});

// --- native frames and junk ---------------------------------------------------------

Deno.test("seed: native frames and junk are dropped and counted, never thrown", () => {
  const step = seedStep([]);
  const engine = step.engine;
  engine.start();
  const from = "127.0.0.1:9001";
  // The engine knows only its own format (a node tells native frames apart
  // before they reach it; see wire_detect_test.ts).
  engine.receive(from, encode({ type: "ack", seq: 1 }));
  engine.receive(from, encode({ type: "init", incarnation: 0 }));
  const junk = [
    new Uint8Array(0),
    ascii("IN"),
    ascii("HELO"),
    ascii("INITx"),
    ascii("INFO127.0.0.1"),
    new Uint8Array([...ascii("GOSP"), 0xff]),
    new Uint8Array([0xd7]),
  ];
  for (const bytes of junk) engine.receive(from, bytes);
  engine.receive(from, new Uint8Array(70_000));
  const m = engine.metrics();
  strictEqual(m.dropped.malformed, 2 + junk.length);
  strictEqual(m.dropped.oversized, 1);
  deepStrictEqual(engine.peers(), []);
  strictEqual(m.delivered, 0);
  const drops = step.eventsOf("drop");
  strictEqual(drops.length, 2 + junk.length + 1);
  ok(drops.every((e) => e.from === from && e.detail.length > 0));
  ok(/unknown seed tag/.test(drops[2 + 2].detail), JSON.stringify(drops[4]));
  deepStrictEqual(step.outbox, [], "nothing is answered");
  engine.stop();
});
