/**
 * The Prometheus exposition: it parses strictly (tests/prometheus_parse.ts),
 * names what the issue asks for with the right types, carries the node's
 * figures, escapes what it must, and the README documents every metric.
 * The strict reader itself is shown to reject what Prometheus rejects.
 */

import assert from "node:assert/strict";
import { METRICS, type MetricsInput, metricsText } from "../src/http/mod.ts";
import { closeAll, startCluster, startNode, waitFor } from "./helpers.ts";
import { parsePrometheus, valueOf } from "./prometheus_parse.ts";

Deno.test("prometheus: a live node's exposition parses, with every metric and its type", async () => {
  const nodes = await startCluster(3, { probeInterval: 100, probeTimeout: 50 });
  try {
    const [a] = nodes;
    await waitFor(() => a.metrics().probeRtt.count >= 3 && a.peers().length === 2, {
      what: "three probe round trips at node 0",
    });
    a.broadcast("hello");
    await waitFor(() => nodes.every((n) => n === a || n.metrics().delivered === 1), {
      what: "the broadcast delivered",
    });
    const m = a.metrics();
    const families = parsePrometheus(metricsText({
      metrics: m,
      members: a.members(),
      incarnation: a.incarnation,
      eventClients: 2,
      eventClientsDropped: 1,
    }));

    assert.deepEqual([...families.keys()], METRICS.map((x) => x.name));
    for (const info of METRICS) {
      const family = families.get(info.name)!;
      assert.equal(family.type, info.type, info.name);
      assert.equal(family.help, info.help, info.name);
      assert.ok(family.samples.length > 0, `${info.name} has samples`);
      assert.equal(info.type === "counter", info.name.endsWith("_total"), info.name);
      assert.match(info.name, /^peer_[a-z_]+$/);
    }
    for (const name of ["peer_members", "peer_dropped_total", "peer_probe_rtt_seconds"]) {
      assert.ok(families.has(name), name);
    }

    assert.equal(valueOf(families, "peer_members", { state: "alive" }), 3, "this node counts too");
    for (const state of ["suspect", "dead", "left"]) {
      assert.equal(valueOf(families, "peer_members", { state }), 0, state);
    }
    assert.equal(valueOf(families, "peer_sent_datagrams_total"), m.packetsSent);
    assert.equal(valueOf(families, "peer_sent_bytes_total"), m.bytesSent);
    assert.equal(valueOf(families, "peer_received_datagrams_total"), m.packetsReceived);
    assert.equal(valueOf(families, "peer_received_bytes_total"), m.bytesReceived);
    assert.equal(valueOf(families, "peer_messages_broadcast_total"), 1);
    assert.equal(valueOf(families, "peer_messages_delivered_total"), m.delivered);
    assert.equal(valueOf(families, "peer_messages_duplicate_total"), m.duplicates);
    assert.equal(valueOf(families, "peer_message_copies_sent_total"), m.copiesSent);
    assert.equal(valueOf(families, "peer_probes_total"), m.probes);
    assert.equal(valueOf(families, "peer_probes_failed_total"), m.probesFailed);
    assert.equal(valueOf(families, "peer_refutations_total"), m.refutations);
    assert.equal(valueOf(families, "peer_members_refused_total"), m.membersRefused);
    assert.equal(valueOf(families, "peer_health_score"), m.health);
    assert.equal(valueOf(families, "peer_broadcast_queue_depth"), m.queued);
    assert.equal(valueOf(families, "peer_incarnation"), a.incarnation);
    assert.equal(valueOf(families, "peer_http_event_clients"), 2);
    assert.equal(valueOf(families, "peer_http_event_clients_dropped_total"), 1);
    const reasons = families.get("peer_dropped_total")!.samples.map((s) => s.labels.reason);
    assert.deepEqual(reasons, Object.keys(m.dropped), "every reason, zero or not");

    // The histogram, in seconds: as many buckets as bounds plus +Inf, the sum and count as kept.
    const rtt = families.get("peer_probe_rtt_seconds")!;
    const buckets = rtt.samples.filter((s) => s.name === "peer_probe_rtt_seconds_bucket");
    assert.equal(buckets.length, m.probeRtt.bounds.length + 1);
    assert.deepEqual(
      buckets.slice(0, -1).map((b) => Number(b.labels.le)),
      m.probeRtt.bounds.map((ms) => ms / 1000),
    );
    assert.equal(
      valueOf(families, "peer_probe_rtt_seconds", {}, "peer_probe_rtt_seconds_count"),
      m.probeRtt.count,
    );
    const sum = valueOf(families, "peer_probe_rtt_seconds", {}, "peer_probe_rtt_seconds_sum");
    assert.ok(Math.abs(sum - m.probeRtt.sum / 1000) < 1e-9, `${sum} s`);
    assert.ok(m.probeRtt.count >= 3);
  } finally {
    await closeAll(nodes);
  }
});

