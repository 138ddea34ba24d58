/**
 * A node's metrics in the Prometheus text exposition format (version 0.0.4):
 * one table, {@link METRICS}, names every metric, its type and its meaning,
 * and {@link metricsText} writes the samples of each.
 *
 * Names follow Prometheus's conventions: the prefix `peer_`, base units
 * (seconds, bytes) in the name, counters ending in `_total`. The probe
 * round-trip histogram is kept in milliseconds by the node and exposed in
 * seconds here.
 *
 * @module
 */

import type { Member } from "../engine.ts";
import type { NodeMetrics } from "../metrics.ts";
import type { MemberState } from "../wire/message.ts";

/**
 * The `Content-Type` of the Prometheus text format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PROMETHEUS_CONTENT_TYPE } from "@gossip/peer/http";
 * assert.equal(PROMETHEUS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
 * ```
 */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The member states, in the order `peer_members` lists them. */
const STATES: readonly MemberState[] = ["alive", "suspect", "dead", "left"];

/**
 * What {@link metricsText} reads: a node's counters and members, and the
 * HTTP endpoint's own figures.
 */
export interface MetricsInput {
  /** The node's counters, from `node.metrics()`. */
  metrics: NodeMetrics;
  /** Every member, from `node.members()`. */
  members: readonly Member[];
  /** The node's incarnation. */
  incarnation: number;
  /** Event-stream clients connected now. */
  eventClients: number;
  /** Event-stream clients disconnected because they did not keep up. */
  eventClientsDropped: number;
}

/** One sample: its labels (may be empty) and its value. */
type Sample = [labels: Record<string, string>, value: number];

/**
 * One metric of the exposition: its name, type and help text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { METRICS } from "@gossip/peer/http";
 * const members = METRICS.find((m) => m.name === "peer_members");
 * assert.equal(members?.type, "gauge");
 * ```
 */
export interface MetricInfo {
  /** The metric's name, `peer_...`; a histogram's samples add `_bucket`, `_sum`, `_count`. */
  name: string;
  /** Its Prometheus type. */
  type: "counter" | "gauge" | "histogram";
  /** What it measures (the `# HELP` line). */
  help: string;
}

interface Metric extends MetricInfo {
  samples?: (input: MetricsInput) => Sample[];
}

const counter = (name: string, help: string, value: (m: NodeMetrics) => number): Metric => ({
  name,
  type: "counter",
  help,
  samples: ({ metrics }) => [[{}, value(metrics)]],
});

const TABLE: readonly Metric[] = [
  {
    name: "peer_members",
    type: "gauge",
    help: "Members this node knows of, by state, this node included.",
    samples: ({ members }) => {
      const count: Record<string, number> = { alive: 0, suspect: 0, dead: 0, left: 0 };
      for (const m of members) count[m.state] = (count[m.state] ?? 0) + 1;
      return STATES.map((state) => [{ state }, count[state]]);
    },
  },
  {
    name: "peer_incarnation",
    type: "gauge",
    help: "This node's incarnation number (raised each time it refutes a suspicion).",
    samples: ({ incarnation }) => [[{}, incarnation]],
  },
  counter(
    "peer_sent_datagrams_total",
    "Datagrams sent, as they went on the wire.",
    (m) => m.packetsSent,
  ),
  counter("peer_sent_bytes_total", "Bytes sent on the wire.", (m) => m.bytesSent),
  counter(
    "peer_received_datagrams_total",
    "Datagrams received, before any check.",
    (m) => m.packetsReceived,
  ),
  counter("peer_received_bytes_total", "Bytes received.", (m) => m.bytesReceived),
  counter(
    "peer_messages_broadcast_total",
    "Messages this node broadcast.",
    (m) => m.broadcasts,
  ),
  counter(
    "peer_messages_delivered_total",
    "Messages delivered to the application, once each.",
    (m) => m.delivered,
  ),
  counter(
    "peer_messages_duplicate_total",
    "Copies of already delivered messages that arrived again.",
    (m) => m.duplicates,
  ),
  counter(
    "peer_message_copies_sent_total",
    "Copies of messages this node sent: first pushes, relays, retransmissions and repairs.",
    (m) => m.copiesSent,
  ),
  {
    name: "peer_dropped_total",
    type: "counter",
    help: "Datagrams (or parts of one) dropped, by reason.",
    samples: ({ metrics }) =>
      Object.entries(metrics.dropped).map(([reason, n]) => [{ reason }, n] as Sample),
  },
  counter("peer_probes_total", "Failure-detection probes started.", (m) => m.probes),
  counter(
    "peer_probes_failed_total",
    "Probes that ended without an ack, direct or indirect.",
    (m) => m.probesFailed,
  ),
  counter(
    "peer_refutations_total",
    "Times this node refuted a suspicion (or death) about itself.",
    (m) => m.refutations,
  ),
  counter(
    "peer_members_refused_total",
    "Updates about unknown members ignored because the member table was full.",
    (m) => m.membersRefused,
  ),
  {
    name: "peer_health_score",
    type: "gauge",
    help: "Local health (Lifeguard): 0 is healthy; timeouts are stretched by score + 1.",
    samples: ({ metrics }) => [[{}, metrics.health]],
  },
  {
    name: "peer_broadcast_queue_depth",
    type: "gauge",
    help: "Updates and messages waiting in the piggyback queue.",
    samples: ({ metrics }) => [[{}, metrics.queued]],
  },
  {
    name: "peer_probe_rtt_seconds",
    type: "histogram",
    help: "Round-trip time of direct probes (ping to ack).",
  },
  {
    name: "peer_http_event_clients",
    type: "gauge",
    help: "Clients of the /events stream connected now.",
    samples: ({ eventClients }) => [[{}, eventClients]],
  },
  {
    name: "peer_http_event_clients_dropped_total",
    type: "counter",
    help: "Clients of the /events stream disconnected because they did not keep up.",
    samples: ({ eventClientsDropped }) => [[{}, eventClientsDropped]],
  },
];

