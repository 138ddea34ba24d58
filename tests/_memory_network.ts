/** Shared by the memory network tests: receiving, accounting and closing transports. */

import assert from "node:assert/strict";
import type { MemoryNetwork, MemoryTransport } from "../src/testing/mod.ts";

export const enc = new TextEncoder();
export const dec = new TextDecoder();

export interface Received {
  at: number;
  from: string;
  text: string;
}

export function collect(clock: { now(): number }, t: MemoryTransport): Received[] {
  const got: Received[] = [];
  t.listen((from, data) => got.push({ at: clock.now(), from, text: dec.decode(data) }));
  return got;
}

function sumDropped(network: MemoryNetwork): number {
  const d = network.stats.dropped;
  return d.loss + d.partition + d.crashed + d.mtu + d.unbound;
}

export function assertBalanced(network: MemoryNetwork): void {
  const s = network.stats;
  assert.equal(s.sent, s.delivered + sumDropped(network) + network.inFlight);
}

export async function closeAll(...ts: MemoryTransport[]): Promise<void> {
  for (const t of ts) await t.close();
}
