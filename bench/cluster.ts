/**
 * One cluster of N real UDP peers on loopback, all in this process, through
 * the scenarios of the reference harnesses (../shared/peers): join, idle
 * load, broadcast latency, CPU per delivery under a stream, crash detection,
 * memory. Prints one JSON line on stdout; progress on stderr.
 *
 * Run: deno run --allow-net --allow-read --allow-env --allow-sys \
 *        --v8-flags=--expose-gc bench/cluster.ts --n 50 [--profile lan]
 * (`deno task bench` runs it once per N, each in a fresh process.)
 */

import { GossipNode } from "../mod.ts";
import type { ProfileName } from "../src/core/config.ts";
import { args, cpuMicros, gc, percentile, round, sleep, until } from "./common.ts";

const opt = args(Deno.args);
const N = Number(opt.get("n") ?? 10);
const PROFILE = (opt.get("profile") ?? "lan") as ProfileName;
const MODE = (opt.get("mode") ?? "epidemic") as "tree" | "epidemic" | "mesh";
/** Messages node 0 broadcasts before the measured ones (trees form meanwhile). */
const WARMUP = Number(opt.get("warmup") ?? 10);
const MESSAGES = Number(opt.get("messages") ?? 200);
/**
 * Milliseconds between broadcasts: N / 2 (at least 20), so that the slowest
 * mode keeps up at every N (epidemic mode at N = 200 falls ever further behind
 * at 20 ms: 12 copies of each message from each node).
 */
const INTERVAL = Number(opt.get("interval") ?? Math.max(20, N / 2));
/** Every-node-sending scenario: rounds measured (each node one message per round), after one round of warm-up. */
const ROUNDS = Number(opt.get("rounds") ?? 4);
const IDLE_S = Number(opt.get("idle-s") ?? 5);
const STREAM_S = Number(opt.get("stream-s") ?? 3);
const WINDOW = Number(opt.get("window") ?? 32);
const SCENARIOS = new Set(
  (opt.get("scenarios") ??
    `join,idle,broadcast,${N <= 100 ? "all," : ""}stream,failure`).split(","),
);
const JOIN_TIMEOUT = Number(opt.get("join-timeout") ?? 60_000);
const progress = (s: string) => console.error(`[N=${N}] ${s}`);

const out: Record<string, unknown> = {
  scenario: "cluster",
  n: N,
  profile: PROFILE,
  mode: MODE,
  deno: Deno.version.deno,
  v8: Deno.version.v8,
};

gc();
const rssBase = Deno.memoryUsage().rss;
const cpuStart = cpuMicros();

// --- join: node 0 first, then every other node joins through it -------------
const nodes: GossipNode[] = [];
nodes.push(
  await GossipNode.start({ hostname: "127.0.0.1", port: 0, profile: PROFILE, mode: MODE }),
);
const seed = nodes[0].address;
const t0 = performance.now();
for (let i = 1; i < N; i++) {
  nodes.push(
    await GossipNode.start({
      hostname: "127.0.0.1",
      port: 0,
      profile: PROFILE,
      mode: MODE,
      seeds: [seed],
    }),
  );
}
const startedMs = performance.now() - t0;
const pairs = () => {
  let k = 0;
  for (const n of nodes) k += Math.min(N - 1, n.peers().length);
  return k;
};
const totalPairs = N * (N - 1);
let p90 = -1, p99 = -1;
const converged = await until(
  () => {
    const k = pairs();
    const t = performance.now() - t0;
    if (p90 < 0 && k >= 0.9 * totalPairs) p90 = t;
    if (p99 < 0 && k >= 0.99 * totalPairs) p99 = t;
    return k === totalPairs;
  },
  JOIN_TIMEOUT,
  10,
);
const joinMs = converged ? performance.now() - t0 : -1;
Object.assign(out, {
  converged,
  join_ms: round(joinMs),
  join_90pct_pairs_ms: round(p90),
  join_99pct_pairs_ms: round(p99),
  join_calls_returned_ms: round(startedMs),
  pairs_known_frac: round(pairs() / totalPairs, 5),
  pairs_missing: totalPairs - pairs(),
  join_timeout_ms: JOIN_TIMEOUT,
  join_cpu_s: round((cpuMicros() - cpuStart) / 1e6, 3),
});
progress(`join: ${converged ? `all know all in ${round(joinMs)} ms` : "did not converge"}`);

