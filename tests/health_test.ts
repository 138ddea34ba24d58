/**
 * Lifeguard's premise, made to hold: a node whose own health is poor does not
 * spread suspicion that others act on. A node that hears nobody accuses no
 * one (probe_test.ts has the step-by-step case); what a member we hold
 * suspect or dead says about others is not acted on; and a member that keeps
 * refuting (a sick or flapping host) is put on probation, so it settles
 * instead of flipping at every observer every few seconds. Step by step on
 * the core, then on the simulator: a sick host (80% inbound loss) and two
 * flapping hosts (all inbound lost, 20 s on, 20 s off).
 */

import assert from "node:assert/strict";
import { Simulation, type TraceEvent } from "../src/testing/mod.ts";
import { protocolStep, startKnowing } from "./step.ts";

const A = "10.0.0.1:1";
const [B, C, D, E] = ["10.0.0.2:1", "10.0.0.3:1", "10.0.0.4:1", "10.0.0.5:1"];

type Core = ReturnType<typeof protocolStep>;

/** Starts A's next probe period; returns its target and seq. */
function probe(a: Core): { target: string; seq: number } {
  a.fire("probe");
  for (const d of a.take()) {
    for (const m of d.messages) if (m.type === "ping") return { target: m.target, seq: m.seq };
  }
  throw new Error("no ping");
}

/** Runs probe periods, acking every target but `target`, until `target` is probed; returns its seq. */
function probeUntil(a: Core, target: string): number {
  for (let i = 0; i < 20; i++) {
    const p = probe(a);
    if (p.target === target) return p.seq;
    a.receive(p.target, { type: "ack", seq: p.seq });
  }
  throw new Error(`${target} never probed`);
}

/** Lets the running probe fail with one nack: evidence that the target, not A, is the problem. */
function failWithNack(a: Core, seq: number): void {
  const ours = (t: { name: string }) => "seq" in t && t.seq === seq;
  a.fire("probe-indirect", ours);
  const [helper] = a.take();
  a.receive(helper.to, { type: "nack", seq });
  a.fire("probe-end", ours);
}

Deno.test("health: what a member we hold suspect says about others is not acted on", () => {
  const a = protocolStep(A);
  startKnowing(a, [B, C, D]);
  a.receive(D, { type: "suspect", address: C, incarnation: 0, from: D });
  assert.equal(a.eventsOf("suspect").length, 1, "C is suspect here");
  // C, suspect itself (perhaps the sick one), accuses B: directly, relayed, as DEAD, in a table.
  a.receive(C, { type: "suspect", address: B, incarnation: 0, from: C });
  a.receive(D, { type: "suspect", address: B, incarnation: 0, from: C });
  a.receive(C, { type: "dead", address: B, incarnation: 0, from: C });
  a.receive(C, {
    type: "sync",
    reply: false,
    members: [
      { address: C, state: "alive", incarnation: 0 },
      { address: B, state: "dead", incarnation: 0 },
    ],
  });
  const b = () => a.engine.members().find((m) => m.address === B);
  assert.equal(b()?.state, "alive");
  assert.deepEqual(a.eventsOf("suspect").filter((e) => e.address === B), []);
  // A healthy member's accusation is acted on.
  a.receive(D, { type: "suspect", address: B, incarnation: 0, from: D });
  assert.equal(b()?.state, "suspect");
});

Deno.test("health: a member that refuted must fail 1 + probation probes in a row before it is suspected again", () => {
  const a = protocolStep(A);
  startKnowing(a, [B, C, D, E]);
  // B was suspected and refuted: it is on probation (3 more failed probes, LAN profile).
  a.receive(C, { type: "suspect", address: B, incarnation: 0, from: C });
  a.receive(B, { type: "alive", address: B, incarnation: 1 });
  assert.equal(a.eventsOf("alive").length, 1);
  a.events.length = 0;
  let seq = probeUntil(a, B);
  for (let k = 1; k <= 3; k++) {
    failWithNack(a, seq);
    assert.deepEqual(a.eventsOf("suspect").filter((e) => e.address === B), [], `${k} failures`);
    // Probed again at once, not at its turn of the round robin.
    const next = probe(a);
    assert.equal(next.target, B, `probe ${k + 1} goes to B again`);
    seq = next.seq;
  }
  failWithNack(a, seq);
  assert.deepEqual(a.eventsOf("suspect").filter((e) => e.address === B).map((e) => e.from), [A]);
  // An ack in between resets the count; a member that never refuted is suspected at once.
  const c = probeUntil(a, C);
  failWithNack(a, c);
  assert.deepEqual(a.eventsOf("suspect").filter((e) => e.address === C).map((e) => e.from), [A]);
});

