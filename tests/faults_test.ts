/**
 * `deno task faults` (bench/faults.ts), run small: 4 hosts, each its own
 * network namespace and `cli.ts` process, through a join storm and a crash
 * of two hosts, within the bounds the full run asserts. It needs root,
 * iproute2 and nftables (.ci/run installs them); where namespaces cannot be
 * made the test is reported as ignored, with the reason in its name. The
 * full run (10 hosts, all seven scenarios, about 8 minutes) stays in the task.
 */

import assert from "node:assert/strict";
import { runFaults } from "../bench/faults.ts";
import { labUnavailable, run } from "../bench/faults/lab.ts";

const why = await labUnavailable();

Deno.test({
  name: why === undefined
    ? "faults: 4 hosts in network namespaces: a join storm and a crash, within their bounds"
    : `faults: 4 hosts in network namespaces (ignored: ${why})`,
  ignore: why !== undefined,
  async fn() {
    const results = await runFaults({ hosts: 4, only: [1, 2] });
    assert.deepEqual(results.map((r) => r.id), [1, 2]);
    for (const r of results) {
      console.log(`  ${r.id}. ${r.name}: ${r.figures.map(([k, v]) => `${k} ${v}`).join("; ")}`);
      for (const b of r.bounds) assert.ok(b.ok, `${r.id}. ${r.name}: ${b.what} (${b.value})`);
    }
    // Nothing left behind: no namespace of this process, no peer.
    const left = (await run("ip", ["netns", "list"])).split("\n")
      .filter((l) => l.startsWith(`peerf${Deno.pid}-`));
    assert.deepEqual(left, []);
  },
});