// --- memory ------------------------------------------------------------------
await sleep(1000);
const gcForced = gc();
const rss = Deno.memoryUsage().rss;
Object.assign(out, {
  rss_mb: round(rss / 1e6, 2),
  rss_per_node_mb: round(rss / 1e6 / N, 3),
  rss_marginal_per_node_mb: round((rss - rssBase) / 1e6 / N, 3),
  heap_used_per_node_mb: round(Deno.memoryUsage().heapUsed / 1e6 / N, 3),
  gc_forced: gcForced,
});

// --- idle load -----------------------------------------------------------------
if (SCENARIOS.has("idle")) {
  // Steady state: after each joiner's early push-pull exchanges (1, 3 and 7 s after it
  // joined), so about 8 s after the join; memberlist's harness settles 3 s.
  await sleep(7000);
  const sum = (f: (n: GossipNode) => number) => nodes.reduce((a, n) => a + f(n), 0);
  const pk0 = sum((n) => n.metrics().packetsSent), by0 = sum((n) => n.metrics().bytesSent);
  const c0 = cpuMicros(), w0 = performance.now();
  await sleep(IDLE_S * 1000);
  const secs = (performance.now() - w0) / 1000;
  const pk = sum((n) => n.metrics().packetsSent) - pk0,
    by = sum((n) => n.metrics().bytesSent) - by0;
  Object.assign(out, {
    idle_window_s: round(secs, 2),
    idle_pkts_per_node_s: round(pk / N / secs, 2),
    idle_bytes_per_node_s: round(by / N / secs, 1),
    idle_cpu_ms_per_node_s: round((cpuMicros() - c0) / 1000 / N / secs, 3),
  });
  progress(`idle: ${out.idle_pkts_per_node_s} pkts, ${out.idle_bytes_per_node_s} B per node per s`);
}

// --- receipts of node 0's messages at every other node ---------------------------------
const receipts = new Map<number, number[]>();
const listeners: [GossipNode, (e: Event) => void][] = [];
for (const n of nodes.slice(1)) {
  const l = (e: Event) => {
    const d = (e as CustomEvent<{ from: string; id: number }>).detail;
    if (d.from !== seed) return;
    const list = receipts.get(d.id);
    if (list) list.push(performance.now());
  };
  n.addEventListener("message", l);
  listeners.push([n, l]);
}
/** Deliveries, duplicates and copies sent, summed over every node. */
const copies = () => {
  let delivered = 0, dups = 0, sent = 0;
  for (const n of nodes) {
    const m = n.metrics();
    delivered += m.delivered;
    dups += m.duplicates;
    sent += m.copiesSent;
  }
  return { delivered, dups, sent };
};
/** Copies sent per delivery between two snapshots (every push, relay and repair counted). */
const perDelivery = (a: ReturnType<typeof copies>, b: ReturnType<typeof copies>) =>
  round((b.sent - a.sent) / Math.max(1, b.delivered - a.delivered), 3);

