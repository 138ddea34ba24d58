/**
 * # peer: gossip and membership for Deno
 *
 * A node binds a UDP socket, joins a cluster through one known peer (INIT,
 * INFO, CONN), keeps a member table with SWIM failure detection and
 * Lifeguard's refinements, and spreads messages by epidemic gossip (GOSP),
 * or to every peer in `"mesh"` mode.
 *
 * @example Start two peers and broadcast
 * ```ts ignore
 * import { GossipNode } from "@gossip/peer";
 *
 * await using a = await GossipNode.start({ port: 0 });
 * await using b = await GossipNode.start({ port: 0, seeds: [a.address] });
 * a.addEventListener("message", (e) => {
 *   console.log(e.detail.from, new TextDecoder().decode(e.detail.payload));
 * });
 * b.broadcast("hello");
 * ```
 *
 * @module
 */

export * from "./src/node.ts";
export * from "./src/wire/codec.ts";
export * from "./src/wire/message.ts";
export * from "./src/wire/seed.ts";
export * from "./src/address.ts";
export * from "./src/clock.ts";
export * from "./src/core/config.ts";
export * from "./src/metrics.ts";
export * from "./src/core/membership.ts";
export * from "./src/core/protocol.ts";
export * from "./src/core/queue.ts";
export * from "./src/core/seen_cache.ts";
export * from "./src/core/suspicion.ts";
export * from "./src/core/awareness.ts";
export * from "./src/core/probe.ts";
export * from "./src/net/transport.ts";
export * from "./src/net/udp.ts";
export * from "./src/testing/memory_network.ts";
export * from "./src/engine.ts";
export * from "./src/seed/protocol.ts";
export * from "./src/net/keyring.ts";
export * from "./src/net/secure.ts";
export * from "./src/core/history.ts";
export * from "./src/net/replay_guard.ts";
export * from "./src/core/rate_limit.ts";
export * from "./src/testing/simulation.ts";
export * from "./src/timers.ts";
