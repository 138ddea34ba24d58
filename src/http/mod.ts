/**
 * # @gossip/peer/http: see the cluster
 *
 * A read-only HTTP endpoint beside a node, in its own entry point so that
 * the main library carries no HTTP code. {@link serveHttp} serves:
 *
 * - `GET /members`: every member, this node first (JSON, as `node.members()`).
 * - `GET /metrics`: Prometheus text format; {@link METRICS} lists the names
 *   (`peer_members{state=...}`, `peer_dropped_total{reason=...}`,
 *   `peer_probe_rtt_seconds`, ...).
 * - `GET /events`: server-sent events: `hello`, then each member event
 *   (`join`, `joined`, `suspect`, `alive`, `dead`, `leave`, `tag`) and a
 *   `metrics` snapshot every second. A client that does not keep up is
 *   disconnected (its buffer is bounded), never buffered without limit.
 * - `GET /`: a self-contained live page: the members on a ring coloured by
 *   state, a table with their addresses, states and tags, message and byte
 *   rates, drops by reason, and the events as they come.
 *
 * It binds loopback (`127.0.0.1`) unless told otherwise. The command line
 * starts it with `--http HOST:PORT`.
 *
 * @example Serve a node and read its members and metrics
 * ```ts
 * import assert from "node:assert/strict";
 * import { GossipNode } from "@gossip/peer";
 * import { serveHttp } from "@gossip/peer/http";
 *
 * await using node = await GossipNode.start({ port: 0 });
 * await using server = serveHttp(node, { hostname: "127.0.0.1", port: 0 });
 * const response = await fetch(new URL("/metrics", server.url));
 * assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
 * assert.match(await response.text(), /^peer_members\{state="alive"\} 1$/m);
 * ```
 *
 * @module
 */

export { type PeerHttpServer, serveHttp, type ServeHttpOptions } from "./server.ts";
export {
  type MetricInfo,
  METRICS,
  type MetricsInput,
  metricsText,
  PROMETHEUS_CONTENT_TYPE,
} from "./prometheus.ts";
export { type SseEvent, sseFrame, SseParser } from "./sse.ts";
