/**
 * Issue 6 at the node level (real UDP on loopback): keys, labels, rotation
 * and replay in running clusters.
 */

import assert from "node:assert/strict";
import {
  decode,
  generateKey,
  type GossipNode,
  type GossipNodeOptions,
  Keyring,
  type Message,
  type SingleMessage,
} from "../mod.ts";
import type { DatagramHandler, Transport } from "../src/net/transport.ts";
import { closeAll, fullMesh, startCluster, startNode, udp, waitFor } from "./helpers.ts";

const FAST: GossipNodeOptions = { profile: "local" };

/**
 * A UDP transport that records what it sends (sealed, when the node has
 * keys) and can go deaf and mute, like a node cut off by the network. Its
 * socket comes from `udp()`: every datagram in and out wakes the waiters.
 */
class Tap implements Transport {
  readonly sent: { to: string; data: Uint8Array }[] = [];
  blocked = false;
  private constructor(readonly inner: Transport) {}
  static async bind(port = 0): Promise<Tap> {
    return new Tap(await udp({ hostname: "127.0.0.1", port }));
  }
  get address(): string {
    return this.inner.address;
  }
  listen(handler: DatagramHandler): void {
    this.inner.listen((from, data) => {
      if (!this.blocked) handler(from, data);
    });
  }
  send(to: string, data: Uint8Array): void {
    if (this.blocked) return;
    this.sent.push({ to, data: data.slice() });
    this.inner.send(to, data);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The messages inside a captured sealed datagram (empty if it does not open). */
async function messagesIn(
  ring: Keyring,
  sealed: Uint8Array,
  label = "",
): Promise<SingleMessage[]> {
  const plain = await ring.open(sealed, label);
  if (!plain) return [];
  const m: Message = decode(plain);
  return m.type === "batch" ? m.messages : [m];
}

function hostPort(address: string): { hostname: string; port: number } {
  const i = address.lastIndexOf(":");
  return { hostname: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

/** Replays datagrams from a socket of its own (an attacker who captured them). */
async function replay(datagrams: Uint8Array[], to: string): Promise<void> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    for (const d of datagrams) await socket.send(d, { transport: "udp", ...hostPort(to) });
  } finally {
    socket.close();
  }
}

/** A node's `replay` and `decrypt` drop counts, to tell a refused replay from a failed open. */
function replayDrops(node: GossipNode): { replay: number; decrypt: number } {
  const { replay, decrypt } = node.metrics().dropped;
  return { replay, decrypt };
}

/** How far each count in `now` grew since `before`. */
function grown(
  before: { replay: number; decrypt: number },
  now: { replay: number; decrypt: number },
): { replay: number; decrypt: number } {
  return { replay: now.replay - before.replay, decrypt: now.decrypt - before.decrypt };
}

function view(nodes: GossipNode[]): string {
  return nodes.map((n) =>
    n.members().map((m) => `${m.address}=${m.state}/${m.incarnation}`).sort().join(",")
  ).join("\n");
}

// --- item 1: what the keyring and labels do at the node level ---------------------------

Deno.test("security: a keyed 5-node cluster forms and delivers; a node with a wrong key is rejected and counted", async () => {
  const key = generateKey();
  const nodes = await startCluster(5, { ...FAST, keys: [key] });
  let intruder: GossipNode | undefined;
  try {
    await waitFor(() => fullMesh(nodes), { what: "keyed full mesh" });
    const got = nodes.map(() => [] as string[]);
    nodes.forEach((n, i) =>
      n.addEventListener(
        "message",
        (e) => got[i].push(new TextDecoder().decode(e.detail.payload)),
      )
    );
    nodes[2].broadcast("sealed hello");
    await waitFor(() => got.every((g, i) => i === 2 || g.length === 1), { what: "delivery" });
    intruder = await startNode({
      ...FAST,
      keys: [generateKey()],
      seeds: [nodes[0].address],
    });
    await waitFor(() => nodes[0].metrics().dropped.decrypt >= 2, { what: "wrong key counted" });
    assert.deepEqual(intruder.peers(), []);
    assert.equal(intruder.joined, false);
    for (const n of nodes) assert.ok(!n.peers().includes(intruder.address));
  } finally {
    await intruder?.close();
    await closeAll(nodes);
  }
});

Deno.test("security: keys of 128, 192 and 256 bits each carry a cluster", async () => {
  for (const bytes of [16, 24, 32]) {
    const nodes = await startCluster(3, { ...FAST, keys: [generateKey(bytes)] });
    try {
      await waitFor(() => fullMesh(nodes), { what: `full mesh with a ${bytes * 8}-bit key` });
      let delivered = 0;
      nodes[1].addEventListener("message", () => delivered++);
      nodes[2].addEventListener("message", () => delivered++);
      nodes[0].broadcast(`aes-${bytes * 8}`);
      await waitFor(() => delivered === 2, { what: "delivery" });
    } finally {
      await closeAll(nodes);
    }
  }
});

for (const keyed of [false, true]) {
  Deno.test(`security: two clusters with different labels never merge (${keyed ? "with" : "without"} keys), even through a shared seed`, async () => {
    const common: GossipNodeOptions = { ...FAST, ...(keyed ? { keys: [generateKey()] } : {}) };
    const a = await startCluster(2, { ...common, label: "alpha" });
    const b = await startCluster(2, { ...common, label: "beta" });
    let bridge: GossipNode | undefined;
    try {
      await waitFor(() => fullMesh(a) && fullMesh(b), { what: "both clusters formed" });
      // A beta node that lists an alpha node as a seed (and a beta one).
      bridge = await startNode({
        ...common,
        label: "beta",
        seeds: [a[0].address, b[0].address],
      });
      const betas = [...b, bridge];
      const reason = keyed ? "decrypt" : "label";
      await waitFor(() => fullMesh(betas), { what: "bridge joined beta" });
      await waitFor(() => a[0].metrics().dropped[reason] >= 1, {
        what: `${reason} drops at alpha`,
      });
      const alpha = new Set(a.map((n) => n.address));
      for (const n of a) assert.ok(n.peers().every((p) => alpha.has(p)), "alpha sees only alpha");
      for (const n of betas) assert.ok(n.peers().every((p) => !alpha.has(p)), "beta never alpha");
    } finally {
      await bridge?.close();
      await closeAll([...a, ...b]);
    }
  });
}

Deno.test("security: rotating the key (install, use, remove on all) under a steady stream of broadcasts loses none", async () => {
  const oldKey = generateKey(), newKey = generateKey();
  const nodes = await startCluster(5, { ...FAST, keys: [oldKey] });
  const counts = nodes.map(() => new Map<string, number>());
  let sent = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    await waitFor(() => fullMesh(nodes), { what: "keyed full mesh" });
    nodes.forEach((n, i) =>
      n.addEventListener("message", (e) => {
        const text = new TextDecoder().decode(e.detail.payload);
        counts[i].set(text, (counts[i].get(text) ?? 0) + 1);
      })
    );
    const origin: string[] = [];
    timer = setInterval(() => {
      const i = sent % nodes.length;
      nodes[i].broadcast(`m${sent}`);
      origin.push(nodes[i].address);
      sent++;
    }, 10);
    /** Every broadcast so far has reached every other node. */
    const caughtUp = (upTo: number) => () =>
      nodes.every((n, i) => {
        for (let k = 0; k < upTo; k++) {
          if (origin[k] !== n.address && !counts[i].has(`m${k}`)) return false;
        }
        return true;
      });
    await waitFor(() => sent >= 20, { what: "stream started" });
    for (const n of nodes) await n.keyring!.install(newKey);
    await waitFor(caughtUp(sent), { what: "delivery with the new key installed" });
    for (const n of nodes) n.keyring!.use(newKey);
    // Whatever was sealed with the old key has arrived before it goes.
    const sealedOld = sent;
    await waitFor(caughtUp(sealedOld + 10), { what: "delivery after use" });
    for (const n of nodes) n.keyring!.remove(oldKey);
    const removedAt = sent;
    await waitFor(() => sent >= removedAt + 20, { what: "stream after remove" });
    clearInterval(timer);
    timer = undefined;
    await waitFor(caughtUp(sent), { what: "every broadcast everywhere" });
    for (let i = 0; i < nodes.length; i++) {
      for (const [text, n] of counts[i]) assert.equal(n, 1, `${text} delivered ${n} times`);
      const expected = origin.filter((o) => o !== nodes[i].address).length;
      assert.equal(counts[i].size, expected);
    }
    for (const n of nodes) assert.deepEqual(n.keyring!.list(), [newKey]);
    assert.ok(sent >= 40);
  } finally {
    if (timer !== undefined) clearInterval(timer);
    await closeAll(nodes);
  }
});

// --- item 2: replay ---------------------------------------------------------------------

Deno.test("security: replaying a captured sealed leave and a captured sealed suspect changes nothing", async () => {
  const key = generateKey();
  const ring = await Keyring.create([key]);
  const taps: Tap[] = [];
  const nodes: GossipNode[] = [];
  const start = async (seeds: string[], port = 0) => {
    const tap = await Tap.bind(port);
    const node = await startNode({ ...FAST, keys: [key], transport: tap, seeds });
    taps.push(tap);
    nodes.push(node);
    return { tap, node };
  };
  try {
    await start([]);
    for (let i = 0; i < 3; i++) await start([nodes[0].address]);
    await waitFor(() => fullMesh(nodes), { what: "keyed full mesh" });

    // A suspect: cut node 3 off until someone accuses it.
    const victim = nodes[3];
    taps[3].blocked = true;
    // Every datagram the others sent, opened once each as it is sent.
    const suspects: { to: string; data: Uint8Array }[] = [];
    const scanned = [0, 0, 0];
    const accused = async () => {
      for (const [i, tap] of taps.slice(0, 3).entries()) {
        while (scanned[i] < tap.sent.length) {
          const d = tap.sent[scanned[i]++];
          const ms = await messagesIn(ring, d.data);
          if (ms.some((m) => m.type === "suspect" && m.address === victim.address)) {
            suspects.push(d);
          }
        }
      }
      return suspects.length > 0;
    };
    await waitFor(accused, { what: "a captured suspect" });
    taps[3].blocked = false;
    await waitFor(
      () =>
        nodes.every((n) =>
          n === victim || n.members().find((m) => m.address === victim.address)?.state === "alive"
        ) && victim.incarnation > 0,
      { what: "the victim refuted" },
    );
    await waitFor(() => fullMesh(nodes), { what: "mesh again" });

    // A leave: node 2 leaves, comes back on the same port, and is alive again.
    const leaverAddress = nodes[2].address;
    const port = hostPort(leaverAddress).port;
    const before2 = taps[2].sent.length;
    await nodes[2].leave();
    const leaves: { to: string; data: Uint8Array }[] = [];
    for (const d of taps[2].sent.slice(before2)) {
      const ms = await messagesIn(ring, d.data);
      if (ms.some((m) => m.type === "leave" && m.address === leaverAddress)) leaves.push(d);
    }
    assert.ok(leaves.length > 0, "a leave was captured");
    nodes.splice(2, 1);
    taps.splice(2, 1);
    await waitFor(
      () =>
        nodes.every((n) => n.members().find((m) => m.address === leaverAddress)?.state === "left"),
      { what: "left everywhere" },
    );
    await start([nodes[0].address], port);
    await waitFor(() => fullMesh(nodes), { what: "the leaver is back" });

    const events: string[] = [];
    for (const n of nodes) {
      for (const type of ["suspect", "leave", "dead", "join", "message"] as const) {
        n.addEventListener(type, () => events.push(`${n.address} ${type}`));
      }
    }
    const table = view(nodes);
    const drops = nodes.map(replayDrops);
    // Each to every node (a node that never received one takes it as new: the
    // merge rules make it stale), then each to the node it was captured on its
    // way to, which refuses it as a replay (the victim was cut off: it never
    // received the accusations sent to it).
    const captured = [...suspects, ...leaves];
    for (const n of nodes) await replay(captured.map((d) => d.data), n.address);
    // (Node 2 restarted since: its new instance never saw what was sent to the old one.)
    const received = captured.filter((d) =>
      leaves.includes(d) || (d.to !== victim.address && d.to !== leaverAddress)
    );
    for (const d of received) await replay([d.data], d.to);
    // Each received one is refused twice by the node it was sent to, as a replay
    // (a nonce it accepted before), never as a datagram that failed to open.
    const expected = nodes.map((n) => ({
      replay: 2 * received.filter((d) => d.to === n.address).length,
      decrypt: 0,
    }));
    await waitFor(
      () => nodes.every((n, i) => replayDrops(n).replay - drops[i].replay >= expected[i].replay),
      { what: "replays dropped" },
    );
    assert.deepEqual(nodes.map((n, i) => grown(drops[i], replayDrops(n))), expected);
    assert.equal(view(nodes), table);
    assert.deepEqual(events, []);
    assert.ok(fullMesh(nodes));
  } finally {
    await closeAll(nodes);
  }
});

Deno.test("security: a replayed GOSP is not delivered twice, even after the seen cache forgot it", async () => {
  const key = generateKey();
  const ring = await Keyring.create([key]);
  const tap = await Tap.bind();
  const origin = await startNode({ ...FAST, keys: [key], transport: tap });
  // A seen cache that forgets at once: only the replay guard can stop a second delivery.
  const target = await startNode({
    ...FAST,
    keys: [key],
    seenTtl: 1,
    seeds: [origin.address],
  });
  // The origin is closed without leaving: the target, still running, must never be declared dead.
  const deaths: string[] = [];
  for (const n of [origin, target]) {
    n.addEventListener("dead", (e) => deaths.push(`${e.detail.address} dead at ${n.address}`));
  }
  try {
    await waitFor(() => fullMesh([origin, target]), { what: "pair" });
    let delivered = 0;
    target.addEventListener("message", () => delivered++);
    origin.broadcast("once");
    await waitFor(() => delivered >= 1, { what: "delivery" });
    await origin.close(); // nothing more is sent to the target
    const sentByOrigin = origin.metrics().packetsSent;
    await waitFor(() => target.metrics().packetsReceived >= sentByOrigin - 2, {
      what: "the origin's datagrams arrived",
    });
    const gosp: Uint8Array[] = [];
    for (const d of tap.sent) {
      if ((await messagesIn(ring, d.data)).some((m) => m.type === "gosp")) gosp.push(d.data);
    }
    assert.ok(gosp.length > 0);
    const count = delivered, drops = replayDrops(target);
    await replay(gosp, target.address);
    await waitFor(() => replayDrops(target).replay - drops.replay >= gosp.length, {
      what: "replays dropped",
    });
    assert.deepEqual(grown(drops, replayDrops(target)), { replay: gosp.length, decrypt: 0 });
    assert.equal(delivered, count);
    assert.deepEqual(
      deaths.filter((d) => d.startsWith(`${target.address} `)),
      [],
      "no live node was declared dead",
    );
  } finally {
    await origin.close();
    await target.close();
  }
});
