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
 * Run: deno run --allow-net --allow-read --allow-env --allow-sys bench/tags.ts [--n 200] [--n2 50]
 */

import { GossipNode } from "../mod.ts";
import { args, percentile, round, sleep, until } from "./common.ts";

const opt = args(Deno.args);
const N = Number(opt.get("n") ?? 200);
const N2 = Number(opt.get("n2") ?? 50);
const ROUNDS = Number(opt.get("rounds") ?? 5);
const IDLE_S = Number(opt.get("idle-s") ?? 10);
const log = (s: string) => console.error(`[tags] ${s}`);

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
  await sleep(3000);
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
  console.log(JSON.stringify(line));
  log(`write: ${line.write_seen_by_all_ms} ms vs broadcast ${line.broadcast_seen_by_all_ms} ms`);

  // --- idle without tags, N ---------------------------------------------------------------------
  await sleep(10_000);
  const b0 = nodes.reduce((s, x) => s + x.metrics().bytesSent, 0), t0 = performance.now();
  await sleep(IDLE_S * 1000);
  const bytes = nodes.reduce((s, x) => s + x.metrics().bytesSent, 0) - b0;
  const idle = {
    scenario: "tags-idle-large",
    n: N,
    idle_bytes_per_node_s: round(bytes / N / ((performance.now() - t0) / 1000), 1),
  };
  console.log(JSON.stringify(idle));
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
  console.log(JSON.stringify(line));
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
  await sleep(15_000);
  const b0 = nodes.reduce((s, x) => s + x.metrics().bytesSent, 0), t0 = performance.now();
  await sleep(IDLE_S * 1000);
  const bytes = nodes.reduce((s, x) => s + x.metrics().bytesSent, 0) - b0;
  const line = {
    scenario: "tags-idle",
    n: N2,
    tags_bytes_per_node: withTags ? 20_000 : 0,
    idle_bytes_per_node_s: round(bytes / N2 / ((performance.now() - t0) / 1000), 1),
  };
  console.log(JSON.stringify(line));
  log(
    `idle, ${
      withTags ? "20 KiB of tags" : "no tags"
    }: ${line.idle_bytes_per_node_s} B per node per s`,
  );
  await close(nodes);
}
