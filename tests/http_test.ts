/**
 * The HTTP endpoint (`@gossip/peer/http`) on loopback: its routes, the event
 * stream as members join, fail and leave, and bad input: unknown paths,
 * other methods, too many clients, and clients that read too slowly or
 * vanish, which must not make the node hold their events.
 */

import assert from "node:assert/strict";
import { serveHttp } from "../src/http/mod.ts";
import { closeAll, fullMesh, startCluster, startNode, waitFor } from "./helpers.ts";
import { parsePrometheus, valueOf } from "./prometheus_parse.ts";
import { SseClient } from "./sse_client.ts";

/** Faster failure detection than LAN, so that a crash is seen in a few seconds. */
const FAST = { probeInterval: 200, probeTimeout: 80, suspicionMult: 3, period: 50 };

Deno.test("http: /members, /metrics and / answer GET and HEAD, on loopback by default", async () => {
  const nodes = await startCluster(2);
  await using server = serveHttp(nodes[0]);
  try {
    await waitFor(() => fullMesh(nodes), { what: "two nodes joined" });
    assert.equal(server.addr.hostname, "127.0.0.1");
    assert.equal(server.url, `http://127.0.0.1:${server.addr.port}`);

    const members = await fetch(`${server.url}/members`);
    assert.equal(members.headers.get("content-type"), "application/json");
    assert.deepEqual(await members.json(), nodes[0].members());
    const query = await fetch(`${server.url}/members?pretty=1`);
    assert.equal(query.status, 200, "a query string is ignored");
    await query.body?.cancel();

    const metrics = await fetch(`${server.url}/metrics`);
    assert.equal(metrics.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const families = parsePrometheus(await metrics.text());
    assert.equal(valueOf(families, "peer_members", { state: "alive" }), 2);
    assert.equal(valueOf(families, "peer_http_event_clients"), 0);

    const page = await fetch(`${server.url}/`);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'self'/);
    const html = await page.text();
    assert.ok(html.startsWith("<!doctype html>"));
    // Self-contained: nothing to load from anywhere.
    assert.doesNotMatch(html, /<link|<script[^>]+src=|@import|url\(|<img|<iframe/i);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);

    for (const path of ["/", "/members", "/metrics", "/events"]) {
      const head = await fetch(`${server.url}${path}`, { method: "HEAD" });
      assert.equal(head.status, 200, `HEAD ${path}`);
      assert.equal(await head.text(), "", `HEAD ${path} has no body`);
    }
    assert.equal(server.eventClients, 0, "HEAD /events opens no stream");
  } finally {
    await closeAll(nodes);
  }
});

Deno.test("http: unknown paths get 404, other methods 405 with Allow", async () => {
  await using node = await startNode();
  await using server = serveHttp(node);
  for (const path of ["/nope", "/members/", "/metrics.txt", "/index.html", "/events/x", "//"]) {
    const r = await fetch(`${server.url}${path}`);
    assert.equal(r.status, 404, path);
    assert.match(await r.text(), /^not found: /);
  }
  for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
    for (const path of ["/", "/members", "/metrics", "/events"]) {
      const r = await fetch(`${server.url}${path}`, {
        method,
        body: method === "POST" ? "x" : null,
      });
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.headers.get("allow"), "GET, HEAD");
      await r.body?.cancel();
    }
  }
  assert.equal(node.members().length, 1, "nothing changed");
});

