/**
 * {@link serveHttp}: a read-only HTTP endpoint beside a node, with four
 * routes: `/members` (JSON), `/metrics` (Prometheus text), `/events`
 * (server-sent events) and `/` (the live page).
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { formatAddress } from "../address.ts";
import type { GossipNode } from "../node.ts";
import { EventHub } from "./events.ts";
import { Http1Server, type HttpRequest, type HttpResponse } from "./http1.ts";
import { PAGE } from "./page.ts";
import { metricsText, PROMETHEUS_CONTENT_TYPE } from "./prometheus.ts";

/**
 * Options for {@link serveHttp}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ServeHttpOptions } from "@gossip/peer/http";
 * const options: ServeHttpOptions = { hostname: "127.0.0.1", port: 9090 };
 * assert.equal(options.port, 9090);
 * ```
 */
export interface ServeHttpOptions {
  /** Address to bind, default `127.0.0.1` (loopback: say `0.0.0.0` to serve others). */
  hostname?: string;
  /** Port to bind; 0 (default) picks a free one: `server.url` tells which. */
  port?: number;
  /** Milliseconds between the counters snapshots on `/events`, default 1000. */
  interval?: number;
  /** Bytes an `/events` client may leave unread before it is disconnected, default 64 KiB. */
  clientBuffer?: number;
  /** `/events` clients at once, default 256; more get 503. */
  maxClients?: number;
}

/**
 * A running endpoint, from {@link serveHttp}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GossipNode } from "@gossip/peer";
 * import { type PeerHttpServer, serveHttp } from "@gossip/peer/http";
 * await using node = await GossipNode.start({ port: 0 });
 * await using server: PeerHttpServer = serveHttp(node);
 * assert.equal(server.eventClients, 0);
 * ```
 */
export interface PeerHttpServer extends AsyncDisposable {
  /** The bound address. */
  readonly addr: Deno.NetAddr;
  /** Where to point a browser: `http://HOST:PORT` (IPv6 hosts in brackets). */
  readonly url: string;
  /** Clients of `/events` connected now. */
  readonly eventClients: number;
  /** Resolves once the server has shut down. */
  readonly finished: Promise<void>;
  /** Ends every event stream and stops serving; the node is left running. */
  shutdown(): Promise<void>;
}

const log = getLogger(["peer", "http"]);

const ROUTES = new Set(["/", "/members", "/metrics", "/events"]);
const ALLOW = "GET, HEAD";

/** What every response carries. */
const COMMON = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

/**
 * The page may load nothing from anywhere: its script and style are inline,
 * and its only connection is to `/events` on the same origin.
 */
