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
export * from "./src/codec.ts";
export * from "./src/message.ts";
export * from "./src/seed_codec.ts";
export * from "./src/address.ts";
export * from "./src/clock.ts";
export * from "./src/config.ts";
export * from "./src/metrics.ts";
export * from "./src/membership.ts";
export * from "./src/protocol.ts";
export * from "./src/broadcast.ts";
export * from "./src/seen_cache.ts";
export * from "./src/suspicion.ts";
export * from "./src/awareness.ts";
export * from "./src/failure.ts";
export * from "./src/transport.ts";
export * from "./src/udp_transport.ts";
export * from "./src/memory_transport.ts";
export * from "./src/engine.ts";
export * from "./src/seed_protocol.ts";
export * from "./src/keyring.ts";
export * from "./src/secure_transport.ts";
export * from "./src/history.ts";
export * from "./src/replay_guard.ts";
export * from "./src/rate_limit.ts";
export * from "./src/simulator.ts";
export * from "./src/timers.ts";
