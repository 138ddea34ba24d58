/**
 * Fuzzes a live keyed node over real UDP (see bench/fuzz.ts, which runs
 * 1 000 000 with `deno task fuzz`), and floods an unkeyed pair with mutated
 * INFO, SYNC and INIT frames from 16 addresses. PEER_FUZZ_N and PEER_FLOOD_N
 * override the counts.
 */

import assert from "node:assert/strict";
import { flood, fuzz } from "../bench/fuzz.ts";

function count(name = "PEER_FUZZ_N", fallback = 100_000): number {
  try {
    return Number(Deno.env.get(name) ?? fallback);
  } catch {
    return fallback; // no --allow-env
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

Deno.test("fuzz: 200,000 mutated INFO/SYNC/INIT frames from 16 addresses plant no member, and delivery goes on", async () => {
  const n = count("PEER_FLOOD_N", 200_000);
  const r = await flood(n);
  console.log(
    `  ${r.sent} frames in ${r.seconds.toFixed(1)} s (${Math.round(r.rate)}/s); ` +
      `dropped ${
        JSON.stringify(r.drops)
      }; delivered during ${r.deliveredDuring}/${r.broadcastsDuring}`,
  );
  assert.equal(r.sent, n);
  assert.equal(
    r.bogus.length,
    0,
    `no record from a non-member merged, ever (${r.bogus.slice(0, 3).join(", ")}, ...)`,
  );
  assert.ok(r.deliveredDuring > 0, "deliveries during the flood");
  assert.equal(r.deliveredBy, r.broadcastsDuring, "every broadcast of the flood delivered");
  assert.ok(r.deliveredAfter, "and after it");
});
