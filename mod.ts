/**
 * # peer: gossip and membership for Deno
 *
 * A node binds a UDP socket, joins a cluster through one known peer (INIT,
 * INFO, CONN), keeps a member table with SWIM failure detection and
 * Lifeguard's refinements, and spreads messages by epidemic gossip (GOSP),
 * or to every peer in `"mesh"` mode.
 *
 * This entry point holds the node, its options, events, members, metrics and
 * profiles, the native wire codec and the keyring. The in-memory network and
 * the simulator, for testing applications against many nodes without
 * sockets, are in `@gossip/peer/testing`, with the `Clock`, `Random` and
 * `Transport` a node can be given instead of the real ones; the HTTP
 * endpoint is `@gossip/peer/http`, the command line `@gossip/peer/cli`.
 *
 * @example Start two peers and broadcast
 * ```ts
 * import { GossipNode } from "@gossip/peer";
 * import assert from "node:assert/strict";
 *
 * await using a = await GossipNode.start({ port: 0 });
 * await using b = await GossipNode.start({ port: 0, seeds: [a.address] });
 * const heard = new Promise<string>((resolve) =>
 *   a.addEventListener("message", (e) => resolve(new TextDecoder().decode(e.detail.payload)))
 * );
 * await new Promise((resolve) => b.addEventListener("joined", resolve));
 * b.broadcast("hello");
 * assert.equal(await heard, "hello");
 * ```
 *
 * @module
 */

export { GossipNode, type GossipNodeOptions } from "./src/node.ts";
export type { GossipNodeEventMap, MessageDetail } from "./src/events.ts";
export type { Member } from "./src/engine.ts";
export type { DropReason, NodeMetrics } from "./src/metrics.ts";
export type { ProfileName, ProtocolConfig } from "./src/core/config.ts";
export { generateKey, Keyring } from "./src/net/keyring.ts";
export { CodecError, decode, encode } from "./src/wire/codec.ts";
export type {
  AckMessage,
  AliveMessage,
  BatchMessage,
  ConnMessage,
  DeadMessage,
  DigestMessage,
  GospMessage,
  GraftMessage,
  IHaveMessage,
  InfoMessage,
  InitMessage,
  IWantMessage,
  LeaveMessage,
  MemberRecord,
  MemberState,
  Message,
  MessageRef,
  NackMessage,
  PingMessage,
  PingReqMessage,
  PruneMessage,
  SingleMessage,
  SuspectMessage,
  SyncMessage,
  TagsMessage,
} from "./src/wire/message.ts";
