/**
 * Per-node traffic over an interval, from the network's per-address
 * counters. Private to `src/testing/`.
 *
 * @module
 */

import type { MemoryNetwork } from "./memory_network.ts";
import type { Traffic, TrafficSnapshot } from "./simulation_types.ts";

/** What each of `addresses` has sent so far, at virtual time `time`. */
export function snapshot(
  network: MemoryNetwork,
  addresses: readonly string[],
  time: number,
): TrafficSnapshot {
  const n = addresses.length;
  const packets = new Float64Array(n), bytes = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = network.statsFor(addresses[i]);
    packets[i] = s.sentPackets;
    bytes[i] = s.sentBytes;
  }
  return { time, packets, bytes };
}

/** What was sent between `mark` and `now` (nodes missing from `mark` count from zero). */
export function between(mark: TrafficSnapshot, now: TrafficSnapshot): Traffic {
  const n = now.packets.length;
  const packets = new Float64Array(n), bytes = new Float64Array(n);
  let totalPackets = 0, totalBytes = 0;
  for (let i = 0; i < n; i++) {
    packets[i] = now.packets[i] - (mark.packets[i] ?? 0);
    bytes[i] = now.bytes[i] - (mark.bytes[i] ?? 0);
    totalPackets += packets[i];
    totalBytes += bytes[i];
  }
  return { duration: now.time - mark.time, packets, bytes, totalPackets, totalBytes };
}
