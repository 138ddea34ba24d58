import assert from "node:assert/strict";
import { Simulation, type SimulationOptions } from "../src/testing/mod.ts";

/**
 * Push gossip with fanout f reaches all of N in about log_f(N) + ln(N)
 * rounds (Pittel's log2 N + ln N for f = 1, with the base raised to the
 * fanout). A round here is one relay: a message's hop count.
 */
function roundBound(n: number, fanout: number): number {
  return Math.ceil(Math.log(n) / Math.log(fanout) + Math.log(n));
}

async function cluster(n: number, options: SimulationOptions = {}): Promise<Simulation> {
  const sim = new Simulation({ seed: 1, ...options });
  await sim.addNodes(n);
  sim.bootstrap();
  return sim;
}

Deno.test("simulator: bootstrap gives every node the full member table", async () => {
  await using sim = await cluster(300);
  for (let i = 0; i < sim.size; i++) assert.equal(sim.node(i)!.peers().length, 299);
  assert.equal(sim.now, 0, "the bootstrap takes no virtual time");
});

Deno.test("simulator: 1,000 nodes, epidemic mode, fanout 3, no loss: a broadcast reaches all within the log(N) round bound", async () => {
  const n = 1000, fanout = 3;
  await using sim = await cluster(n, { config: { fanout, mode: "epidemic" } });
  const bound = roundBound(n, fanout); // 14
  const period = sim.config.period;
  sim.run(1000);
  const b = sim.broadcastFrom(417);
  assert.ok(sim.runUntil(() => b.complete, bound * period), "not everywhere within the bound");
  assert.equal(b.delivered, n);
  const hops = b.hopsToReach(1)!;
  assert.ok(hops <= bound, `${hops} rounds (hops), bound ${bound}`);
  assert.ok(b.timeToReach(1)! <= bound * period, `${b.timeToReach(1)} ms`);
  for (let i = 0; i < n; i++) assert.ok(b.times[i] >= 0 && b.hops[i] >= 0, `node ${i}`);
});

for (const mode of ["tree", "epidemic"] as const) {
  Deno.test(`simulator: ${mode} mode, 30% loss: a broadcast still reaches every live node`, async () => {
    const n = 1000;
    await using sim = await cluster(n, { seed: 2, config: { mode } });
    sim.run(1000);
    const crashed = [3, 99, 500, 998];
    for (const i of crashed) sim.crash(i);
    sim.network.loss = 0.3;
    const b = sim.broadcastFrom(0);
    assert.ok(sim.runUntil(() => b.complete, 30_000), `${b.delivered} of ${sim.upCount}`);
    assert.equal(b.delivered, n - crashed.length);
    for (const i of crashed) assert.ok(Number.isNaN(b.times[i]), `crashed node ${i} delivered`);
    const { dropped } = sim.stats;
    assert.ok(dropped.loss > 0 && dropped.unbound + dropped.crashed > 0);
    assert.deepEqual(sim.falseDeaths(), [], "no live node declared dead");
  });
}

Deno.test("simulator: epidemic mode, per-node load does not grow with N (100 vs 1,000 nodes)", async () => {
  const measure = async (n: number) => {
    // Datagrams other than push-pull (SYNC, kind 0x0d): push-pull sends the
    // whole table, so its bytes grow with N by design (less often as N grows).
    let counting = false, packets = 0;
    const tap = (_from: string, _to: string, data: Uint8Array) => {
      if (counting && data[2] !== 0x0d) packets++;
    };
    await using sim = await cluster(n, { seed: 3, tap, config: { mode: "epidemic" } });
    sim.run(1000);
    counting = true;
    sim.run(2000);
    counting = false;
    const b = sim.broadcastFrom(1);
    sim.runUntil(() => b.complete, 10_000);
    assert.ok(sim.settle(b));
    return {
      copiesPerNode: b.copies / n,
      maxCopies: Math.max(...b.copiesBy),
      bytesPerNode: b.bytes / n,
      idlePacketsPerNodePerSecond: packets / n / 2,
    };
  };
  const small = await measure(100);
  const large = await measure(1000);
  const detail = JSON.stringify({ small, large });
  // Ten times the nodes: sending to all would cost ten times as much per
  // node. The transmit limit grows as log10(N) (12 -> 16), nothing else.
  assert.ok(large.copiesPerNode <= 1.5 * small.copiesPerNode, detail);
  assert.ok(large.maxCopies <= 1.5 * small.maxCopies, detail);
  assert.ok(large.bytesPerNode <= 1.5 * small.bytesPerNode, detail);
  assert.ok(large.idlePacketsPerNodePerSecond <= 1.5 * small.idlePacketsPerNodePerSecond, detail);
});

/** A run with loss, jitter, a crash, a partition, a heal, a restart and broadcasts. */
async function eventfulRun(seed: number) {
  await using sim = new Simulation({ seed, loss: 0.1, delay: 2, jitter: 8, trace: true });
  await sim.addNodes(1);
  await sim.addNodes(39, { seeds: [0] });
  sim.run(10_000);
  const first = sim.broadcastFrom(5);
  sim.run(2_000);
  sim.crash(7);
  sim.partition([0, 1, 2, 3, 4, 5, 6, 8, 9, 10]);
  sim.run(20_000);
  sim.heal();
  await sim.restart(7);
  const second = sim.broadcastFrom(12);
  sim.run(60_000);
  return {
    hash: sim.traceHash(),
    trace: sim.trace.map((e) => `${e.time}|${e.node}|${e.type}|${e.subject}`),
    stats: sim.stats,
    times: [...first.times, ...second.times],
    peers: Array.from({ length: sim.size }, (_, i) => sim.node(i)!.peers().sort().join(",")),
    falseDeaths: sim.falseDeaths().length,
  };
}

