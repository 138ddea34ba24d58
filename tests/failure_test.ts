import assert from "node:assert/strict";
import { Simulation, type SimulationOptions } from "../src/testing/mod.ts";
import { suspicionBounds } from "../src/core/suspicion.ts";

/** A traced simulation on a fast network (1 ms delay, up to 1 ms jitter). */
function cluster(seed: number, options: SimulationOptions = {}): Simulation {
  return new Simulation({ seed, delay: 1, jitter: 1, trace: true, ...options });
}

/** Starts nodes joining through node 0 until there are `n`, and runs until all know all. */
async function grow(sim: Simulation, n: number, within = 60_000): Promise<void> {
  if (sim.size === 0) await sim.addNodes(1);
  await sim.addNodes(n - sim.size, { seeds: [0] });
  assert.ok(sim.runUntil(() => sim.converged(), within), "full mesh");
}

/** Runs until `cond` holds; returns the virtual ms it took (rounded), or throws after `within`. */
function timeUntil(sim: Simulation, cond: () => boolean, within: number, what: string): number {
  const start = sim.now;
  assert.ok(sim.runUntil(cond, within), `${what} not reached within ${within} virtual ms`);
  return Math.round(sim.now - start);
}

Deno.test("failure: a crashed member is declared dead by every other member within the bound", async () => {
  await using sim = cluster(1);
  await grow(sim, 10);
  const victim = 9;
  const crashedAt = sim.now;
  sim.crash(victim);
  // Bound for the LAN profile: detection within two probe passes over N members
  // (round-robin), one probe interval for the indirect round, then the longest
  // suspicion timeout.
  const { max } = suspicionBounds(4, 6, 10, 1000);
  const bound = 2 * 10 * 1000 + 1000 + max;
  const took = timeUntil(sim, () => sim.allSee(victim, "dead"), bound, "dead everywhere");
  const firstSuspect = sim.events({ type: "suspect", about: victim })[0];
  const deaths = sim.events({ type: "dead", about: victim });
  assert.equal(deaths.length, 9, "one dead event per other member");
  console.log(
    `  detection: first suspect after ${Math.round(firstSuspect.time - crashedAt)} ms, ` +
      `dead everywhere after ${took} ms (bound ${bound} ms)`,
  );
  // A dead member is no longer probed or gossiped to.
  const before = sim.statsFor(victim).receivedPackets;
  const sentBefore = sim.stats.dropped.crashed;
  sim.run(30_000);
  assert.equal(sim.statsFor(victim).receivedPackets, before);
  const attempts = sim.stats.dropped.crashed - sentBefore;
  assert.ok(attempts <= 4, `at most a few reconnect syncs to the dead member, saw ${attempts}`);
  for (const i of sim.upNodes()) assert.ok(!sim.node(i)!.peers().includes(sim.address(victim)));
  assert.deepEqual(sim.falseDeaths(), [], "no live member declared dead");
});

for (const loss of [0.1, 0.3]) {
  Deno.test(`failure: ${loss * 100}% packet loss on 50 nodes for 10 minutes: no live member declared dead, a crash still is`, async () => {
    await using sim = cluster(100 + loss * 10);
    await grow(sim, 50);
    sim.network.loss = loss;
    sim.run(10 * 60_000);
    const falseDead = sim.events({ type: "dead" }).length;
    const suspicions = sim.events({ type: "suspect" }).length;
    const refuted = sim.events({ type: "alive" }).length;
    console.log(
      `  loss ${loss}: ${suspicions} suspicions, ${refuted} refuted, ${falseDead} false deaths`,
    );
    assert.equal(falseDead, 0, "no live member declared dead");
    const victim = 49;
    sim.crash(victim);
    timeUntil(sim, () => sim.allSee(victim, "dead"), 180_000, "crash detected under loss");
    assert.deepEqual(sim.falseDeaths(), [], "only the crashed member declared dead");
  });
}

