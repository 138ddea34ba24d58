/**
 * The smoke suite that runs under every runtime: Deno (both sockets),
 * Node.js and Bun. It takes the library module to test as its argument (the
 * source `mod.ts`, or the single-file `build/peer.mjs` of `deno task
 * bundle`), uses only its public API, `node:assert` and `node:dgram`, and
 * prints one line `ok NAME` per check, or `skip NAME: WHY`. A failed check
 * throws, so the process exits non-zero with the reason on stderr.
 *
 * ```sh
 * deno run --unstable-net --allow-net --allow-read tests/runtimes/smoke.ts ./mod.ts
 * node smoke.mjs build/peer.mjs     # smoke.ts bundled, as tests/runtimes_test.ts does
 * ```
 *
 * Every wait is driven by the nodes' events (or the raw socket's datagrams)
 * and bounded by a deadline; every node and socket is closed at the end.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import process from "node:process";
import { pathToFileURL } from "node:url";
import type { GossipNode, GossipNodeOptions } from "../../mod.ts";

type Library = typeof import("../../mod.ts");

const target = process.argv[2];
if (!target) throw new Error("usage: smoke <library module: mod.ts or build/peer.mjs>");
const lib: Library = await import(pathToFileURL(target).href);

/** Probe every 200 ms, suspicion at least 3 x 200 ms: a crash is seen in seconds. */
const FAST: GossipNodeOptions = {
  probeInterval: 200,
  probeTimeout: 80,
  suspicionMult: 3,
  period: 50,
};
const DEADLINE = 15_000;
const EVENTS = ["join", "joined", "suspect", "alive", "dead", "leave", "message", "drop"];
const text = new TextDecoder();

let wake: () => void = () => {};
/** Something happened: waiters re-check their condition. */
function notify(): void {
  wake();
}

/** Waits until `cond` holds, re-checking on every node event and raw datagram, within the deadline. */
async function until(cond: () => boolean, what: string, timeout = DEADLINE): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let late = false;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      late = true;
      resolve();
    }, timeout);
  });
  try {
    while (!cond()) {
      if (late) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
      await Promise.race([new Promise<void>((resolve) => wake = resolve), deadline]);
    }
  } finally {
    clearTimeout(timer);
  }
}

const open: GossipNode[] = [];
const sockets: Socket[] = [];

/** Starts a node on loopback whose every event wakes the waiters. */
async function start(options: GossipNodeOptions = {}): Promise<GossipNode> {
  const node = await lib.GossipNode.start({ hostname: "127.0.0.1", port: 0, ...options });
  open.push(node);
  for (const type of EVENTS) node.addEventListener(type, notify);
  return node;
}

/** The texts `node` has delivered, as they arrive. */
function inbox(node: GossipNode): string[] {
  const got: string[] = [];
  node.addEventListener("message", (e) => got.push(text.decode(e.detail.payload)));
  return got;
}

/** The addresses for which `node` emitted `type`. */
function seen(node: GossipNode, type: "dead" | "leave"): Set<string> {
  const out = new Set<string>();
  node.addEventListener(type, (e) => out.add(e.detail.address));
  return out;
}

/** A raw IPv4 UDP socket standing in for another program; its datagrams wake the waiters. */
async function raw(
  hostname = "127.0.0.1",
): Promise<{ socket: Socket; got: string[]; address: string }> {
  const socket = createSocket("udp4");
  sockets.push(socket);
  const got: string[] = [];
  socket.on("message", (m) => {
    got.push(text.decode(m));
    notify();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, hostname, () => resolve());
  });
  return { socket, got, address: `${hostname}:${socket.address().port}` };
}

function sendRaw(socket: Socket, to: string, data: string): void {
  const i = to.lastIndexOf(":");
  socket.send(data, Number(to.slice(i + 1)), to.slice(0, i));
}

const checks: [string, () => Promise<string | void>][] = [];
function check(name: string, fn: () => Promise<string | void>): void {
  checks.push([name, fn]);
}

// --- one cluster of three: join, broadcast, crash, leave --------------------

let a: GossipNode, b: GossipNode, c: GossipNode;

check("join: 3 nodes over UDP, all know all", async () => {
  a = await start(FAST);
  b = await start({ ...FAST, seeds: [a.address] });
  c = await start({ ...FAST, seeds: [a.address] });
  const all = [a, b, c];
  await until(
    () => all.every((n) => n.peers().length === 2 && n.joined),
    "a full mesh of 3",
  );
  for (const n of all) {
    assert.deepEqual(n.peers().sort(), all.filter((m) => m !== n).map((m) => m.address).sort());
  }
});

check("broadcast: reaches every other node, once", async () => {
  const atA = inbox(a), atC = inbox(c), atB = inbox(b);
  const id = b.broadcast("hello from B");
  assert.equal(typeof id, "number");
  await until(() => atA.length > 0 && atC.length > 0, "the broadcast at A and C");
  assert.deepEqual(atA, ["hello from B"]);
  assert.deepEqual(atC, ["hello from B"]);
  assert.deepEqual(atB, [], "the sender does not deliver its own message");
});

