/**
 * The node:dgram transport under Deno (the socket a node uses on Node.js,
 * Bun, and Deno without --unstable-net): the same contract as UdpTransport.
 * The other runtimes run it through tests/runtimes_test.ts.
 */

import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { DgramTransport } from "../src/net/dgram.ts";
import { UdpTransport } from "../src/net/udp.ts";
import { notify, waitFor } from "./helpers.ts";

/** Binds a transport whose datagrams are collected (and wake the waiters). */
async function collecting(hostname = "127.0.0.1") {
  const t = await DgramTransport.bind({ hostname, port: 0 });
  const got: { from: string; data: Uint8Array }[] = [];
  t.listen((from, data) => {
    got.push({ from, data });
    notify();
  });
  return { t, got };
}

/** Whether ::1 can be bound here (checked once, with a socket closed at once). */
async function canBindIpv6(): Promise<boolean> {
  try {
    const t = await DgramTransport.bind({ hostname: "::1", port: 0 });
    await t.close();
    return true;
  } catch {
    return false;
  }
}
const ipv6 = await canBindIpv6();

Deno.test("dgram: port 0 binds a free port; datagrams arrive whole, from the sender's address", async () => {
  const a = await collecting(), b = await collecting();
  try {
    assert.match(a.t.address, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(a.t.address, "127.0.0.1:0");
    const sizes = [0, 1, 200, 1400, 9000];
    for (const n of sizes) a.t.send(b.t.address, new Uint8Array(n).fill(n & 0xff));
    await waitFor(() => b.got.length === sizes.length, { what: "5 datagrams" });
    assert.deepEqual(b.got.map((g) => g.data.length).sort((x, y) => x - y), sizes);
    for (const { from, data } of b.got) {
      assert.equal(from, a.t.address);
      assert.ok(data.every((v) => v === (data.length & 0xff)));
      // A plain Uint8Array (slice() copies), not a view pinning a 64 KiB receive buffer.
      assert.equal(Object.getPrototypeOf(data), Uint8Array.prototype);
      assert.ok(data.buffer.byteLength <= 16384 || data.buffer.byteLength === data.length);
    }
  } finally {
    await Promise.all([a.t.close(), b.t.close()]);
  }
});

Deno.test("dgram: kept datagrams are never overwritten by later ones", async () => {
  const a = await collecting(), b = await collecting();
  try {
    const count = 250; // 250 x 100 bytes: two 16 KiB slabs; in batches, so none is lost
    for (let i = 0; i < count; i++) {
      a.t.send(b.t.address, new Uint8Array(100).fill(i));
      if (i % 50 === 49) {
        await waitFor(() => b.got.length === i + 1, { what: `${i + 1} datagrams` });
      }
    }
    const firsts = new Set(b.got.map((g) => g.data[0]));
    assert.equal(firsts.size, count);
    for (const { data } of b.got) assert.ok(data.every((v) => v === data[0]));
  } finally {
    await Promise.all([a.t.close(), b.t.close()]);
  }
});

Deno.test("dgram: a port in use is Deno.errors.AddrInUse naming the address", async () => {
  const taken = await UdpTransport.bind({ port: 0 });
  try {
    const port = Number(taken.address.split(":")[1]);
    await assert.rejects(DgramTransport.bind({ port }), (e: Error) => {
      assert.ok(e instanceof Deno.errors.AddrInUse, String(e));
      assert.equal(e.name, "AddrInUse");
      assert.equal((e as Error & { code?: string }).code, "EADDRINUSE");
      assert.equal(
        e.message,
        `address 127.0.0.1:${port} is already in use: pick another port, or 0 for any free one`,
      );
      return true;
    });
  } finally {
    await taken.close();
  }
});

Deno.test("dgram: send never throws; failures go to onSendError", async () => {
  const failures: string[] = [];
  const t = await DgramTransport.bind({
    port: 0,
    onSendError: (to, e) => {
      failures.push(`${to}: ${e instanceof Error ? e.message : e}`);
      notify();
    },
  });
  try {
    t.send("not an address", new Uint8Array(1));
    t.send("127.0.0.1:0", new Uint8Array(1)); // port 0: refused by node:dgram at once
    t.send(`${t.address}`, new Uint8Array(70_000)); // too large for UDP: fails later
    await waitFor(() => failures.length === 3, { what: "three send failures" });
    assert.match(failures[0], /^not an address: /);
    assert.match(failures[1], /^127\.0\.0\.1:0: /);
    assert.match(failures[2], /EMSGSIZE/);
  } finally {
    await t.close();
  }
});

Deno.test("dgram: close() flushes pending sends, stops delivery, and may be called twice", async () => {
  const a = await collecting(), b = await collecting();
  try {
    for (let i = 0; i < 50; i++) a.t.send(b.t.address, new Uint8Array([i]));
    await a.t.close(); // resolves after the 50 sends went out
    await waitFor(() => b.got.length === 50, { what: "the 50 datagrams sent before close" });
    a.t.send(b.t.address, new Uint8Array([99])); // after close: ignored, no throw
    await Promise.all([a.t.close(), a.t.close()]);
    // b closed: a datagram sent to it now is not delivered.
    await b.t.close();
    const c = await collecting();
    try {
      c.t.send(b.t.address, new Uint8Array([1]));
      c.t.send(c.t.address, new Uint8Array([2])); // and c still works
      await waitFor(() => c.got.length === 1, { what: "c hearing itself" });
      assert.equal(b.got.length, 50);
    } finally {
      await c.t.close();
    }
    // The port is free again.
    const again = await DgramTransport.bind({ port: Number(a.t.address.split(":")[1]) });
    await again.close();
  } finally {
    await Promise.all([a.t.close(), b.t.close()]);
  }
});

Deno.test({
  name: `dgram: IPv6 on [::1]${ipv6 ? "" : " (ignored: ::1 cannot be bound here)"}`,
  ignore: !ipv6,
  async fn() {
    const a = await collecting("::1"), b = await collecting("::1");
    try {
      assert.match(a.t.address, /^\[::1\]:\d+$/);
      a.t.send(b.t.address, new Uint8Array([6]));
      await waitFor(() => b.got.length === 1, { what: "the IPv6 datagram" });
      assert.equal(b.got[0].from, a.t.address);
    } finally {
      await Promise.all([a.t.close(), b.t.close()]);
    }
  },
});

Deno.test("dgram: a dual-stack [::] socket reaches IPv4 peers", async () => {
  const any = await DgramTransport.bind({ hostname: "::", port: 0 });
  const v4 = await collecting();
  const port = Number(any.address.split(":").at(-1));
  try {
    any.send(v4.t.address, new Uint8Array([4]));
    await waitFor(() => v4.got.length === 1, { what: "the datagram from [::] to 127.0.0.1" });
    assert.equal(v4.got[0].from, `127.0.0.1:${port}`);
  } finally {
    await Promise.all([any.close(), v4.t.close()]);
  }
});

Deno.test("dgram: a raw node:dgram peer and the transport understand each other", async () => {
  const t = await collecting();
  const raw = createSocket("udp4");
  const heard: string[] = [];
  raw.on("message", (m) => {
    heard.push(new TextDecoder().decode(m));
    notify();
  });
  await new Promise<void>((resolve) => raw.bind(0, "127.0.0.1", resolve));
  try {
    const rawAddress = `127.0.0.1:${raw.address().port}`;
    raw.send("INIT", Number(t.t.address.split(":")[1]), "127.0.0.1");
    await waitFor(() => t.got.length === 1, { what: "INIT at the transport" });
    assert.equal(t.got[0].from, rawAddress);
    assert.equal(new TextDecoder().decode(t.got[0].data), "INIT");
    t.t.send(rawAddress, new TextEncoder().encode("INFO"));
    await waitFor(() => heard.length === 1, { what: "INFO at the raw socket" });
    assert.deepEqual(heard, ["INFO"]);
  } finally {
    await t.t.close();
    await new Promise<void>((resolve) => raw.close(resolve));
  }
});
