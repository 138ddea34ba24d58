import assert from "node:assert/strict";
import { encode, GossipNode, type MessageDetail } from "../mod.ts";
import { closeAll, fullMesh, startCluster, startNode, waitFor } from "./helpers.ts";

const text = (p: Uint8Array) => new TextDecoder().decode(p);

/** Whether this machine can bind UDP on the IPv6 loopback (probed once, at load). */
const noIpv6 = (() => {
  try {
    Deno.listenDatagram({ transport: "udp", hostname: "::1", port: 0 }).close();
    return undefined;
  } catch (e) {
    return `no IPv6 loopback here (${e})`;
  }
})();

/** Records every message each node delivers. */
function record(nodes: GossipNode[]): Map<string, MessageDetail[]> {
  const got = new Map<string, MessageDetail[]>();
  for (const n of nodes) {
    const list: MessageDetail[] = [];
    got.set(n.address, list);
    n.addEventListener("message", (e) => list.push(e.detail));
  }
  return got;
}

Deno.test("node: three peers on loopback form a full mesh and deliver broadcasts once each", async () => {
  const nodes = await startCluster(3);
  try {
    await waitFor(() => fullMesh(nodes), { what: "full mesh of 3" });
    const got = record(nodes);
    nodes[0].broadcast("first");
    nodes[1].broadcast(new TextEncoder().encode("second"));
    const count = (i: number) => got.get(nodes[i].address)!.length;
    await waitFor(() => count(0) === 1 && count(1) === 1 && count(2) === 2, {
      what: "both messages everywhere",
    });
    const third = nodes[2].broadcast("third");
    await waitFor(() => count(0) === 2 && count(1) === 2, { what: "third message" });
    for (const n of nodes) {
      const list = got.get(n.address)!;
      // Nobody receives its own message, and every other message exactly once.
      assert.equal(list.filter((m) => m.from === n.address).length, 0);
      const keys = list.map((m) => `${m.from}/${m.id}`);
      assert.equal(new Set(keys).size, keys.length, "no duplicate deliveries");
    }
    const at1 = got.get(nodes[1].address)!.find((m) => m.id === third)!;
    assert.equal(at1.from, nodes[2].address);
    assert.equal(text(at1.payload), "third");
  } finally {
    await closeAll(nodes);
  }
});

Deno.test("node: 25 peers joining through one seed form a full mesh; a broadcast reaches all", async () => {
  const started = performance.now();
  const nodes = await startCluster(25);
  try {
    const formed = await waitFor(() => fullMesh(nodes), { what: "full mesh of 25" });
    console.log(
      `  25-peer mesh formed ${formed.toFixed(0)} ms after the last start (${
        (performance.now() - started).toFixed(0)
      } ms in all)`,
    );
    const got = record(nodes);
    const t0 = performance.now();
    nodes[7].broadcast("to everyone");
    await waitFor(
      () => nodes.every((n) => n === nodes[7] || got.get(n.address)!.length === 1),
      { what: "broadcast at 24 peers" },
    );
    console.log(`  broadcast reached 24 peers in ${(performance.now() - t0).toFixed(1)} ms`);
  } finally {
    await closeAll(nodes);
  }
});

Deno.test("node: peers joining through different seeds (a chain) still end in a full mesh", async () => {
  // Node i joins through node i-1: no single node introduced everyone.
  const nodes = await startCluster(8, {}, (i) => i - 1);
  try {
    await waitFor(() => fullMesh(nodes), { what: "full mesh through a chain of seeds" });
  } finally {
    await closeAll(nodes);
  }
});

Deno.test("node: two groups joined through their own seeds merge when one node bridges them", async () => {
  const a = await startCluster(4);
  const b = await startCluster(4);
  const bridge = await startNode({ seeds: [a[1].address, b[2].address] });
  const all = [...a, ...b, bridge];
  try {
    await waitFor(() => fullMesh(all), { what: "merged mesh", timeout: 20_000 });
  } finally {
    await closeAll(all);
  }
});

Deno.test("node: a join retries until the seed comes up", async () => {
  // Reserve a free port, release it, and point the joiner at it before anyone listens.
  const probe = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const joiner = await startNode({ seeds: [`127.0.0.1:${port}`], joinRetryInterval: 50 });
  let seed: GossipNode | undefined;
  try {
    assert.equal(joiner.joined, false);
    await waitFor(() => joiner.metrics().packetsSent >= 2, { what: "a retried INIT" });
    seed = await startNode({ port });
    await waitFor(() => joiner.joined && seed!.peers().includes(joiner.address), {
      what: "late join",
    });
    assert.deepEqual(joiner.peers(), [seed.address]);
  } finally {
    await joiner.close();
    await seed?.close();
  }
});

Deno.test({
  name: `node: IPv6 loopback works${noIpv6 ? ` (ignored: ${noIpv6})` : ""}`,
  ignore: noIpv6 !== undefined,
}, async () => {
  const pair: GossipNode[] = [];
  try {
    const a = await startNode({ hostname: "::1" });
    pair.push(a);
    const b = await startNode({ hostname: "::1", seeds: [a.address] });
    pair.push(b);
    assert.match(a.address, /^\[::1\]:\d+$/);
    await waitFor(() => fullMesh([a, b]), { what: "IPv6 pair" });
    const got = record([a]);
    b.broadcast("over v6");
    await waitFor(() => got.get(a.address)!.length === 1);
  } finally {
    await closeAll(pair);
  }
});

