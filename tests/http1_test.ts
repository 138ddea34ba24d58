/**
 * The endpoint's own HTTP/1.1 server (src/http/http1.ts) on raw TCP: what it
 * answers to malformed, oversized, slow and HTTP/1.0 requests, and that a
 * shutdown closes every connection at once, even one whose client stopped
 * reading mid-stream.
 */

import assert from "node:assert/strict";
import { serveHttp } from "../src/http/mod.ts";
import { Http1Server } from "../src/http/http1.ts";
import { startNode } from "./helpers.ts";
import { SseClient } from "./sse_client.ts";

const encoder = new TextEncoder();

/** Sends `request` raw and reads the whole answer (the server closes after one response). */
async function raw(port: number, request: string | Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(typeof request === "string" ? encoder.encode(request) : request);
    const buffer = new Uint8Array(64 * 1024);
    let answer = "";
    try {
      for (let n; (n = await conn.read(buffer)) !== null;) {
        answer += new TextDecoder().decode(buffer.subarray(0, n));
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.ConnectionReset)) throw e;
    }
    return answer;
  } finally {
    conn.close();
  }
}

const status = (answer: string) => Number(answer.split(" ")[1]);

Deno.test("http1: malformed, oversized and HTTP/1.0 requests", async () => {
  await using node = await startNode();
  await using server = serveHttp(node);
  const port = server.addr.port;
  const cases: [string, number][] = [
    ["GET /members HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200],
    ["GET /members HTTP/1.0\r\n\r\n", 200], // HTTP/1.0 needs no Host
    ["GET http://127.0.0.1/members HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200], // absolute form
    ["GET /members HTTP/1.1\r\n\r\n", 400], // no Host
    ["GET /members HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
    ["GET /members\r\n\r\n", 400], // HTTP/0.9
    ["GET /members HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 400],
    ["get /members HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400],
    ["GET /members HTTP/1.1\r\nno colon here\r\n\r\n", 400],
    ["\r\n\r\n", 400],
    [`GET /members HTTP/1.1\r\nHost: 127.0.0.1\r\nX: ${"y".repeat(9000)}\r\n\r\n`, 431],
    ["BREW /members HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405],
    [
      "POST /members HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n" +
      "z".repeat(100_000),
      405,
    ],
  ];
  for (const [request, expected] of cases) {
    const answer = await raw(port, request);
    assert.equal(status(answer), expected, JSON.stringify(request.slice(0, 60)));
    assert.match(answer, /\r\nconnection: close\r\n/);
  }
  const ok = await raw(port, "GET /members HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const body = ok.slice(ok.indexOf("\r\n\r\n") + 4);
  assert.match(ok, new RegExp(`\r\ncontent-length: ${new TextEncoder().encode(body).length}\r\n`));
  assert.deepEqual(JSON.parse(body), node.members());
  assert.equal(node.members().length, 1);
});

Deno.test("http1: a client that sends no request head in time is disconnected", async () => {
  let errors = 0;
  const server = new Http1Server({
    hostname: "127.0.0.1",
    port: 0,
    maxConnections: 4,
    headTimeout: 100,
    handle: () => ({ status: 200, headers: {}, body: "x" }),
    onError: () => errors++,
  });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n")); // never finished
    assert.equal(await conn.read(new Uint8Array(16)), null, "closed by the server");
    conn.close();
    assert.equal(errors, 0, "a slow client is not an error");
  } finally {
    await server.shutdown();
  }
});

Deno.test("http1: more connections than allowed are closed at once", async () => {
  const server = new Http1Server({
    hostname: "127.0.0.1",
    port: 0,
    maxConnections: 1,
    handle: () => ({ status: 200, headers: {}, body: "x" }),
    onError: () => {},
  });
  const first = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  try {
    const second = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    let n: number | null = 0;
    try {
      n = await second.read(new Uint8Array(16));
    } catch (e) {
      assert.ok(e instanceof Deno.errors.ConnectionReset, String(e));
      n = null;
    }
    assert.equal(n, null, "the second connection is closed");
    second.close();
  } finally {
    first.close();
    await server.shutdown();
  }
});

Deno.test("http1: shutdown closes at once a stream whose client stopped reading", async () => {
  await using node = await startNode();
  // A buffer so large that the stuck client is never dropped: only shutdown ends it.
  const server = serveHttp(node, { clientBuffer: 256 * 1024 * 1024, interval: 1000 });
  const stuck = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  try {
    await stuck.write(encoder.encode("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    await using watcher = await SseClient.open(`${server.url}/events`);
    // 16 MB of events, each read by the watcher: the stuck client's socket
    // buffers are full long before the end, and its writes wait.
    const filler = "x".repeat(16 * 1024);
    for (let i = 0; i < 1000; i += 4) {
      for (let k = i; k < i + 4; k++) {
        node.dispatchEvent(
          new CustomEvent("join", { detail: { address: filler, incarnation: k } }),
        );
      }
      await watcher.wait((e, x) => e === "join" && x.incarnation === i + 3, `event ${i + 3}`, {
        from: Math.max(0, watcher.events.length - 8),
      });
    }
    assert.equal(server.eventClients, 2, "the stuck client is still queued for");
    const t0 = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), 5000));
    const result = await Promise.race([server.shutdown().then(() => "done" as const), late]);
    clearTimeout(timer);
    assert.equal(result, "done", "shutdown does not wait for the stuck client");
    console.log(`  shutdown with a stuck client took ${(performance.now() - t0).toFixed(1)} ms`);
    assert.equal(server.eventClients, 0);
  } finally {
    stuck.close();
    await server.shutdown();
  }
});