Deno.test("failure: a partition of half the cluster heals into one consistent table", async () => {
  await using sim = cluster(7);
  await grow(sim, 20);
  const a = Array.from({ length: 10 }, (_, i) => i);
  const b = Array.from({ length: 10 }, (_, i) => 10 + i);
  sim.partition(a, b);
  sim.run(60_000);
  // Each side has given up on the other.
  const side = b.map((j) => sim.memberState(0, j));
  assert.ok(side.every((state) => state === "dead" || state === "suspect"));
  assert.ok(side.some((state) => state === "dead"));
  sim.heal();
  // Healed: every node holds every other alive, in the same member table.
  const took = timeUntil(
    sim,
    () => sim.converged() && sim.tablesAgree(),
    5 * 60_000,
    "healed membership, one table",
  );
  console.log(`  partition healed ${took} ms after the network did`);
});

Deno.test("failure: leave is seen as left at once; a restart on the same address rejoins and wins", async () => {
  await using sim = cluster(3);
  await grow(sim, 6);
  const leaver = 5;
  await sim.leave(leaver);
  const took = timeUntil(sim, () => sim.allSee(leaver, "left"), 1000, "left everywhere");
  assert.ok(took <= 100, `leave seen everywhere within ${took} ms`);
  assert.equal(sim.events({ type: "dead" }).length, 0, "left, not dead");
  sim.run(5_000);
  // Restart on the same address, incarnation starting again at 0.
  const back = await sim.restart(leaver, { seeds: [0] });
  timeUntil(sim, () => sim.converged(), 10_000, "rejoin");
  assert.ok(back.incarnation > 0, "the new node refuted its old left record");
  for (const i of sim.upNodes()) {
    if (i !== leaver) assert.equal(sim.memberState(i, leaver), "alive");
  }
});

Deno.test("failure: a crashed member that restarts before it is declared dead refutes the suspicion", async () => {
  await using sim = cluster(5);
  await grow(sim, 8);
  const victim = 7;
  sim.network.crash(sim.address(victim)); // its process keeps running
  timeUntil(
    sim,
    () => sim.events({ type: "suspect", about: victim }).length > 0,
    30_000,
    "suspicion",
  );
  sim.network.restore(sim.address(victim));
  timeUntil(sim, () => sim.allSee(victim, "alive"), 30_000, "refutation");
  const node = sim.node(victim)!;
  assert.ok(node.incarnation > 0);
  assert.ok(node.metrics().refutations > 0);
  assert.equal(sim.events({ type: "dead" }).length, 0);
  assert.deepEqual(sim.falseDeaths(), []);
});

Deno.test("failure: dead and left members are reaped after reapAfter", async () => {
  await using sim = cluster(11, { config: { reapAfter: 30_000 } });
  await grow(sim, 5);
  const victim = 4;
  sim.crash(victim);
  timeUntil(sim, () => sim.memberState(0, victim) === "dead", 60_000, "dead");
  sim.run(90_000);
  assert.ok(sim.allSee(victim, undefined), "reaped");
  assert.deepEqual(sim.falseDeaths(), [], "no live member declared dead");
});

Deno.test("failure: a node that cannot hear raises its own health score (Lifeguard)", async () => {
  await using sim = cluster(13);
  await grow(sim, 6);
  const deaf = 0;
  for (let i = 1; i < 6; i++) sim.network.setLink(sim.address(i), sim.address(deaf), { loss: 1 });
  sim.run(10_000);
  const health = sim.node(deaf)!.metrics().health;
  assert.ok(health > 0, `health score ${health}`);
  for (let i = 1; i < 6; i++) assert.equal(sim.node(i)!.metrics().health, 0);
});

Deno.test("dissemination: under 20% loss every broadcast reaches every member exactly once", async () => {
  await using sim = cluster(21);
  await grow(sim, 50);
  sim.network.loss = 0.2;
  const got = new Map<string, Set<string>>();
  let deliveries = 0;
  for (const i of sim.upNodes()) {
    const n = sim.node(i)!;
    n.addEventListener("message", (e) => {
      deliveries++;
      const key = `${e.detail.from}/${e.detail.id}`;
      const set = got.get(key) ?? new Set<string>();
      assert.ok(!set.has(n.address), "delivered once");
      set.add(n.address);
      got.set(key, set);
    });
  }
  for (let i = 0; i < 40; i++) {
    sim.node(i % 50)!.broadcast(`m${i}`);
    sim.run(100);
  }
  timeUntil(sim, () => deliveries === 40 * 49, 30_000, "every message everywhere");
  assert.equal(got.size, 40);
});