Deno.test("simulator: the same seed gives the same trace; another seed another", async () => {
  const a = await eventfulRun(42);
  const b = await eventfulRun(42);
  assert.ok(a.trace.length > 1000, `${a.trace.length} events`);
  assert.ok(a.trace.some((e) => e.includes("|dead|")), "the crash was detected");
  assert.equal(
    a.falseDeaths,
    0,
    "no live node declared dead (deaths across the cut are not false)",
  );
  assert.ok(a.trace.some((e) => e.includes("|message|")));
  assert.equal(a.hash, b.hash);
  assert.deepEqual(a.trace, b.trace);
  assert.deepEqual(a.stats, b.stats);
  assert.deepEqual(a.times, b.times);
  assert.deepEqual(a.peers, b.peers);
  // After heal and restart everyone is back in everyone's table.
  for (const p of a.peers) assert.equal(p.split(",").length, 39);
  const c = await eventfulRun(43);
  assert.notEqual(c.hash, a.hash);
});

Deno.test("simulator: partitions cut delivery until healed", async () => {
  await using sim = await cluster(50, { seed: 5 });
  const left = Array.from({ length: 25 }, (_, i) => i);
  sim.partition(left);
  const b = sim.broadcastFrom(0);
  sim.run(3_000);
  assert.equal(b.delivered, 25);
  for (let i = 25; i < 50; i++) assert.ok(Number.isNaN(b.times[i]));
  sim.heal();
  const c = sim.broadcastFrom(30);
  assert.ok(sim.runUntil(() => c.complete, 10_000));
});

Deno.test("simulator: falseDeaths counts a live member declared dead, not a crashed or cut-off one", async () => {
  await using sim = new Simulation({ seed: 9, trace: true });
  await sim.addNodes(1);
  await sim.addNodes(7, { seeds: [0] });
  assert.ok(sim.runUntil(() => sim.converged(), 30_000));
  sim.crash(7);
  assert.ok(sim.runUntil(() => sim.allSee(7, "dead"), 60_000));
  sim.partition([6]);
  assert.ok(sim.runUntil(() => sim.memberState(0, 6) === "dead", 60_000));
  assert.deepEqual(sim.falseDeaths(), [], "a crash and a partition are not false deaths");
  sim.heal();
  assert.ok(sim.runUntil(() => sim.allSee(6, "alive"), 60_000));
  // Node 5 goes deaf (nothing reaches it, what it sends still goes out): it
  // cannot refute, so it is declared dead while it runs and talks.
  for (const i of sim.upNodes()) {
    if (i !== 5) sim.network.setLink(sim.address(i), sim.address(5), { loss: 1 });
  }
  const deafAt = sim.now;
  assert.ok(sim.runUntil(() => sim.falseDeaths().length > 0, 60_000));
  const [first] = sim.falseDeaths();
  assert.equal(first.type, "dead");
  assert.equal(first.about, 5);
  assert.ok(first.time > deafAt && first.node !== 5);
  assert.deepEqual(
    sim.events({ type: "dead", node: first.node, about: 5, since: deafAt }),
    [first],
    "the declarer's own dead event",
  );
});

Deno.test("simulator: per-node settings on add and restart; convergence checks", async () => {
  await using sim = new Simulation({ seed: 12, config: { reapAfter: 50_000 } });
  await sim.addNodes(1);
  const [a] = await sim.addNodes(1, { seeds: [0], config: { reapAfter: 20_000 } });
  await sim.addNodes(2, { seeds: [0] });
  assert.deepEqual(sim.upNodes(), [0, 1, 2, 3]);
  assert.equal(sim.node(0)!.config.reapAfter, 50_000);
  assert.equal(sim.node(a)!.config.reapAfter, 20_000);
  assert.ok(sim.runUntil(() => sim.converged(), 10_000));
  assert.ok(sim.tablesAgree());
  assert.equal(sim.memberState(0, a), "alive");
  sim.crash(a);
  assert.ok(!sim.converged(), "3 still count the crashed node as a peer");
  assert.deepEqual(sim.upNodes(), [0, 2, 3]);
  assert.equal(sim.memberState(a, 0), undefined, "a node that is down sees nothing");
  // A restart keeps the node's own settings unless given new ones.
  assert.equal((await sim.restart(a)).config.reapAfter, 20_000);
  assert.equal((await sim.restart(a, { config: {} })).config.reapAfter, 50_000);
  // Checked every 100 virtual ms instead of after every timer: same outcome.
  const start = sim.now;
  assert.ok(sim.runUntil(() => sim.converged(), 30_000, 100));
  const steps = (sim.now - start) / 100;
  assert.ok(steps >= 1 && Math.abs(steps - Math.round(steps)) < 1e-9, `${steps} steps`);
  assert.throws(() => new Simulation().events(), Error);
});