Deno.test("node: mesh mode sends every message straight to every peer (the original design)", async () => {
  const nodes = await startCluster(5, { mode: "mesh" });
  try {
    await waitFor(() => fullMesh(nodes));
    const got = record(nodes);
    for (const n of nodes) n.broadcast(`from ${n.address}`);
    await waitFor(() => [...got.values()].every((l) => l.length === 4), { what: "all-to-all" });
    for (const list of got.values()) {
      assert.ok(list.every((m) => m.hops === 0 && m.via === m.from), "no relaying in mesh mode");
    }
  } finally {
    await closeAll(nodes);
  }
});

Deno.test("node: leave() is seen as 'left' by the others, and close() twice is harmless", async () => {
  const nodes = await startCluster(4);
  try {
    await waitFor(() => fullMesh(nodes));
    const leaves: string[] = [];
    nodes[0].addEventListener("leave", (e) => leaves.push(e.detail.address));
    const leaver = nodes[3];
    await leaver.leave();
    await waitFor(() => leaves.length === 1, { what: "leave event" });
    assert.deepEqual(leaves, [leaver.address]);
    for (const n of nodes.slice(0, 3)) {
      await waitFor(() => n.members().find((m) => m.address === leaver.address)?.state === "left");
      assert.ok(!n.peers().includes(leaver.address));
    }
    await leaver.close();
    await leaver.close();
  } finally {
    await closeAll(nodes);
  }
});

Deno.test("node: malformed and forged datagrams are dropped and counted, the table is unchanged", async () => {
  const nodes = await startCluster(2);
  const attacker = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await waitFor(() => fullMesh(nodes));
    const target = nodes[0];
    const before = JSON.stringify(target.members());
    const [hostname, port] = [target.address.split(":")[0], Number(target.address.split(":")[1])];
    const junk = [
      new Uint8Array([1, 2, 3]),
      new Uint8Array(0),
      encode({ type: "ack", seq: 1 }).subarray(0, 4),
      new TextEncoder().encode("GOSPHello!"),
      new Uint8Array(2000).fill(0xd7),
    ];
    for (const j of junk) await attacker.send(j, { transport: "udp", hostname, port });
    await waitFor(
      () =>
        target.metrics().dropped.malformed + target.metrics().dropped["seed-wire"] === junk.length,
      {
        what: "drops counted",
      },
    );
    assert.equal(JSON.stringify(target.members()), before);
    assert.deepEqual(target.peers(), [nodes[1].address]);
  } finally {
    attacker.close();
    await closeAll(nodes);
  }
});

Deno.test("node: a port in use is a clear AddrInUse error; bad options are rejected", async () => {
  const a = await GossipNode.start();
  try {
    const port = Number(a.address.split(":")[1]);
    await assert.rejects(
      () => GossipNode.start({ port }),
      (e: unknown) => e instanceof Deno.errors.AddrInUse && /already in use/.test(e.message),
    );
    await assert.rejects(() => GossipNode.start({ seeds: ["nope"] }), TypeError);
    await assert.rejects(() => GossipNode.start({ period: 0 }), RangeError);
    await assert.rejects(() => GossipNode.start({ period: -5 }), RangeError);
    assert.throws(() => a.broadcast(new Uint8Array(5000)), RangeError);
  } finally {
    await a.close();
  }
});

Deno.test("node: `await using` closes the node at the end of the scope", async () => {
  let address = "";
  {
    await using node = await GossipNode.start();
    address = node.address;
  }
  // The port is free again.
  const again = await GossipNode.start({ port: Number(address.split(":")[1]) });
  await again.close();
});

Deno.test("node: a 10-peer UDP cluster declares dead a peer whose socket closed without leaving", async () => {
  // Faster than LAN so the test is short: probe every 200 ms, suspicion 3 x 200 ms at least.
  const fast = { probeInterval: 200, probeTimeout: 80, suspicionMult: 3, period: 50 };
  const nodes = await startCluster(10, fast);
  // Every death declared anywhere, from the start: only the victim may be named.
  const deaths: string[] = [];
  for (const n of nodes) {
    n.addEventListener("dead", (e) => deaths.push(`${e.detail.address} dead at ${n.address}`));
  }
  try {
    await waitFor(() => fullMesh(nodes), { what: "full mesh of 10" });
    const victim = nodes[9];
    const others = nodes.slice(0, 9);
    const dead = new Set<string>();
    for (const n of others) {
      n.addEventListener("dead", (e) => {
        if (e.detail.address === victim.address) dead.add(n.address);
      });
    }
    const t0 = performance.now();
    await victim.close(); // no leave: the others must find out by probing
    await waitFor(() => dead.size === 9, { what: "dead everywhere", timeout: 20_000 });
    console.log(`  crash seen by all 9 after ${(performance.now() - t0).toFixed(0)} ms`);
    for (const n of others) {
      assert.equal(n.members().find((m) => m.address === victim.address)?.state, "dead");
      assert.ok(!n.peers().includes(victim.address));
    }
    assert.deepEqual(
      deaths.filter((d) => !d.startsWith(`${victim.address} `)),
      [],
      "no live node was declared dead",
    );
  } finally {
    await closeAll(nodes);
  }
});