// --- broadcast latency: WARMUP, then MESSAGES of 100 bytes, one per INTERVAL ms -------------
if (SCENARIOS.has("broadcast")) {
  const payload = new Uint8Array(100).fill(7);
  for (let i = 0; i < WARMUP; i++) {
    nodes[0].broadcast(payload);
    await sleep(INTERVAL);
  }
  await sleep(1000);
  const sent = new Map<number, number>();
  const before = copies();
  const c0 = cpuMicros();
  for (let i = 0; i < MESSAGES; i++) {
    const t = performance.now();
    const id = nodes[0].broadcast(payload);
    receipts.set(id, []);
    sent.set(id, t);
    await sleep(INTERVAL);
  }
  const complete = () => [...sent.keys()].every((id) => receipts.get(id)!.length >= N - 1);
  await until(complete, 10_000, 10);
  // Let retransmissions and repairs finish, so every copy is counted.
  await sleep(2500);
  const after = copies();
  const allMs: number[] = [], perReceipt: number[] = [];
  let full = 0;
  for (const [id, t] of sent) {
    const r = receipts.get(id)!;
    for (const x of r) perReceipt.push(x - t);
    if (r.length >= N - 1) {
      full++;
      allMs.push(Math.max(...r) - t);
    }
  }
  const delivered = after.delivered - before.delivered;
  Object.assign(out, {
    warmup: WARMUP,
    messages: MESSAGES,
    interval_ms: INTERVAL,
    fully_delivered: full,
    all_received_p50_ms: round(percentile(allMs, 50), 2),
    all_received_p99_ms: round(percentile(allMs, 99), 2),
    all_received_max_ms: round(Math.max(...allMs), 2),
    per_receipt_p50_ms: round(percentile(perReceipt, 50), 2),
    per_receipt_p99_ms: round(percentile(perReceipt, 99), 2),
    copies_per_delivery: perDelivery(before, after),
    received_per_delivery: round(
      (delivered + after.dups - before.dups) / Math.max(1, delivered),
      2,
    ),
    broadcast_cpu_s: round((cpuMicros() - c0) / 1e6, 3),
  });
  for (const id of sent.keys()) receipts.delete(id);
  progress(
    `broadcast: all in p50 ${out.all_received_p50_ms} ms, p99 ${out.all_received_p99_ms} ms ` +
      `over ${full} of ${MESSAGES}; ${out.copies_per_delivery} copies per delivery`,
  );
}

// --- every node sending: one round of warm-up, then ROUNDS rounds, each node one message --------
if (SCENARIOS.has("all")) {
  const payload = new Uint8Array(100).fill(5);
  const got = new Map<string, { at: number; count: number }>();
  const al: [GossipNode, (e: Event) => void][] = [];
  for (const n of nodes) {
    const l = (e: Event) => {
      const d = (e as CustomEvent<{ from: string; id: number }>).detail;
      const r = got.get(`${d.from}/${d.id}`);
      if (r) r.count++;
    };
    n.addEventListener("message", l);
    al.push([n, l]);
  }
  const round1 = async (track: boolean) => {
    for (const n of nodes) {
      const id = n.broadcast(payload);
      if (track) got.set(`${n.address}/${id}`, { at: performance.now(), count: 0 });
      await sleep(INTERVAL);
    }
  };
  await round1(false);
  await sleep(1000);
  const before = copies();
  for (let r = 0; r < ROUNDS; r++) await round1(true);
  await until(() => [...got.values()].every((r) => r.count >= N - 1), 10_000, 10);
  await sleep(2500);
  const after = copies();
  for (const [n, l] of al) n.removeEventListener("message", l);
  Object.assign(out, {
    all_senders_messages: got.size,
    all_senders_fully_delivered: [...got.values()].filter((r) => r.count >= N - 1).length,
    all_senders_copies_per_delivery: perDelivery(before, after),
  });
  progress(`every node sending: ${out.all_senders_copies_per_delivery} copies per delivery`);
}

