/**
 * Shared test helpers: bounded waits that wake on activity (never on a timer
 * tick), and nodes on loopback whose every datagram and event is activity.
 */

import { GossipNode, type GossipNodeEventMap, type GossipNodeOptions } from "../mod.ts";
import type { Transport } from "../src/net/transport.ts";
import { UdpTransport } from "../src/net/udp.ts";

let wake: () => void = () => {};
let activity: Promise<void> = nextActivity();

function nextActivity(): Promise<void> {
  return new Promise<void>((resolve) => wake = resolve);
}

/**
 * Something happened that a {@link waitFor} condition may depend on: wakes
 * every waiter, which re-checks its condition. Called for every datagram in
 * and out of the nodes from {@link udp} and {@link startNode}, for every
 * event those nodes dispatch, and by tests for their own sources (a child
 * process's output).
 */
export function notify(): void {
  const resolve = wake;
  activity = nextActivity();
  resolve();
}

/**
 * Waits until `cond` is true, checking it now and again after each
 * {@link notify}, for at most `timeout` ms; then throws naming `what`.
 * Resolves with the time waited (ms). One deadline timer, cleared on return.
 */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  { timeout = 10_000, what = "condition" }: { timeout?: number; what?: string } = {},
): Promise<number> {
  const start = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), timeout);
  });
  try {
    for (;;) {
      // Taken before the check: activity during an asynchronous check is not missed.
      const next = activity;
      if (await cond()) return performance.now() - start;
      // No last look at the deadline: a change nobody announced must fail, not pass late.
      if (await Promise.race([next, deadline]) === "deadline") {
        throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

/** `inner`, calling {@link notify} on every datagram it sends and receives. */
export function watched(inner: Transport): Transport {
  return {
    get address() {
      return inner.address;
    },
    listen(handler) {
      inner.listen((from, data) => {
        notify();
        handler(from, data);
      });
    },
    send(to, data) {
      notify();
      inner.send(to, data);
    },
    close: () => inner.close(),
  };
}

/** Binds a UDP socket (default `127.0.0.1`, any free port) whose datagrams wake the waiters. */
export async function udp(
  { hostname = "127.0.0.1", port = 0 }: { hostname?: string; port?: number } = {},
): Promise<Transport> {
  return watched(await UdpTransport.bind({ hostname, port }));
}

/** Every event type a node dispatches (a missing one is a type error). */
const EVENT_TYPES: Record<keyof GossipNodeEventMap, true> = {
  join: true,
  joined: true,
  suspect: true,
  alive: true,
  dead: true,
  leave: true,
  message: true,
  tag: true,
  drop: true,
};

/** Makes every event `node` dispatches wake the waiters (timers fire some without a datagram). */
export function watchEvents(node: GossipNode): GossipNode {
  for (const type of Object.keys(EVENT_TYPES) as (keyof GossipNodeEventMap)[]) {
    node.addEventListener(type, notify);
  }
  return node;
}

/**
 * Starts a node on a socket from {@link udp} bound to `hostname`/`port`
 * (default `127.0.0.1`, any port), or on `options.transport`, which should
 * come from {@link udp} or {@link watched}; its events wake the waiters too.
 */
export async function startNode(options: GossipNodeOptions = {}): Promise<GossipNode> {
  const transport = options.transport ??
    await udp({ hostname: options.hostname, port: options.port });
  try {
    return watchEvents(await GossipNode.start({ ...options, transport }));
  } catch (e) {
    await transport.close();
    throw e;
  }
}

/** Starts `n` nodes with {@link startNode}; node i > 0 joins through `seedOf(i)` (default node 0). */
export async function startCluster(
  n: number,
  options: GossipNodeOptions = {},
  seedOf: (i: number) => number = () => 0,
): Promise<GossipNode[]> {
  const nodes: GossipNode[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const seeds = i === 0 ? [] : [nodes[seedOf(i)].address];
      nodes.push(await startNode({ hostname: "127.0.0.1", port: 0, ...options, seeds }));
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