check("crash: a node whose socket closed is declared dead", async () => {
  const deadAtA = seen(a, "dead"), deadAtB = seen(b, "dead");
  const victim = c.address;
  await c.close(); // no leave: A and B must find out by probing
  await until(() => deadAtA.has(victim) && deadAtB.has(victim), "C dead at A and B");
  assert.equal(a.members().find((m) => m.address === victim)?.state, "dead");
  assert.deepEqual([...deadAtA, ...deadAtB], [victim, victim], "no live node declared dead");
  assert.deepEqual(a.peers(), [b.address]);
});

check("leave: a graceful leave is a leave, not a death", async () => {
  const leftAtA = seen(a, "leave"), deadAtA = seen(a, "dead");
  const leaver = b.address;
  await b.leave();
  await until(() => leftAtA.has(leaver), "B's leave at A");
  assert.equal(a.members().find((m) => m.address === leaver)?.state, "left");
  assert.equal(deadAtA.size, 0);
  assert.deepEqual(a.peers(), []);
  assert.ok(a.metrics().packetsReceived > 0 && a.metrics().packetsSent > 0);
  await a.close();
});

// --- keys ---------------------------------------------------------------------

check("keys: one key talks, another is dropped as undecryptable", async () => {
  const key = lib.generateKey(), other = lib.generateKey();
  const k1 = await start({ ...FAST, keys: [key] });
  const drops: string[] = [];
  k1.addEventListener("drop", (e) => drops.push(`${e.detail.reason} ${e.detail.from}`));
  const k2 = await start({ ...FAST, keys: [key], seeds: [k1.address] });
  const heard = inbox(k1);
  await until(() => k2.joined, "the keyed node joining");
  k2.broadcast("sealed");
  await until(() => heard.length > 0, "the sealed message");
  assert.deepEqual(heard, ["sealed"]);
  const stranger = await start({ ...FAST, keys: [other], seeds: [k1.address] });
  await until(() => drops.includes(`decrypt ${stranger.address}`), "the stranger's INIT dropped");
  assert.ok(k1.metrics().dropped.decrypt > 0);
  assert.ok(!k1.members().some((m) => m.address === stranger.address));
  assert.equal(stranger.joined, false);
  await Promise.all([k1.close(), k2.close(), stranger.close()]);
});

// --- the seed wire format -----------------------------------------------------

check("seed wire: INIT/INFO/CONN/GOSP byte for byte with an original peer", async () => {
  const original = await raw();
  // A seed-mode node joining through the original peer sends INIT ...
  const joiner = await start({ wire: "seed", seeds: [original.address] });
  await until(() => original.got.includes("INIT"), "INIT at the original peer");
  sendRaw(original.socket, joiner.address, "INFO"); // ... and is let in by an empty INFO.
  await until(() => joiner.joined, "the joiner joined");
  assert.deepEqual(joiner.peers(), [original.address]);
  // Messages both ways: GOSP + text, trailing newline and NULs tolerated.
  const heard = inbox(joiner);
  joiner.broadcast("Hello!");
  await until(() => original.got.includes("GOSPHello!"), "GOSPHello! at the original peer");
  sendRaw(original.socket, joiner.address, "GOSPhi there\n\0");
  await until(() => heard.length > 0, "the original peer's message");
  assert.deepEqual(heard, ["hi there"]);
  // A seed-mode node answers an original peer's INIT with INFO listing what it knows.
  const second = await raw();
  sendRaw(second.socket, joiner.address, "INIT");
  await until(() => second.got.length > 0, "INFO at the second original peer");
  assert.deepEqual(second.got, [`INFO${original.address}`]);
  await joiner.close();
  original.socket.close();
  second.socket.close();
});

// --- the socket's contract ----------------------------------------------------

check("address in use: a clear error naming the address", async () => {
  const first = await start();
  const port = Number(first.address.split(":")[1]);
  await assert.rejects(lib.GossipNode.start({ port }), (e: Error) => {
    assert.equal(e.name, "AddrInUse");
    assert.match(e.message, new RegExp(`address 127\\.0\\.0\\.1:${port} is already in use`));
    return true;
  });
  await first.close();
});

check("ipv6: two nodes on [::1]", async () => {
  const probe = createSocket("udp6");
  const bindable = await new Promise<boolean>((resolve) => {
    probe.once("error", () => resolve(false));
    probe.bind(0, "::1", () => resolve(true));
  });
  probe.close();
  if (!bindable) return "::1 cannot be bound here";
  const x = await start({ ...FAST, hostname: "::1" });
  const y = await start({ ...FAST, hostname: "::1", seeds: [x.address] });
  assert.match(x.address, /^\[::1\]:\d+$/);
  const heard = inbox(x);
  await until(() => y.joined && x.peers().length === 1, "the IPv6 join");
  y.broadcast("over IPv6");
  await until(() => heard.length > 0, "the IPv6 message");
  assert.deepEqual(heard, ["over IPv6"]);
  await Promise.all([x.close(), y.close()]);
});

try {
  for (const [name, fn] of checks) {
    const t0 = performance.now();
    const skipped = await fn();
    const ms = Math.round(performance.now() - t0);
    console.log(skipped ? `skip ${name.split(":")[0]}: ${skipped}` : `ok ${name} (${ms} ms)`);
  }
} finally {
  await Promise.all(open.map((n) => n.close()));
  for (const s of sockets) {
    try {
      s.close();
    } catch {
      // Closed by its check.
    }
  }
}
