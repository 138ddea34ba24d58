/**
 * Checks on what the nodes of a {@link Simulation} believe about each
 * other, from their public `members()` and `peers()`. Private to
 * `src/testing/`.
 *
 * @module
 */

import type { GossipNode } from "../node.ts";
import type { MemberState } from "../wire/message.ts";

/** The nodes by index; `undefined` where a node is down. */
type Nodes = readonly (GossipNode | undefined)[];

/** The state of `address` in `observer`'s table (`undefined`: absent, or observer down). */
export function stateIn(
  observer: GossipNode | undefined,
  address: string,
): MemberState | undefined {
  return observer?.members().find((m) => m.address === address)?.state;
}

/** Whether every node up, other than `subject`, holds `address` as `state`. */
export function allSee(
  nodes: Nodes,
  subject: number,
  address: string,
  state: MemberState | undefined,
): boolean {
  for (let i = 0; i < nodes.length; i++) {
    if (i !== subject && nodes[i] && stateIn(nodes[i], address) !== state) return false;
  }
  return true;
}

/** Whether every node up sees exactly the other nodes up as its live peers. */
export function converged(nodes: Nodes, indexOf: (address: string) => number): boolean {
  const up: number[] = [];
  for (let i = 0; i < nodes.length; i++) if (nodes[i]) up.push(i);
  // Counts first: cheap, and they differ until the very end.
  const peers: string[][] = [];
  for (const i of up) {
    const list = nodes[i]!.peers();
    if (list.length !== up.length - 1) return false;
    peers.push(list);
  }
  return peers.every((list, k) =>
    list.every((a) => {
      const j = indexOf(a);
      return j !== up[k] && j >= 0 && nodes[j] !== undefined;
    })
  );
}

/** Whether every node up holds the same members, states and incarnations. */
export function tablesAgree(nodes: Nodes): boolean {
  let first: string | undefined;
  for (const node of nodes) {
    if (!node) continue;
    const table = node.members().map((m) => `${m.address}=${m.state}/${m.incarnation}`)
      .sort().join(",");
    if (first === undefined) first = table;
    else if (table !== first) return false;
  }
  return true;
}