const PAGE_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
  "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Serves a node's members, metrics, events and live page over HTTP:
 *
 * - `GET /members`: every member, this node first, as `node.members()` returns them (JSON).
 * - `GET /metrics`: the Prometheus text format (see `METRICS` for the names).
 * - `GET /events`: server-sent events: `hello` (this node, every member, a
 *   snapshot), then `join`, `joined`, `suspect`, `alive`, `dead`, `leave` and
 *   `tag` as they happen, and `metrics` (a counters snapshot) every `interval` ms.
 * - `GET /`: a self-contained page that shows the cluster live.
 *
 * Read-only: other methods get 405, other paths 404; one request per
 * connection. It binds loopback unless told otherwise, and then answers only
 * requests that name a loopback host (403 otherwise: no DNS rebinding). The node is not closed with the server, nor the
 * server with the node.
 *
 * @param node The node to show.
 * @param options Where to bind and the event stream's limits.
 * @returns The running server; shut it down (or `await using` it) when done.
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GossipNode } from "@gossip/peer";
 * import { serveHttp } from "@gossip/peer/http";
 * await using node = await GossipNode.start({ port: 0 });
 * await using server = serveHttp(node, { hostname: "127.0.0.1", port: 0 });
 * const members = await (await fetch(new URL("/members", server.url))).json();
 * assert.equal(members[0].address, node.address);
 * const metrics = await (await fetch(new URL("/metrics", server.url))).text();
 * assert.match(metrics, /^peer_members\{state="alive"\} 1$/m);
 * ```
 */
export function serveHttp(node: GossipNode, options: ServeHttpOptions = {}): PeerHttpServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const maxClients = positive("maxClients", options.maxClients ?? 256);
  const hub = new EventHub(node, {
    interval: positive("interval", options.interval ?? 1000),
    clientBuffer: positive("clientBuffer", options.clientBuffer ?? 64 * 1024),
    maxClients,
  });
  const local = isLoopback(hostname);
  const handle = (request: HttpRequest): HttpResponse => {
    // On loopback, a page elsewhere could still reach this server through a
    // name that resolves to 127.0.0.1 (DNS rebinding): answer loopback names
    // only (browsers always send one; an HTTP/1.0 client may send none).
    if (local && request.host !== "" && !isLoopback(hostOf(request.host))) {
      return text(403, `forbidden: Host ${request.host} is not a loopback name\n`);
    }
    const { path } = request;
    if (!ROUTES.has(path)) return text(404, `not found: ${path}\n`);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return text(405, `${request.method} not allowed: this endpoint is read-only\n`, {
        allow: ALLOW,
      });
    }
    switch (path) {
      case "/members":
        return respond(JSON.stringify(node.members()), "application/json");
      case "/metrics":
        return respond(
          metricsText({
            metrics: node.metrics(),
            members: node.members(),
            incarnation: node.incarnation,
            eventClients: hub.clients,
            eventClientsDropped: hub.dropped,
          }),
          PROMETHEUS_CONTENT_TYPE,
        );
      case "/events":
        return events(request, hub);
      default:
        return respond(PAGE, "text/html; charset=utf-8", {
          "content-security-policy": PAGE_POLICY,
        });
    }
  };
  let server: Http1Server;
  try {
    server = new Http1Server({
      hostname,
      port: options.port ?? 0,
      // The event streams, and room for as many short requests besides.
      maxConnections: 2 * maxClients,
      handle,
      onError: (error) =>
        log.error("HTTP request failed: {error}", {
          error: error instanceof Error ? error.stack ?? error.message : String(error),
        }),
    });
  } catch (e) {
    hub.close();
    throw e;
  }
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      hub.close();
      await server.shutdown();
    })();
  return {
    addr: server.addr,
    url: `http://${formatAddress(server.addr.hostname, server.addr.port)}`,
    get eventClients() {
      return hub.clients;
    },
    finished: server.finished,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}

/** `/events`: a stream fed by the hub until the client goes away or falls behind. */
function events(request: HttpRequest, hub: EventHub): HttpResponse {
  if (hub.full) return text(503, "too many event-stream clients\n", { "retry-after": "5" });
  const headers = { ...COMMON, "content-type": "text/event-stream" };
  if (request.method === "HEAD") return { status: 200, headers };
  return {
    status: 200,
    headers,
    stream: async ({ write, closed, cut }) => {
      const sub = hub.open(cut);
      if (!sub) return;
      closed.then(() => sub.end());
      try {
        for (let frame; (frame = await sub.next()) !== undefined;) await write(frame);
      } finally {
        sub.end();
      }
    },
  };
}

function respond(body: string, type: string, extra: Record<string, string> = {}): HttpResponse {
  return { status: 200, headers: { ...COMMON, "content-type": type, ...extra }, body };
}

function text(status: number, body: string, extra: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: { ...COMMON, "content-type": "text/plain; charset=utf-8", ...extra },
    body,
  };
}

/** The host part of a `Host` header value (`host`, `host:port`, `[v6]:port`). */
function hostOf(authority: string): string {
  if (authority.startsWith("[")) return authority.slice(0, authority.indexOf("]") + 1);
  const colon = authority.lastIndexOf(":");
  return colon >= 0 && authority.indexOf(":") === colon ? authority.slice(0, colon) : authority;
}

/** Whether `host` (a name or an address, IPv6 with or without brackets) is loopback. */
function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}
