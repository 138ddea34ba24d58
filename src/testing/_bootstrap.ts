/**
 * {@link Simulation.bootstrap}'s fast path: every node gets the full member
 * table as the INFO datagrams a seed answers an INIT with. Private to
 * `src/testing/`.
 *
 * @module
 */

import { encode } from "../wire/codec.ts";
import type { GossipNode } from "../node.ts";
import { splitRecords } from "../wire/split.ts";
import type { MemoryNetwork } from "./memory_network.ts";
import type { VirtualClock } from "./virtual_clock.ts";

/** Nodes given their table per step; the rest wait behind a partition. */
const CHUNK = 64;

/**
 * Where the bootstrap's INFO comes from: an address the allocator never hands
 * out (it ends in .255). A node takes INFO only from a seed it sent INIT to,
 * so the simulator starts every node with this address in `infoFrom`.
 */
export const BOOTSTRAP_ADDRESS = "10.255.255.255:7946";

/**
 * Sends the member table of `nodes` (every one alive) to each of them as INFO
 * datagrams of at most `maxDatagramSize` bytes, from {@link BOOTSTRAP_ADDRESS}
 * (outside the cluster, in every simulated node's `infoFrom`), with delay, jitter and loss off meanwhile, so it
 * takes no virtual time. Nodes that have their table are cut off from
 * those that do not yet, so no node hears from a member it does not know
 * yet (which it would have to admit and gossip about). Heals every
 * partition at the end. Returns how many INFO datagrams it sent.
 */
export function bootstrapInfo(
  network: MemoryNetwork,
  clock: VirtualClock,
  nodes: readonly GossipNode[],
  maxDatagramSize: number,
): number {
  if (nodes.length < 2) return 0;
  const members = nodes.map((node) => ({
    address: node.address,
    state: "alive" as const,
    incarnation: node.incarnation,
  }));
  const datagrams = splitRecords(members, maxDatagramSize)
    .map((part) => encode({ type: "info", members: part }));
  const addresses = members.map((m) => m.address);
  const { delay, jitter, loss } = network;
  network.delay = 0;
  network.jitter = 0;
  network.loss = 0;
  const source = network.bind(BOOTSTRAP_ADDRESS);
  try {
    for (let k = 0; k < addresses.length; k += CHUNK) {
      // This chunk and those before it on one side, the rest on the other.
      const informed = addresses.slice(0, k + CHUNK);
      const waiting = addresses.slice(k + CHUNK);
      network.heal();
      if (waiting.length > 0) network.partition(informed, waiting);
      for (const to of addresses.slice(k, k + CHUNK)) {
        for (const d of datagrams) source.send(to, d);
      }
      clock.advance(0);
    }
  } finally {
    network.heal();
    void source.close();
    network.delay = delay;
    network.jitter = jitter;
    network.loss = loss;
  }
  return datagrams.length * addresses.length;
}
