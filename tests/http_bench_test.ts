/**
 * `deno task bench-http` smoke-run small: a CLI peer with --http, two
 * probing peers, ten event-stream clients, one short phase of each kind.
 * The figures themselves are the benchmark's (bench/RESULTS.md); here the
 * harness must run end to end and measure something in both phases.
 */

import assert from "node:assert/strict";
import { benchHttp, report } from "../bench/http.ts";

Deno.test("bench-http: the harness runs small and measures both phases", async () => {
  const r = await benchHttp({ clients: 10, phaseMs: 1500, rounds: 1, peers: 2 });
  for (const phase of [r.without, r.with]) {
    assert.ok(phase.samples > 0, `round trips timed: ${JSON.stringify(phase)}`);
    assert.ok(phase.p50 > 0 && phase.p50 <= phase.p99 && phase.p99 <= phase.max);
    assert.ok(phase.cpuMsPerS >= 0);
  }
  assert.ok(r.streamed > 0, "the clients read events");
  assert.match(report(r, new Date()), /\| with 10 clients \| \d+ \|/);
});
