/** Shared test helpers: bounded waits instead of sleeps, and cluster setup. */

import { GossipNode, type GossipNodeOptions } from "../mod.ts";

/**
 * Polls `cond` until it is true or `timeout` ms pass, yielding to the event
 * loop between checks (no fixed sleeps as synchronisation). Throws with
 * `what` on timeout.
 */
export async function waitFor(
  cond: () => boolean,
  { timeout = 10_000, what = "condition" }: { timeout?: number; what?: string } = {},
): Promise<number> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > timeout) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - start;
}

/** Starts `n` UDP nodes on loopback; node i > 0 joins through `seedOf(i)` (default node 0). */
export async function startCluster(
  n: number,
  options: GossipNodeOptions = {},
  seedOf: (i: number) => number = () => 0,
): Promise<GossipNode[]> {
  const nodes: GossipNode[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const seeds = i === 0 ? [] : [nodes[seedOf(i)].address];
      nodes.push(await GossipNode.start({ hostname: "127.0.0.1", port: 0, ...options, seeds }));
    }
  } catch (e) {
    await closeAll(nodes);
    throw e;
  }
  return nodes;
}

/** Closes every node, ignoring ones already closed. */
export async function closeAll(nodes: GossipNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.close()));
}

/** True when every node lists every other node as a peer. */
export function fullMesh(nodes: GossipNode[]): boolean {
  const all = new Set(nodes.map((n) => n.address));
  return nodes.every((n) => {
    const peers = new Set(n.peers());
    return peers.size === all.size - 1 && [...all].every((a) => a === n.address || peers.has(a));
  });
}