/** A made-up input: every counter set, and awkward drop reasons. */
function input(dropped: Record<string, number>): MetricsInput {
  return {
    metrics: {
      packetsSent: 1,
      bytesSent: 2,
      packetsReceived: 3,
      bytesReceived: 4,
      broadcasts: 5,
      delivered: 6,
      duplicates: 7,
      copiesSent: 12,
      probes: 8,
      probesFailed: 9,
      refutations: 10,
      membersRefused: 11,
      health: 2,
      queued: 13,
      probeRtt: { bounds: [0.1, 1, 2.5], counts: [1, 2, 0, 4], sum: 123.4, count: 7 },
      dropped: dropped as MetricsInput["metrics"]["dropped"],
    },
    members: [
      { address: "127.0.0.1:1", state: "alive", incarnation: 0, since: 0, tags: {} },
      { address: "127.0.0.1:2", state: "suspect", incarnation: 1, since: 0, tags: {} },
      { address: "127.0.0.1:3", state: "dead", incarnation: 0, since: 0, tags: {} },
      { address: "127.0.0.1:4", state: "dead", incarnation: 0, since: 0, tags: {} },
      { address: "127.0.0.1:5", state: "left", incarnation: 2, since: 0, tags: {} },
    ],
    incarnation: 4,
    eventClients: 0,
    eventClientsDropped: 0,
  };
}

Deno.test("prometheus: label values are escaped, histograms are cumulative, floats exact", () => {
  const odd = 'quote " backslash \\ newline \n end';
  const families = parsePrometheus(metricsText(input({ [odd]: 3, plain: 0 })));
  assert.equal(valueOf(families, "peer_dropped_total", { reason: odd }), 3);
  assert.equal(valueOf(families, "peer_dropped_total", { reason: "plain" }), 0);
  assert.equal(valueOf(families, "peer_members", { state: "dead" }), 2);
  assert.equal(valueOf(families, "peer_members", { state: "suspect" }), 1);
  assert.equal(valueOf(families, "peer_health_score"), 2);
  const b = (le: string) =>
    valueOf(families, "peer_probe_rtt_seconds", { le }, "peer_probe_rtt_seconds_bucket");
  assert.deepEqual([b("0.0001"), b("0.001"), b("0.0025"), b("+Inf")], [1, 3, 3, 7]);
  assert.equal(
    valueOf(families, "peer_probe_rtt_seconds", {}, "peer_probe_rtt_seconds_sum"),
    0.1234,
  );
});

Deno.test("prometheus: the strict reader rejects what Prometheus rejects", () => {
  const bad: [string, RegExp][] = [
    ["x 1\n", /before the TYPE/],
    ["# TYPE x gauge\nx 1", /line feed/],
    ['# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n', /twice/],
    ["# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\n# TYPE x gauge\n", /split/],
    ["# TYPE x counter\nx -1\n", /counter x is -1/],
    ['# TYPE x gauge\nx{a="\\q"} 1\n', /bad escape/],
    ['# TYPE x gauge\nx{1a="b"} 1\n', /bad label/],
    ["# TYPE x gauge\nx one\n", /bad value/],
    ["# TYPE x widget\n", /unknown type/],
    [
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n',
      /not cumulative/,
    ],
    ['# TYPE h histogram\nh_bucket{le="1"} 2\nh_sum 1\nh_count 2\n', /no \+Inf/],
    ['# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n', /!= count/],
  ];
  for (const [text, error] of bad) {
    assert.throws(() => parsePrometheus(text), error, JSON.stringify(text));
  }
});

Deno.test("prometheus: the README names every metric with its meaning", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  for (const { name } of METRICS) {
    assert.match(readme, new RegExp(`^\\| \`${name}(\\{[^}]*\\})?\` +\\|`, "m"), `README: ${name}`);
  }
});

Deno.test("prometheus: a seed-wire node (no probes, no histogram bounds) parses too", async () => {
  await using node = await startNode({ wire: "seed" });
  const families = parsePrometheus(metricsText({
    metrics: node.metrics(),
    members: node.members(),
    incarnation: node.incarnation,
    eventClients: 0,
    eventClientsDropped: 0,
  }));
  assert.equal(valueOf(families, "peer_members", { state: "alive" }), 1);
  const rtt = families.get("peer_probe_rtt_seconds")!.samples;
  assert.deepEqual(rtt.map((s) => [s.name, s.labels.le, s.value]), [
    ["peer_probe_rtt_seconds_bucket", "+Inf", 0],
    ["peer_probe_rtt_seconds_sum", undefined, 0],
    ["peer_probe_rtt_seconds_count", undefined, 0],
  ]);
});