/**
 * Every metric `/metrics` exposes: name, type and meaning.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { METRICS } from "@gossip/peer/http";
 * for (const m of METRICS) {
 *   assert.ok(m.name.startsWith("peer_"));
 *   assert.equal(m.type === "counter", m.name.endsWith("_total"));
 * }
 * ```
 */
export const METRICS: readonly MetricInfo[] = TABLE.map(({ name, type, help }) => ({
  name,
  type,
  help,
}));

/**
 * The Prometheus text exposition of a node's metrics (serve it with
 * {@link PROMETHEUS_CONTENT_TYPE}), for applications that run their own
 * HTTP server instead of `serveHttp`.
 *
 * @param input The node's counters and members and the endpoint's figures.
 * @returns The exposition, one sample a line, ending in a newline.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GossipNode } from "@gossip/peer";
 * import { metricsText } from "@gossip/peer/http";
 * await using node = await GossipNode.start({ port: 0 });
 * const text = metricsText({
 *   metrics: node.metrics(),
 *   members: node.members(),
 *   incarnation: node.incarnation,
 *   eventClients: 0,
 *   eventClientsDropped: 0,
 * });
 * assert.match(text, /^peer_members\{state="alive"\} 1$/m);
 * assert.match(text, /^peer_dropped_total\{reason="malformed"\} 0$/m);
 * ```
 */
export function metricsText(input: MetricsInput): string {
  const lines: string[] = [];
  for (const metric of TABLE) {
    lines.push(`# HELP ${metric.name} ${escapeHelp(metric.help)}`);
    lines.push(`# TYPE ${metric.name} ${metric.type}`);
    if (metric.type === "histogram") {
      histogram(lines, metric.name, input.metrics.probeRtt);
      continue;
    }
    for (const [labels, value] of metric.samples!(input)) {
      lines.push(`${metric.name}${formatLabels(labels)} ${formatValue(value)}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** A histogram kept in ms (`bounds`, per-bucket `counts`), written in seconds, cumulative. */
function histogram(lines: string[], name: string, h: NodeMetrics["probeRtt"]): void {
  let cumulative = 0;
  h.bounds.forEach((bound, i) => {
    cumulative += h.counts[i] ?? 0;
    lines.push(`${name}_bucket{le="${formatValue(seconds(bound))}"} ${cumulative}`);
  });
  lines.push(`${name}_bucket{le="+Inf"} ${h.count}`);
  lines.push(`${name}_sum ${formatValue(seconds(h.sum))}`);
  lines.push(`${name}_count ${h.count}`);
}

/** Milliseconds to seconds, without the float noise of a division (0.1 / 1000). */
function seconds(ms: number): number {
  return Number((ms / 1000).toPrecision(12));
}

/** A sample value: integers as they are, others in JavaScript's shortest form. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function formatLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

/** A label value: backslash, double quote and line feed escaped. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A help text: backslash and line feed escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}
