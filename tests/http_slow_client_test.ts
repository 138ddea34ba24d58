/**
 * Event-stream clients that do not keep up: one that never reads, and one
 * that goes away. Neither may make the node hold its events: the first is
 * disconnected once its bounded buffer is full (while a client that reads
 * gets everything), the second is forgotten as soon as its connection
 * closes.
 * Raw TCP sockets stand in for the bad clients; a well-behaved `/events`
 * reader watches the server's own count of clients in its snapshots.
 */

import assert from "node:assert/strict";
import { serveHttp } from "../src/http/mod.ts";
import { startNode } from "./helpers.ts";
import { parsePrometheus, valueOf } from "./prometheus_parse.ts";
import { SseClient } from "./sse_client.ts";

const encoder = new TextEncoder();

/** Opens a raw connection and asks for `/events`; the caller decides whether to read. */
async function rawEventsRequest(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  return conn;
}

/** Reads `conn` to its end (or a reset); returns the bytes read. */
async function drain(conn: Deno.TcpConn): Promise<number> {
  const buffer = new Uint8Array(64 * 1024);
  let total = 0;
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      total += n;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.ConnectionReset)) throw e;
  }
  return total;
}

Deno.test("http: a client that does not read is disconnected at its buffer's limit; a reader gets every event", async () => {
  await using node = await startNode();
  const clientBuffer = 64 * 1024;
  await using server = serveHttp(node, { clientBuffer, interval: 25 });
  await using watcher = await SseClient.open(`${server.url}/events`);
  const slow = await rawEventsRequest(server.addr.port);
  try {
    await watcher.wait((e, x) => e === "metrics" && x.clients === 2, "the slow client counted");

    // Synthetic member events of about 16 KB each, two at a time, each pair
    // read by the watcher before the next: up to 32 MB in all, far beyond
    // what the kernel's socket buffers hold for the client that never reads.
    const filler = "x".repeat(16 * 1024);
    const frame = encoder.encode(
      `event: join\ndata: ${JSON.stringify({ address: filler, incarnation: 0, time: 0 })}\n\n`,
    ).byteLength;
    let sent = 0;
    for (let i = 0; i < 2000 && server.eventClients === 2; i += 2) {
      for (const k of [i, i + 1]) {
        node.dispatchEvent(
          new CustomEvent("join", { detail: { address: filler, incarnation: k } }),
        );
      }
      sent += 2;
      await watcher.wait(
        (e, x) => e === "join" && x.incarnation === i + 1,
        `event ${i + 1} read by the watcher`,
        { from: Math.max(0, watcher.events.length - 8) },
      );
    }
    assert.equal(server.eventClients, 1, `the slow client was dropped (after ${sent} events)`);
    assert.ok(sent < 2000, "dropped before the end");

    // Everything the slow client can still read was in flight when it was
    // dropped (kernel buffers plus at most one buffer's worth of ours); the
    // rest was never held for it.
    const read = await drain(slow);
    assert.ok(read < sent * frame, `read ${read} of ${sent * frame} bytes`);
    console.log(
      `  dropped after ${sent} events (${(sent * frame / 1024).toFixed(0)} KiB); ` +
        `it could still read ${(read / 1024).toFixed(0)} KiB`,
    );

    const joins = watcher.events.filter((e) => e.event === "join").length;
    assert.ok(joins >= sent - 1, `the reader got every event (${joins} of ${sent})`);
    const r = await fetch(`${server.url}/metrics`);
    const families = parsePrometheus(await r.text());
    assert.equal(valueOf(families, "peer_http_event_clients_dropped_total"), 1);
    assert.equal(valueOf(families, "peer_http_event_clients"), 1);
  } finally {
    slow.close();
  }
});

Deno.test("http: a client that goes away is forgotten at once", async () => {
  await using node = await startNode();
  await using server = serveHttp(node, { interval: 25 });
  await using watcher = await SseClient.open(`${server.url}/events`);
  const gone = await rawEventsRequest(server.addr.port);
  const buffer = new Uint8Array(16 * 1024);
  let text = "";
  while (!text.includes("event: hello")) {
    const n = await gone.read(buffer);
    assert.ok(n !== null, "the stream started");
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(text, /content-type: text\/event-stream/i);
  await watcher.wait((e, x) => e === "metrics" && x.clients === 2, "both clients counted");
  gone.close(); // gone without unsubscribing
  await watcher.wait((e, x) => e === "metrics" && x.clients === 1, "the vanished client forgotten");
  assert.equal(server.eventClients, 1);
  const r = await fetch(`${server.url}/metrics`);
  const families = parsePrometheus(await r.text());
  assert.equal(valueOf(families, "peer_http_event_clients_dropped_total"), 0, "gone, not slow");
});