Deno.test("health: refutations on record fade (half-life), so a member that settled is probed as any other", () => {
  const a = protocolStep(A, { probationHalfLife: 10_000 });
  startKnowing(a, [B, C, D, E]);
  a.receive(C, { type: "suspect", address: B, incarnation: 0, from: C });
  a.receive(B, { type: "alive", address: B, incarnation: 1 });
  a.events.length = 0;
  a.time.now += 20_000; // two half-lives: a quarter of a refutation is left
  const seq = probeUntil(a, B);
  failWithNack(a, seq);
  assert.equal(a.eventsOf("suspect").filter((e) => e.address === B).length, 1);
});

/** Ten nodes joined through node 0 and settled; traced. */
async function ten(seed: number): Promise<Simulation> {
  const sim = new Simulation({ seed, delay: 1, jitter: 1, trace: true });
  await sim.addNodes(1);
  await sim.addNodes(9, { seeds: [0] });
  assert.ok(sim.runUntil(() => sim.converged(), 30_000), "full mesh");
  sim.run(5_000);
  return sim;
}

/** Node `i` loses `loss` of every datagram sent to it. */
function inbound(sim: Simulation, i: number, loss: number): void {
  for (let j = 0; j < sim.size; j++) {
    if (j !== i) sim.network.setLink(sim.address(j), sim.address(i), { loss });
  }
}

/** Suspect and dead events about any of `healthy`, seen by anyone, since `t`. */
function accusations(sim: Simulation, t: number, healthy: number[]): TraceEvent[] {
  return sim.events({ since: t }).filter((e) =>
    (e.type === "suspect" || e.type === "dead") && healthy.includes(e.about)
  );
}

/** Most membership events about `subject` at any one of `observers`, in [t, until). */
function mostChanges(
  sim: Simulation,
  subject: number,
  observers: number[],
  t: number,
  until: number,
) {
  const changes = ["join", "alive", "suspect", "dead", "leave"];
  return Math.max(...observers.map((o) =>
    sim.events({ node: o, about: subject, since: t })
      .filter((e) => e.time < until && changes.includes(e.type)).length
  ));
}

for (const seed of [1, 2, 3]) {
  Deno.test(`health: a host losing 80% of what it receives for 40 s gets no healthy host accused, and settles (seed ${seed})`, async () => {
    await using sim = await ten(seed);
    const sick = 9, healthy = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const t0 = sim.now;
    inbound(sim, sick, 0.8);
    sim.run(40_000);
    sim.network.clearLinks();
    const t1 = sim.now;
    assert.ok(sim.runUntil(() => sim.allSee(sick, "alive"), 30_000), "alive everywhere after");
    assert.deepEqual(
      accusations(sim, t0, healthy),
      [],
      "no healthy host suspected or declared dead",
    );
    // Settles: at most 6 changes per observer in 40 s (9 a minute), as deno task faults bounds it.
    const most = mostChanges(sim, sick, healthy, t0, t1);
    assert.ok(most <= 6, `${most} changes of the sick host at one observer`);
    assert.deepEqual(sim.falseDeaths(), []);
  });
}

Deno.test("health: two hosts that hear nothing 20 s on, 20 s off for 2 min get no healthy host accused", async () => {
  await using sim = await ten(4);
  const flappers = [8, 9], healthy = [0, 1, 2, 3, 4, 5, 6, 7];
  const t0 = sim.now;
  for (let k = 0; k < 3; k++) {
    for (const f of flappers) inbound(sim, f, 1);
    sim.run(20_000);
    sim.network.clearLinks();
    sim.run(20_000);
  }
  const t1 = sim.now;
  assert.ok(sim.runUntil(() => sim.converged(), 30_000), "all alive everywhere after");
  assert.deepEqual(accusations(sim, t0, healthy), [], "no healthy host suspected or declared dead");
  // Following the fault, not flipping within it: suspect, dead, alive at most, once a cycle.
  for (const f of flappers) {
    const most = mostChanges(sim, f, healthy, t0, t1);
    assert.ok(most <= 9, `${most} changes of flapping host ${f} at one observer`);
  }
});
