/**
 * Format detection: which wire format a datagram looks like, from its first
 * bytes only, so a node can tell a peer speaking the other format from noise.
 *
 * @module
 */

import { MAGIC } from "./codec.ts";
import { isSeedFrame } from "./seed.ts";

/** The wire formats a node speaks. */
export type WireFormat = "native" | "seed";

/**
 * `"native"` when `bytes` starts with the native magic byte, `"seed"` when it
 * starts with one of the seed tags (`INIT`, `INFO`, `CONN`, `GOSP`),
 * `"unknown"` otherwise (including empty input). The datagram may still fail
 * to decode.
 */
export function detectWire(bytes: Uint8Array): WireFormat | "unknown" {
  if (bytes.length > 0 && bytes[0] === MAGIC) return "native";
  return isSeedFrame(bytes) ? "seed" : "unknown";
}
