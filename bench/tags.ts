/**
 * Tags and anti-entropy on loopback (issue 12's figures), one JSON line each:
 *
 * - write: N nodes; node 0 sets a tag, and, beside it, broadcasts a message;
 *   time until every other node saw each (median of `--rounds`).
 * - joiner: N nodes with 1 KiB of tags each, converged; a new node joins
 *   through node 0; time until it holds every member's tags.
 * - idle: N2 nodes with 20 KiB of tags each, and the same without tags;
 *   bytes sent per node per second once quiet (both in this process, one
 *   after the other).
 *
 * Then writes its section of bench/RESULTS.md (`--no-write` to leave it).
 *
 * Run: deno task bench-tags [--n 200] [--n2 50] [--rounds 5] [--idle-s 10] [--settle-s 15]
 *   [--no-write]
 */

import { GossipNode } from "../mod.ts";
import { args, percentile, round, sleep, until } from "./common.ts";

const opt = args(Deno.args);
const N = Number(opt.get("n") ?? 200);
const N2 = Number(opt.get("n2") ?? 50);
const ROUNDS = Number(opt.get("rounds") ?? 5);
const IDLE_S = Number(opt.get("idle-s") ?? 10);
/** How long a cluster is left to settle before idle traffic is measured (ms). */
const SETTLE_MS = Number(opt.get("settle-s") ?? 15) * 1000;
const log = (s: string) => console.error(`[tags] ${s}`);
const lines: Record<string, unknown>[] = [];
const emit = (line: Record<string, unknown>) => {
  lines.push(line);
  console.log(JSON.stringify(line));
};

async function cluster(
  n: number,
  tags: (i: number) => Record<string, string>,
): Promise<GossipNode[]> {
  const nodes = [await GossipNode.start({ port: 0, tags: tags(0) })];
  for (let i = 1; i < n; i++) {
    nodes.push(await GossipNode.start({ port: 0, seeds: [nodes[0].address], tags: tags(i) }));
  }
  const ok = await until(() => nodes.every((x) => x.peers().length === n - 1), 60_000, 20);
  if (!ok) throw new Error(`a cluster of ${n} did not form`);
  return nodes;
}

const close = (nodes: GossipNode[]) => Promise.all(nodes.map((x) => x.close()));

/** How long until `count` events of `type` matching `match` arrived at the other nodes. */
function timeAll(
  nodes: GossipNode[],
  type: "tag" | "message",
  match: (d: Record<string, unknown>) => boolean,
  act: () => void,
): Promise<number> {
  return new Promise((resolve) => {
    let left = nodes.length - 1;
    const t0 = performance.now();
    const listeners: [GossipNode, (e: Event) => void][] = [];
    for (const n of nodes.slice(1)) {
      const l = (e: Event) => {
        if (!match((e as CustomEvent).detail)) return;
        n.removeEventListener(type, l);
        if (--left === 0) {
          for (const [m, f] of listeners) m.removeEventListener(type, f);
          resolve(performance.now() - t0);
        }
      };
      n.addEventListener(type, l);
      listeners.push([n, l]);
    }
    act();
  });
}

// --- write: a tag beside a broadcast ------------------------------------------------------------
{
  const nodes = await cluster(N, () => ({}));
  await sleep(Math.min(3000, SETTLE_MS));
  const tagMs: number[] = [], msgMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const value = `v${r}`;
    tagMs.push(
      await timeAll(
        nodes,
        "tag",
        (d) => d.key === "load" && d.value === value,
        () => nodes[0].setTag("load", value),
      ),
    );
    await sleep(500);
    const text = `m${r}`;
    msgMs.push(
      await timeAll(
        nodes,
        "message",
        (d) => new TextDecoder().decode(d.payload as Uint8Array) === text,
        () => nodes[0].broadcast(text),
      ),
    );
    await sleep(500);
  }
  const line = {
    scenario: "tags-write",
    n: N,
    write_seen_by_all_ms: round(percentile(tagMs, 50), 1),
    broadcast_seen_by_all_ms: round(percentile(msgMs, 50), 1),
    ratio: round(percentile(tagMs, 50) / percentile(msgMs, 50), 2),
  };
  emit(line);
  log(`write: ${line.write_seen_by_all_ms} ms vs broadcast ${line.broadcast_seen_by_all_ms} ms`);

  // --- idle without tags, N ---------------------------------------------------------------------
  await sleep(SETTLE_MS);
  const b0 = nodes.reduce((s, x) => s + x.metrics().bytesSent, 0), t0 = performance.now();
  await sleep(IDLE_S * 1000);
  const bytes = nodes.reduce((s, x) => s + x.metrics().bytesSent, 0) - b0;
  const idle = {
    scenario: "tags-idle-large",
    n: N,
    idle_bytes_per_node_s: round(bytes / N / ((performance.now() - t0) / 1000), 1),
  };
  emit(idle);
  log(`idle at N=${N}: ${idle.idle_bytes_per_node_s} B per node per s`);
  await close(nodes);
}

