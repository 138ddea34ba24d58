/**
 * SeedProtocol exchanges: byte-exact with hand-written original-format
 * frames in both directions, and a mixed network of seed engines and minimal
 * original peers. Everything runs in-process on a VirtualClock and a
 * MemoryNetwork.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { ascii, latin1, OriginalPeer, rawPeer, seedNode, seedStep, utf8, world } from "./_seed.ts";

// --- byte-exact, our node joining an original peer ---------------------------

Deno.test("seed: joining an original peer sends exactly INIT, then CONN to each INFO peer", async () => {
  const w = world();
  const { clock, network } = w;
  const origin = rawPeer(w, "127.0.0.1:9000");
  const p1 = rawPeer(w, "127.0.0.1:9001");
  const p2 = rawPeer(w, "127.0.0.1:9002");
  const node = seedNode(w, "127.0.0.1:8000", ["127.0.0.1:9000"]);

  await node.start();
  clock.advance(1);
  deepStrictEqual(origin.got.map((g) => [g.from, g.bytes]), [["127.0.0.1:8000", "INIT"]]);
  strictEqual(node.joined, false);

  origin.send("127.0.0.1:8000", "INFO127.0.0.1:9001 127.0.0.1:9002");
  clock.advance(2);
  deepStrictEqual(p1.got.map((g) => [g.from, g.bytes]), [["127.0.0.1:8000", "CONN"]]);
  deepStrictEqual(p2.got.map((g) => [g.from, g.bytes]), [["127.0.0.1:8000", "CONN"]]);
  strictEqual(node.joined, true);
  deepStrictEqual(node.peers(), ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9000"]);
  deepStrictEqual(node.joins(), ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9000"]);
  deepStrictEqual(
    node.events.filter((e) => e.type === "joined"),
    [{ type: "joined", seed: "127.0.0.1:9000", members: 3 }],
  );

  // The INFO ends the INIT retries: nothing more reaches the origin.
  clock.advance(60_000);
  strictEqual(origin.got.length, 1);

  // Broadcast: exactly GOSPHello! to every peer, directly.
  node.broadcast(utf8.encode("Hello!"));
  clock.advance(1);
  for (const peer of [origin, p1, p2]) {
    deepStrictEqual(peer.got.at(-1), {
      from: "127.0.0.1:8000",
      bytes: "GOSPHello!",
      at: clock.now(),
    });
  }

  // An original GOSP padded with NULs is delivered as the bare text.
  p1.send("127.0.0.1:8000", "GOSPHi\0\0\0");
  clock.advance(1);
  const [message] = node.events.filter((e) => e.type === "message");
  ok(message?.type === "message");
  strictEqual(message.from, "127.0.0.1:9001");
  strictEqual(message.via, "127.0.0.1:9001");
  strictEqual(message.hops, 0);
  deepStrictEqual(message.payload, utf8.encode("Hi"));
  strictEqual(node.metrics().delivered, 1);
  // GOSP senders are not added (p1 is a peer already; an unknown one stays unknown).
  rawPeer(w, "127.0.0.1:9003").send("127.0.0.1:8000", "GOSPyo");
  clock.advance(1);
  deepStrictEqual(node.messages().at(-1), "127.0.0.1:9003 yo");
  ok(!node.peers().includes("127.0.0.1:9003"));

  await node.close();
  strictEqual(network.inFlight, 0);
  strictEqual(clock.pending, 0);
  await w.close();
});

// --- byte-exact, an original peer joining our node ----------------------------

Deno.test("seed: an original peer's INIT gets exactly INFO<a> <b>, and its CONN makes it a peer", async () => {
  const w = world();
  const { clock } = w;
  const node = seedNode(w, "127.0.0.1:8000", []);
  await node.start();
  strictEqual(node.joined, true);
  const a = rawPeer(w, "127.0.0.1:9001");
  const b = rawPeer(w, "127.0.0.1:9002");
  a.send("127.0.0.1:8000", "CONN");
  clock.advance(1);
  b.send("127.0.0.1:8000", "CONN");
  clock.advance(1);
  deepStrictEqual(node.peers(), ["127.0.0.1:9001", "127.0.0.1:9002"]);

  const newcomer = rawPeer(w, "127.0.0.1:9003");
  newcomer.send("127.0.0.1:8000", "INIT");
  clock.advance(2);
  deepStrictEqual(newcomer.got.map((g) => [g.from, g.bytes]), [
    ["127.0.0.1:8000", "INFO127.0.0.1:9001 127.0.0.1:9002"],
  ]);
  ok(node.peers().includes("127.0.0.1:9003"), "INIT adds the sender");

  // A repeated INIT (the INFO was lost) never lists the asker itself, nor adds it twice.
  newcomer.send("127.0.0.1:8000", "INIT");
  clock.advance(2);
  strictEqual(newcomer.got.at(-1)?.bytes, "INFO127.0.0.1:9001 127.0.0.1:9002");
  deepStrictEqual(node.joins(), ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"]);

  // A fourth peer announced only by CONN (as after someone else's INFO).
  const late = rawPeer(w, "127.0.0.1:9004");
  late.send("127.0.0.1:8000", "CONN");
  clock.advance(1);
  deepStrictEqual(node.peers(), [
    "127.0.0.1:9001",
    "127.0.0.1:9002",
    "127.0.0.1:9003",
    "127.0.0.1:9004",
  ]);
  // Nothing is ever sent to a CONN sender in reply.
  strictEqual(late.got.length, 0);

  const members = node.members();
  strictEqual(members[0].address, "127.0.0.1:8000");
  ok(members.every((m) => m.state === "alive" && m.incarnation === 0));
  // `since` is when it was added: the CONN arrived at the last tick.
  strictEqual(members.find((m) => m.address === "127.0.0.1:9004")?.since, clock.now());
  strictEqual(node.incarnation, 0);

  await node.close();
  await w.close();
});

Deno.test("seed: an empty INFO answers the first INIT, and INFO is bounded by maxDatagramSize", () => {
  // "INFO" + 14 + 1 + 14 = 33 bytes: a 40-byte bound fits two addresses, not three.
  const step = seedStep([], { maxDatagramSize: 40 });
  step.engine.start();
  step.engine.receive("127.0.0.1:9001", ascii("INIT"));
  deepStrictEqual(step.outbox.map((s) => [s.to, latin1(s.data)]), [["127.0.0.1:9001", "INFO"]]);
  for (const port of [9002, 9003]) step.engine.receive(`127.0.0.1:${port}`, ascii("CONN"));
  step.outbox = [];
  step.engine.receive("127.0.0.1:9009", ascii("INIT"));
  deepStrictEqual(step.outbox.map((s) => [s.to, latin1(s.data)]), [
    ["127.0.0.1:9009", "INFO127.0.0.1:9001 127.0.0.1:9002"],
  ]);
});

// --- a mixed network ------------------------------------------------------------

Deno.test("seed: 3 SeedProtocols and 2 original peers form a full mesh and all messages reach everyone", async () => {
  const w = world(7);
  const { clock } = w;
  const o1 = new OriginalPeer(w, "127.0.0.1:8001", "Hello!", 1000);
  const o2 = new OriginalPeer(w, "127.0.0.1:8002", "Hi from o2", 1000, true);
  const s1 = seedNode(w, "127.0.0.1:9001", ["127.0.0.1:8001"]);
  const s2 = seedNode(w, "127.0.0.1:9002", ["127.0.0.1:8002"]);
  const s3 = seedNode(w, "127.0.0.1:9003", ["127.0.0.1:9001"]);

  // o1 alone; s1 joins o1; o2 joins s1; s2 joins o2; s3 joins s1.
  o1.start();
  await s1.start();
  clock.advance(10);
  o2.start("127.0.0.1:9001");
  clock.advance(10);
  await s2.start();
  clock.advance(10);
  await s3.start();
  clock.advance(10);

  const all = [
    "127.0.0.1:8001",
    "127.0.0.1:8002",
    "127.0.0.1:9001",
    "127.0.0.1:9002",
    "127.0.0.1:9003",
  ];
  const knows: [string, string[]][] = [
    [o1.address, o1.peers],
    [o2.address, o2.peers],
    [s1.transport.address, s1.peers()],
    [s2.transport.address, s2.peers()],
    [s3.transport.address, s3.peers()],
  ];
  for (const [self, peers] of knows) {
    deepStrictEqual(
      [...peers].sort(),
      all.filter((a) => a !== self),
      `${self} knows everyone else`,
    );
  }
  for (const s of [s1, s2, s3]) {
    ok(s.joined);
    strictEqual(s.events.filter((e) => e.type === "joined").length, 1);
  }

  // Every seed engine broadcasts once; the originals gossip every period.
  s1.broadcast(utf8.encode("from s1"));
  s2.broadcast(utf8.encode("from s2"));
  s3.broadcast(utf8.encode("from s3 ✓"));
  clock.advance(1500);
  o1.stop();
  o2.stop();
  clock.advance(10);

  const texts: Record<string, string> = {
    "127.0.0.1:8001": "Hello!",
    "127.0.0.1:8002": "Hi from o2",
    "127.0.0.1:9001": "from s1",
    "127.0.0.1:9002": "from s2",
    "127.0.0.1:9003": "from s3 ✓",
  };
  for (const [self] of knows) {
    const heard = self === o1.address
      ? o1.printed
      : self === o2.address
      ? o2.printed
      : [s1, s2, s3].find((s) => s.transport.address === self)!.messages().map((m) => {
        const [from, ...rest] = m.split(" ");
        return `Received message [${rest.join(" ")}] from ${from}`;
      });
    for (const from of all) {
      if (from === self) continue;
      // The originals decode bytes one per character here; compare in the same form.
      const expected = self.startsWith("127.0.0.1:800")
        ? latin1(utf8.encode(texts[from]))
        : texts[from];
      ok(
        heard.includes(`Received message [${expected}] from ${from}`),
        `${self} heard ${from}: ${JSON.stringify(heard)}`,
      );
    }
  }
  // Nothing was dropped anywhere, though o2 pads every frame with a NUL.
  for (const s of [s1, s2, s3]) {
    const dropped = Object.values(s.metrics().dropped).reduce((x, y) => x + y, 0);
    strictEqual(dropped, 0);
    await s.close();
  }
  strictEqual(clock.pending, 0);
  await w.close();
});
