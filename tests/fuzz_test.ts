/**
 * Fuzzes a live keyed node over real UDP (see bench/fuzz.ts, which runs
 * 1 000 000 with `deno task fuzz`). PEER_FUZZ_N overrides the count.
 */

import assert from "node:assert/strict";
import { fuzz } from "../bench/fuzz.ts";

function count(): number {
  try {
    return Number(Deno.env.get("PEER_FUZZ_N") ?? 100_000);
  } catch {
    return 100_000; // no --allow-env
  }
}

Deno.test("fuzz: a keyed node survives random, mutated and replayed datagrams, and counts every one", async () => {
  const n = count();
  const r = await fuzz(n, { seed: 6 });
  console.log(
    `  ${r.sent} datagrams in ${r.seconds.toFixed(1)} s (${Math.round(r.rate)}/s); ` +
      `dropped ${JSON.stringify(r.drops)}`,
  );
  assert.equal(r.sent, n);
  assert.ok(r.tableUnchanged, "member table unchanged");
  assert.ok(r.stillWorks, "the node still delivers");
  const dropped = Object.values(r.drops).reduce((s, d) => s + d, 0);
  assert.equal(dropped, n, "every datagram is counted as dropped, once");
  // Nothing got past the sealing layer.
  assert.equal(dropped, (r.drops.decrypt ?? 0) + (r.drops.replay ?? 0) + (r.drops.label ?? 0));
});