Deno.test("http: on loopback, only loopback Host names are answered (no DNS rebinding)", async () => {
  await using node = await startNode();
  await using server = serveHttp(node);
  const ask = async (host: string) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    try {
      await conn.write(
        new TextEncoder().encode(
          `GET /members HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        ),
      );
      const buffer = new Uint8Array(4096);
      let answer = "";
      for (let n; (n = await conn.read(buffer)) !== null;) {
        answer += new TextDecoder().decode(buffer.subarray(0, n));
      }
      return Number(answer.split(" ")[1]);
    } finally {
      conn.close();
    }
  };
  const port = server.addr.port;
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, "127.1.2.3", `[::1]:${port}`]) {
    assert.equal(await ask(host), 200, host);
  }
  for (const host of [`attacker.example:${port}`, "10.0.0.1", "localhost.example.com"]) {
    assert.equal(await ask(host), 403, host);
  }
});

Deno.test("http: bad options are refused; a taken port throws AddrInUse and leaves nothing running", async () => {
  await using node = await startNode();
  for (const bad of [{ interval: 0 }, { clientBuffer: -1 }, { maxClients: 1.5 }]) {
    assert.throws(() => serveHttp(node, bad), RangeError);
  }
  await using first = serveHttp(node);
  assert.throws(() => serveHttp(node, { port: first.addr.port }), Deno.errors.AddrInUse);
  const r = await fetch(`${first.url}/members`);
  assert.equal(r.status, 200);
  await r.body?.cancel();
});

Deno.test("http: /events streams hello, joins, a crash (suspect, dead), a leave and snapshots", async () => {
  const nodes = await startCluster(2, FAST);
  const [a] = nodes;
  await using server = serveHttp(a, { interval: 50 });
  try {
    await waitFor(() => fullMesh(nodes), { what: "two nodes joined" });
    await using events = await SseClient.open(`${server.url}/events`);
    const hello = await events.wait((e) => e === "hello", "hello");
    assert.equal(hello.index, 0, "hello comes first");
    assert.equal(hello.data.address, a.address);
    assert.deepEqual(
      (hello.data.members as { address: string }[]).map((m) => m.address).sort(),
      nodes.map((n) => n.address).sort(),
    );
    assert.ok(Array.isArray(hello.data.history));

    const c = await startNode({ ...FAST, seeds: [a.address] });
    const d = await startNode({ ...FAST, seeds: [a.address] });
    nodes.push(c, d);
    for (const n of [c, d]) {
      const join = await events.wait((e, x) => e === "join" && x.address === n.address, "join");
      assert.equal(join.data.incarnation, 0);
      assert.equal(typeof join.data.time, "number");
    }

    await d.close(); // a crash: no leave
    const suspect = await events.wait(
      (e, x) => e === "suspect" && x.address === d.address,
      "suspect of the crashed node",
    );
    const dead = await events.wait(
      (e, x) => e === "dead" && x.address === d.address,
      "dead",
      { from: suspect.index, timeout: 20_000 },
    );
    assert.ok(dead.index > suspect.index);

    await c.leave();
    await events.wait((e, x) => e === "leave" && x.address === c.address, "leave");

    const snap = await events.wait(
      (e, x) => e === "metrics" && (x.members as Record<string, number>).left === 1,
      "a snapshot counting the leave",
    );
    assert.deepEqual(snap.data.members, { alive: 2, suspect: 0, dead: 1, left: 1 });
    const m = snap.data.metrics as Record<string, unknown>;
    for (const key of ["packetsSent", "bytesReceived", "delivered", "dropped", "probeRtt"]) {
      assert.ok(key in m, key);
    }
    const types = new Set(events.events.map((e) => e.event));
    for (const t of types) {
      assert.ok(["hello", "join", "suspect", "alive", "dead", "leave", "metrics"].includes(t), t);
    }
  } finally {
    await closeAll(nodes);
  }
});

Deno.test("http: more than maxClients event streams get 503; a freed place can be taken again", async () => {
  await using node = await startNode();
  await using server = serveHttp(node, { maxClients: 2, interval: 20 });
  const one = await SseClient.open(`${server.url}/events`);
  await using two = await SseClient.open(`${server.url}/events`);
  const refused = await fetch(`${server.url}/events`);
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get("retry-after"), "5");
  await refused.body?.cancel();
  await one[Symbol.asyncDispose]();
  // The server learns of it when a write fails; `two`'s snapshots say when.
  await two.wait((e, x) => e === "metrics" && x.clients === 1, "one client left");
  await using _three = await SseClient.open(`${server.url}/events`);
  assert.equal(server.eventClients, 2);
});

Deno.test("http: shutting the server down ends every stream; the node goes on", async () => {
  const nodes = await startCluster(2);
  try {
    const server = serveHttp(nodes[0]);
    await using events = await SseClient.open(`${server.url}/events`);
    await events.wait((e) => e === "hello", "hello");
    await server.shutdown();
    await server.finished;
    await waitFor(() => events.ended !== undefined, { what: "the stream to end" });
    await waitFor(() => fullMesh(nodes), { what: "the nodes still talking" });
    await server.shutdown(); // twice is fine
  } finally {
    await closeAll(nodes);
  }
});