// --- stream: node 0 broadcasts for STREAM_S s, at most WINDOW not yet everywhere ------------
if (SCENARIOS.has("stream")) {
  const payload = new Uint8Array(100).fill(9);
  const pending = new Set<number>();
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let wake: (() => void) | undefined;
  let completed = 0;
  const doneListeners: [GossipNode, (e: Event) => void][] = [];
  const counts = new Map<number, number>();
  for (const n of nodes.slice(1)) {
    const l = (e: Event) => {
      const d = (e as CustomEvent<{ from: string; id: number }>).detail;
      if (d.from !== seed || !pending.has(d.id)) return;
      const c = (counts.get(d.id) ?? 0) + 1;
      counts.set(d.id, c);
      if (c >= N - 1) {
        pending.delete(d.id);
        counts.delete(d.id);
        completed++;
        latencies.push(performance.now() - sentAt.get(d.id)!);
        sentAt.delete(d.id);
        wake?.();
      }
    };
    n.addEventListener("message", l);
    doneListeners.push([n, l]);
  }
  const before = copies();
  const c0 = cpuMicros(), w0 = performance.now();
  let published = 0, stuck = 0;
  while (performance.now() - w0 < STREAM_S * 1000) {
    while (pending.size < WINDOW) {
      const id = nodes[0].broadcast(payload);
      pending.add(id);
      sentAt.set(id, performance.now());
      published++;
    }
    // Wait for a completion (or give up on messages older than 2 s: lost for good).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, 50);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });
    const now = performance.now();
    for (const [id, t] of sentAt) {
      if (now - t > 2000) {
        pending.delete(id);
        sentAt.delete(id);
        stuck++;
      }
    }
  }
  const span = (performance.now() - w0) / 1000;
  const cpu = cpuMicros() - c0;
  const after = copies();
  const deliveries = after.delivered - before.delivered;
  for (const [n, l] of doneListeners) n.removeEventListener("message", l);
  Object.assign(out, {
    stream_s: round(span, 2),
    stream_window: WINDOW,
    stream_published: published,
    stream_completed: completed,
    stream_abandoned: stuck,
    stream_msgs_per_s_to_all: round(completed / span, 1),
    stream_node_deliveries_per_s: round(deliveries / span, 0),
    stream_cpu_s: round(cpu / 1e6, 3),
    cpu_us_per_node_delivery: round(cpu / Math.max(1, deliveries), 1),
    stream_latency_p50_ms: round(percentile(latencies, 50), 1),
    stream_latency_p99_ms: round(percentile(latencies, 99), 1),
    stream_copies_per_delivery: perDelivery(before, after),
  });
  progress(
    `stream: ${out.stream_msgs_per_s_to_all} msgs/s to all, ${out.cpu_us_per_node_delivery} us CPU per node delivery`,
  );
  await sleep(1500);
}
for (const [n, l] of listeners) n.removeEventListener("message", l);

// --- failure: the last node stops without leaving -----------------------------------------
if (SCENARIOS.has("failure") && N >= 3) {
  const victim = nodes[N - 1];
  const address = victim.address;
  const seen = new Map<string, number>();
  let suspected = -1;
  const fl: [GossipNode, (e: Event) => void, string][] = [];
  for (const n of nodes.slice(0, N - 1)) {
    const l = (e: Event) => {
      const d = (e as CustomEvent<{ address: string }>).detail;
      if (d.address !== address) return;
      if (e.type === "dead" && !seen.has(n.address)) seen.set(n.address, performance.now());
      if (e.type === "suspect" && suspected < 0) suspected = performance.now();
    };
    n.addEventListener("dead", l);
    n.addEventListener("suspect", l);
    fl.push([n, l, "dead"]);
  }
  const falseDead = { n: 0 };
  const fd = (e: Event) => {
    if ((e as CustomEvent<{ address: string }>).detail.address !== address) falseDead.n++;
  };
  for (const n of nodes.slice(0, N - 1)) n.addEventListener("dead", fd);
  const t = performance.now();
  await victim.close();
  await until(() => seen.size >= N - 1, 90_000, 20);
  const times = [...seen.values()].map((x) => x - t);
  for (const [n, l] of fl) {
    n.removeEventListener("dead", l);
    n.removeEventListener("suspect", l);
    n.removeEventListener("dead", fd);
  }
  Object.assign(out, {
    failure_detected_by: seen.size,
    failure_expected: N - 1,
    first_suspect_ms: round(suspected < 0 ? -1 : suspected - t),
    first_dead_ms: round(times.length ? Math.min(...times) : -1),
    p50_dead_ms: round(times.length ? percentile(times, 50) : -1),
    all_dead_ms: round(seen.size >= N - 1 ? Math.max(...times) : -1),
    false_dead_events: falseDead.n,
  });
  progress(`failure: seen dead everywhere after ${out.all_dead_ms} ms`);
}

let dropped = 0;
const byReason: Record<string, number> = {};
for (const n of nodes) {
  const d = n.metrics().dropped as unknown as Record<string, number>;
  for (const k in d) {
    dropped += d[k];
    if (d[k] > 0) byReason[k] = (byReason[k] ?? 0) + d[k];
  }
}
out.dropped_datagrams = dropped;
out.dropped_by_reason = byReason;
out.total_cpu_s = round((cpuMicros() - cpuStart) / 1e6, 2);
await Promise.all(nodes.map((n) => n.close()));
console.log(JSON.stringify(out));
