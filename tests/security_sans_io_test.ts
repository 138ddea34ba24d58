/**
 * Issue 6 without sockets: replay on SecureTransport and ReplayGuard, and
 * amplification and limits on the sans-IO core, driven step by step.
 */

import assert from "node:assert/strict";
import {
  decode,
  encode,
  generateKey,
  Keyring,
  type MemberRecord,
  type ProtocolConfig,
} from "../mod.ts";
import type { Transport } from "../src/net/transport.ts";
import { profile } from "../src/core/config.ts";
import { Protocol } from "../src/core/protocol.ts";
import { Step } from "./step.ts";
import { nonceTime, ReplayGuard, timedNonce } from "../src/net/replay_guard.ts";
import { RateLimiter } from "../src/core/rate_limit.ts";
import { SecureTransport } from "../src/net/secure.ts";
import type { DatagramHandler } from "../src/net/transport.ts";

// --- item 2: replay ---------------------------------------------------------------------

Deno.test("security: a replayed sealed datagram is dropped; so is one outside the window (SecureTransport)", async () => {
  let now = 1_700_000_000_000;
  const key = generateKey();
  const wire: Uint8Array[] = [];
  let deliver: DatagramHandler | undefined;
  const end = (address: string): Transport => ({
    address,
    listen: (h) => void (deliver = h),
    send: (_to, data) => void wire.push(data),
    close: () => Promise.resolve(),
  });
  const drops: string[] = [];
  const a = new SecureTransport(end("10.0.0.1:1"), {
    keyring: await Keyring.create([key]),
    now: () => now,
  });
  const b = new SecureTransport(end("10.0.0.2:1"), {
    keyring: await Keyring.create([key]),
    now: () => now,
    replayWindow: 30_000,
    onDrop: (reason) => drops.push(reason),
  });
  const got: Uint8Array[] = [];
  b.listen((_from, data) => got.push(data));
  try {
    a.send("10.0.0.2:1", encode({ type: "ack", seq: 1 }));
    a.send("10.0.0.2:1", encode({ type: "ack", seq: 2 }));
    await a.flush();
    assert.equal(nonceTime(wire[0].subarray(1, 13)), Math.floor(now / 1000));
    deliver!("10.0.0.1:1", wire[0]);
    deliver!("10.0.0.1:1", wire[0]); // at once: the cheap check before opening
    await b.flush();
    deliver!("10.0.0.1:1", wire[0]); // later
    await b.flush();
    assert.equal(got.length, 1);
    assert.deepEqual(drops, ["replay", "replay"]);
    // The second, never delivered, is refused once the window has passed.
    now += 32_000;
    deliver!("10.0.0.1:1", wire[1]);
    await b.flush();
    assert.equal(got.length, 1);
    assert.equal(b.replays, 3);
    assert.deepEqual(b.drops, { decrypt: 0, label: 0, seal: 0 });
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("security: ReplayGuard stays bounded and refuses what it had to forget", () => {
  const now = 1_700_000_000_000;
  const guard = new ReplayGuard({ window: 60_000, capacity: 3 });
  const early = timedNonce(now - 10_000);
  assert.equal(guard.accept(early, now), "ok");
  const rest = [timedNonce(now - 5000), timedNonce(now), timedNonce(now), timedNonce(now)];
  for (const n of rest) assert.equal(guard.accept(n, now), "ok");
  assert.equal(guard.size, 3);
  // Forgotten, yet refused: its timestamp is at or below the floor.
  assert.equal(guard.accept(early, now), "stale");
  assert.equal(guard.accept(rest[4 - 1], now), "seen");
  assert.equal(guard.accept(timedNonce(now + 61_000), now), "stale"); // from the future
  assert.equal(guard.accept(timedNonce(now + 2000), now), "ok");
  assert.throws(() => new ReplayGuard({ window: 0, capacity: 1 }), RangeError);
});

// --- item 3: amplification ---------------------------------------------------------------

const STRANGER = "10.9.9.9:40000";
const STRANGER6 = "[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535";

/** A started protocol core knowing `n` members, driven step by step. */
function core(n: number, config: Partial<ProtocolConfig> = {}) {
  const step = new Step(
    "10.0.0.1:7946",
    (env) => new Protocol(env, { ...profile("lan"), ...config }, ["10.0.0.2:7946"]),
  );
  const p = step.engine;
  p.start();
  const members: MemberRecord[] = [];
  for (let i = 0; i < n; i++) {
    members.push({ address: `10.1.${i >> 8}.${i & 255}:7946`, state: "alive", incarnation: 0 });
  }
  // The seed's answer to our INIT, in parts of 50 members.
  for (let i = 0; i < Math.max(n, 1); i += 50) {
    step.receive("10.0.0.2:7946", { type: "info", members: members.slice(i, i + 50) });
  }
  step.outbox = [];
  return {
    p,
    step,
    advance: (ms: number) => step.advance(ms),
    get sent() {
      return step.outbox;
    },
    clear() {
      step.outbox = [];
    },
  };
}

/** Bytes sent in answer to one datagram, over the datagram's size. */
function ratio(c: ReturnType<typeof core>, from: string, request: Uint8Array): number {
  c.clear();
  c.p.receive(from, request);
  const bytes = c.sent.reduce((s, d) => s + d.data.length, 0);
  return bytes / request.length;
}

Deno.test("security: no reply to a forgeable request is more than a few times its size (200 members)", () => {
  const c = core(200);
  assert.ok(c.p.peers().length >= 200);
  const results: Record<string, number> = {};
  for (const from of [STRANGER, STRANGER6]) {
    const v6 = from === STRANGER6 ? " (IPv6 source)" : "";
    results[`INIT${v6}`] = ratio(c, from, encode({ type: "init", incarnation: 0 }));
    results[`PING-REQ${v6}`] = ratio(
      c,
      from,
      encode({ type: "ping-req", seq: 1, target: "10.1.0.7:7946" }),
    );
    results[`SYNC${v6}`] = ratio(
      c,
      from,
      encode({
        type: "sync",
        reply: false,
        members: [{ address: from, state: "alive", incarnation: 0 }],
      }),
    );
    results[`CONN${v6}`] = ratio(c, from, encode({ type: "conn", incarnation: 0 }));
    results[`PING${v6}`] = ratio(
      c,
      from,
      encode({ type: "ping", seq: 1, target: "10.0.0.1:7946" }),
    );
  }
  // From a member (whose address a stranger could forge): the relayed probe,
  // which carries queued gossip to the target, a member that gets it anyway.
  const member = ratio(
    c,
    "10.1.0.3:7946",
    encode({ type: "ping-req", seq: 1, target: "10.1.0.7:7946" }),
  );
  console.log(
    "  reply/request bytes: " +
      Object.entries(results).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ") +
      `; PING-REQ from a member ${member.toFixed(2)} (relayed probe with piggybacked gossip)`,
  );
  for (const [kind, r] of Object.entries(results)) {
    assert.ok(r <= 8, `${kind}: ${r.toFixed(2)}x`);
    if (!kind.includes("IPv6")) assert.ok(r <= 3.5, `${kind}: ${r.toFixed(2)}x`);
  }
  assert.ok(c.p.metrics().dropped["unknown-sender"] >= 4);
});

Deno.test("security: a stranger gets the member table only after answering its cookie", () => {
  const c = core(200);
  c.p.receive(STRANGER, encode({ type: "init", incarnation: 3 }));
  assert.equal(c.sent.length, 1);
  const ping = decode(c.sent[0].data);
  assert.ok(ping.type === "ping" && ping.target === STRANGER);
  assert.ok(!c.p.peers().includes(STRANGER), "not a member before the round trip");
  // A guessed cookie does nothing.
  c.clear();
  c.p.receive(STRANGER, encode({ type: "ack", seq: (ping.seq + 1) >>> 0 }));
  assert.equal(c.sent.length, 0);
  assert.ok(!c.p.peers().includes(STRANGER));
  // The right one lets it in, and the table follows.
  c.p.receive(STRANGER, encode({ type: "ack", seq: ping.seq }));
  assert.ok(c.p.peers().includes(STRANGER));
  const infos = c.sent.filter((d) => d.to === STRANGER).map((d) => decode(d.data));
  const records = infos.flatMap((m) => m.type === "info" ? m.members : []);
  assert.ok(records.length >= 201);
  assert.deepEqual(records[0], { address: STRANGER, state: "alive", incarnation: 3 });
});

// --- item 4: limits ----------------------------------------------------------------------

Deno.test("security: requests over the per-source rate are dropped as 'rate'", () => {
  const c = core(10, { requestRate: 5, requestBurst: 10 });
  for (let i = 0; i < 50; i++) c.p.receive(STRANGER, encode({ type: "init", incarnation: 0 }));
  assert.equal(c.p.metrics().dropped.rate, 40);
  c.advance(1000);
  for (let i = 0; i < 10; i++) c.p.receive(STRANGER, encode({ type: "init", incarnation: 0 }));
  assert.equal(c.p.metrics().dropped.rate, 45);
  // Another source has its own bucket.
  c.p.receive("10.9.9.8:1", encode({ type: "init", incarnation: 0 }));
  assert.equal(c.p.metrics().dropped.rate, 45);
});

Deno.test("security: RateLimiter tracks at most maxSources sources", () => {
  const limiter = new RateLimiter({ rate: 1, burst: 1, maxSources: 100 });
  for (let i = 0; i < 10_000; i++) limiter.allow(`10.0.${i >> 8}.${i & 255}:1`, 0);
  assert.equal(limiter.size, 100);
  assert.equal(limiter.allow("10.0.39.15:1", 0), false); // still tracked, bucket empty
  assert.throws(() => new RateLimiter({ rate: 0, burst: 1, maxSources: 1 }), RangeError);
});

Deno.test("security: the member table stops at maxMembers; pending cookies stay bounded", () => {
  const c = core(0, { maxMembers: 50, maxSources: 64 });
  const members: MemberRecord[] = [];
  for (let i = 0; i < 100; i++) {
    members.push({ address: `10.2.0.${i}:7946`, state: "alive", incarnation: 0 });
  }
  c.p.receive("10.0.0.2:7946", encode({ type: "info", members }));
  assert.equal(c.p.members().length - 1, 50);
  assert.ok(c.p.metrics().membersRefused >= 50);
  // Many strangers: each gets one small PING; none is let in without its cookie.
  for (let i = 0; i < 1000; i++) {
    c.p.receive(`10.3.${i >> 8}.${i & 255}:1`, encode({ type: "init", incarnation: 0 }));
  }
  assert.equal(c.p.members().length - 1, 50);
});

Deno.test("security: a stranger's SYNC is answered only after its cookie, by a SYNC request to it", () => {
  const c = core(100);
  const request = encode({
    type: "sync",
    reply: false,
    members: [{ address: STRANGER, state: "alive", incarnation: 2 }],
  });
  c.p.receive(STRANGER, request);
  assert.equal(c.p.metrics().dropped["unknown-sender"], 1);
  assert.equal(c.sent.length, 1);
  const ping = decode(c.sent[0].data);
  assert.ok(ping.type === "ping");
  c.clear();
  c.p.receive(STRANGER, encode({ type: "ack", seq: ping.seq }));
  assert.ok(c.p.peers().includes(STRANGER));
  const syncs = c.sent.map((d) => decode(d.data)).filter((m) => m.type === "sync");
  assert.ok(syncs.length >= 1 && syncs.every((m) => m.type === "sync" && !m.reply));
  const records = syncs.flatMap((m) => m.type === "sync" ? m.members : []);
  assert.ok(records.length >= 101);
  // Now a member: its SYNC is answered with the table.
  c.clear();
  c.p.receive(STRANGER, request);
  assert.ok(c.sent.some((d) => {
    const m = decode(d.data);
    return m.type === "sync" && m.reply;
  }));
});