// --- joiner: a 1 KiB state per node -------------------------------------------------------------
{
  const kib = (i: number) => ({ state: `${i}:`.padEnd(1000, "x") });
  const nodes = await cluster(N, kib);
  const holds = (x: GossipNode) => nodes.every((m) => x.tags(m.address)?.state?.length === 1000);
  await until(() => nodes.every((x) => holds(x)), 120_000, 50);
  const t0 = performance.now();
  const joiner = await GossipNode.start({ port: 0, seeds: [nodes[0].address] });
  const ok = await until(() => holds(joiner), 30_000, 5);
  const line = {
    scenario: "tags-joiner",
    n: N,
    tag_bytes_per_node: 1000,
    learned_all: ok,
    joiner_learns_all_ms: round(performance.now() - t0, 1),
  };
  emit(line);
  log(`joiner: every tag of ${N} nodes in ${line.joiner_learns_all_ms} ms`);
  await close([...nodes, joiner]);
}

// --- idle with and without 20 KiB of tags, N2 ---------------------------------------------------
for (const withTags of [false, true]) {
  const twenty = (i: number) => {
    const t: Record<string, string> = {};
    if (withTags) { for (let k = 0; k < 20; k++) t[`k${k}`] = `${i}`.padEnd(1000, "t"); }
    return t;
  };
  const nodes = await cluster(N2, twenty);
  await sleep(SETTLE_MS);
  const b0 = nodes.reduce((s, x) => s + x.metrics().bytesSent, 0), t0 = performance.now();
  await sleep(IDLE_S * 1000);
  const bytes = nodes.reduce((s, x) => s + x.metrics().bytesSent, 0) - b0;
  const line = {
    scenario: "tags-idle",
    n: N2,
    tags_bytes_per_node: withTags ? 20_000 : 0,
    idle_bytes_per_node_s: round(bytes / N2 / ((performance.now() - t0) / 1000), 1),
  };
  emit(line);
  log(
    `idle, ${
      withTags ? "20 KiB of tags" : "no tags"
    }: ${line.idle_bytes_per_node_s} B per node per s`,
  );
  await close(nodes);
}

// --- the section of RESULTS.md ------------------------------------------------------------------
const find = (scenario: string, extra: (l: Record<string, unknown>) => boolean = () => true) =>
  lines.find((l) => l.scenario === scenario && extra(l)) as Record<string, number>;
const write = find("tags-write"), joiner = find("tags-joiner"), large = find("tags-idle-large");
const bare = find("tags-idle", (l) => l.tags_bytes_per_node === 0);
const full = find("tags-idle", (l) => l.tags_bytes_per_node !== 0);
const idleRatio = full.idle_bytes_per_node_s / bare.idle_bytes_per_node_s;
const verdict = (ok: boolean) => ok ? "met" : "**not met**";
const section = `## Tags on loopback

\`deno task bench-tags\` (bench/tags.ts, issue 12), ${
  new Date().toISOString().slice(0, 16).replace("T", " ")
} UTC: GossipNodes on loopback UDP in one process, LAN profile, tree mode.

| figure | this run | goal | |
| --- | ---: | --- | --- |
| one write seen by all, N = ${N} (median of ${ROUNDS}) | ${write.write_seen_by_all_ms} ms, a broadcast ${write.broadcast_seen_by_all_ms} ms (${write.ratio}x) | ≤ 2x the broadcast | ${
  verdict(write.ratio <= 2)
} |
| a joiner learns every tag of ${N} nodes holding 1 KiB each | ${joiner.joiner_learns_all_ms} ms | ≤ 2 s | ${
  verdict(Boolean(joiner.learned_all) && joiner.joiner_learns_all_ms <= 2000)
} |
| idle bytes per node per s, N = ${N2}, 20 KiB of tags each / none | ${full.idle_bytes_per_node_s} / ${bare.idle_bytes_per_node_s} (${
  round(idleRatio, 2)
}x) | within 10% | ${verdict(idleRatio <= 1.1)} |
| idle bytes per node per s, N = ${N} | ${large.idle_bytes_per_node_s} | ≤ 91 (memberlist) | ${
  verdict(large.idle_bytes_per_node_s <= 91)
} |

A write is pushed down the writer's broadcast tree as a one-key TAGS frame and announced on the
probes; a joiner asks its seed for the cluster's tags at once (its digest, answered with what it
lacks, 16 frames every 5 ms). Idle traffic is the probes (PING/ACK) and one DIGEST summary per
member per push-pull interval: no tag data, no member tables. Other work shares the machine's 2
cores: compare the rows of one run.
`;
console.log(section);
const START = "<!-- tags:start (deno task bench-tags rewrites this section) -->";
const END = "<!-- tags:end -->";
if (!opt.has("no-write")) {
  const url = new URL("RESULTS.md", import.meta.url);
  const text = await Deno.readTextFile(url);
  const block = `${START}\n${section}${END}`;
  const start = text.indexOf(START), end = text.indexOf(END);
  const next = start >= 0 && end > start
    ? text.slice(0, start) + block + text.slice(end + END.length)
    : `${text.trimEnd()}\n\n${block}\n`;
  await Deno.writeTextFile(url, next);
  log("wrote bench/RESULTS.md");
}
