/**
 * The fault scenarios of `deno task faults` (issue 14), each on a fresh
 * cluster of real peers in the lab (scenario.ts runs them). Each returns its
 * figures and the bounds it asserts; the bounds and why they hold are in
 * bench/RESULTS.md.
 *
 * @module
 */

import {
  accusations,
  ACCUSE,
  bound,
  DEATH_BOUND,
  form,
  JOIN_BOUND,
  maxChanges,
  range,
  s,
  type Scenario,
  sleep,
} from "./scenario.ts";

/** 1. Every host starts at once through one seed: every host lists every other. */
const joinStorm: Scenario = {
  id: 1,
  name: "join storm",
  async run(_ctx, c) {
    let mesh = NaN, listening = NaN;
    try {
      ({ listening, mesh } = await form(c));
    } catch {
      // Reported by the bound below.
    }
    return {
      figures: [
        ["all listening after (s)", s(listening)],
        ["every host lists every other after (s)", s(mesh)],
      ],
      bounds: [bound(`full mesh within ${JOIN_BOUND / 1000} s`, mesh <= JOIN_BOUND, s(mesh))],
    };
  },
};

/** 2. SIGKILL two hosts: dead everywhere, and no live host ever declared dead. */
const crash: Scenario = {
  id: 2,
  name: "crash",
  async run(ctx, c) {
    const start = c.now();
    await form(c);
    const victims = [2, c.size - 1].filter((v, k, a) => v > 0 && a.indexOf(v) === k);
    const t0 = c.now();
    for (const v of victims) await c.kill(v);
    ctx.log(`  killed hosts ${victims.join(", ")}`);
    let took = NaN;
    try {
      took = await c.waitUntil(
        () => victims.every((v) => c.allSee(v, "dead")),
        DEATH_BOUND,
        "the crashed hosts dead everywhere",
      );
    } catch {
      // Reported by the bound below.
    }
    const first = accusations(c, t0, victims)[0];
    const live = c.up();
    const falseDeaths = c.changes(start, -1, -1, ["dead"])
      .filter((e) => live.includes(c.indexOf(e.address))).length;
    return {
      figures: [
        ["first suspicion after (s)", first ? s(first.t - t0) : "-"],
        ["dead everywhere after (s)", s(took)],
        ["live hosts declared dead", String(falseDeaths)],
      ],
      bounds: [
        bound(`dead everywhere within ${DEATH_BOUND / 1000} s`, took <= DEATH_BOUND, s(took)),
        bound("no live host declared dead", falseDeaths === 0, falseDeaths),
      ],
    };
  },
};

/** Healing a partition: see RESULTS.md (reconnect push-pull, then nudges). */
const HEAL_BOUND = 45_000;
const CUT = 25_000;

/** 3. Two halves cut for 25 s: each side sees the other dead; healed: one table everywhere. */
const partition: Scenario = {
  id: 3,
  name: "partition",
  async run(ctx, c) {
    await form(c);
    const half = Math.ceil(c.size / 2);
    const a = range(0, half), b = range(half, c.size);
    const t0 = c.now();
    for (const i of a) {
      await ctx.lab.fault(c.host(i), [{
        drop: "from",
        hosts: b.map((j) => c.host(j)),
      }]);
    }
    for (const i of b) {
      await ctx.lab.fault(c.host(i), [{
        drop: "from",
        hosts: a.map((j) => c.host(j)),
      }]);
    }
    const split = () =>
      a.every((x) => b.every((y) => c.stateAt(x, y) === "dead" && c.stateAt(y, x) === "dead"));
    let seen = NaN;
    try {
      seen = await c.waitUntil(split, CUT, "each side to see the other dead");
    } catch {
      // Reported by the bound below.
    }
    await sleep(Math.max(0, CUT - (c.now() - t0)));
    const atEnd = split();
    const t1 = c.now();
    await ctx.lab.heal();
    ctx.log("  healed");
    let healed = NaN;
    try {
      healed = await c.waitUntil(() => c.fullMesh(), HEAL_BOUND, "one table everywhere");
    } catch {
      // Reported by the bound below.
    }
    // During the cut, nobody is declared dead by a host of its own side.
    const sameSide = c.changes(t0, -1, -1, ["dead"]).filter((e) => {
      const x = e.host, y = c.indexOf(e.address);
      return e.t < t1 && a.includes(x) === a.includes(y);
    }).length;
    // After healing, the old view of the other side (its death certificates) costs this much.
    const after = c.changes(t1, -1, -1, ACCUSE);
    return {
      figures: [
        ["each side sees the other dead after (s)", s(seen)],
        ["after healing, one table everywhere after (s)", s(healed)],
        ["hosts declared dead by their own side during the cut", String(sameSide)],
        [
          "suspect / dead events after healing",
          `${after.filter((e) => e.event === "suspect").length} / ${
            after.filter((e) => e.event === "dead").length
          }`,
        ],
      ],
      bounds: [
        bound(
          `each side sees the other dead by the end of the ${CUT / 1000} s cut`,
          atEnd,
          s(seen),
        ),
        bound(
          `one table everywhere within ${HEAL_BOUND / 1000} s of healing`,
          healed <= HEAL_BOUND,
          s(healed),
        ),
        bound("no host declared dead by its own side during the cut", sameSide === 0, sameSide),
      ],
    };
  },
};

/** The sick host's state changes per observer per minute, at most. */
const SICK_CHANGES_PER_MINUTE = 9;
const SICK = 40_000;
const RECOVER_BOUND = 30_000;

/** 4. One host loses 80% of what it receives for 40 s: no healthy host accused; it settles. */
const sickHost: Scenario = {
  id: 4,
  name: "sick host",
  async run(ctx, c) {
    await form(c);
    const sick = c.size - 1;
    const healthy = range(0, c.size - 1);
    const t0 = c.now();
    await ctx.lab.fault(c.host(sick), [{ drop: "loss", percent: 80 }]);
    await sleep(SICK);
    const t1 = c.now();
    const dropped = await ctx.lab.dropped(c.host(sick));
    await ctx.lab.heal();
    let back = NaN;
    try {
      back = await c.waitUntil(
        () => c.allSee(sick, "alive"),
        RECOVER_BOUND,
        "the sick host alive everywhere",
      );
    } catch {
      // Reported by the bound below.
    }
    const accused = accusations(c, t0, healthy);
    const suspected = c.changes(t0, sick, -1, ["suspect"]).filter((e) => e.t < t1).length;
    const most = maxChanges(c, t0, sick, healthy, t1);
    const perMinute = most / ((t1 - t0) / 60_000);
    return {
      figures: [
        ["datagrams the sick host dropped", String(dropped)],
        ["accusations of healthy hosts (suspect + dead)", String(accused.length)],
        ["suspect events about the sick host (all observers)", String(suspected)],
        ["its state changes at the busiest observer (40 s)", String(most)],
        ["alive everywhere after the loss ends (s)", s(back)],
      ],
      bounds: [
        bound("no healthy host suspected or declared dead", accused.length === 0, accused.length),
        bound(
          `sick host: at most ${SICK_CHANGES_PER_MINUTE} state changes per observer per minute`,
          perMinute <= SICK_CHANGES_PER_MINUTE,
          perMinute.toFixed(1),
        ),
        bound(
          `alive everywhere within ${RECOVER_BOUND / 1000} s after`,
          back <= RECOVER_BOUND,
          s(back),
        ),
      ],
    };
  },
};

/** Changes of a flapping host per observer per on/off cycle: suspect, dead, alive, at most. */
const FLAP_CHANGES_PER_CYCLE = 3;
const FLAP = 20_000;
const CYCLES = 3;

/** 5. Two hosts lose everything they receive, 20 s on / 20 s off, for 2 min. */
const flapping: Scenario = {
  id: 5,
  name: "flapping",
  async run(ctx, c) {
    await form(c);
    const flappers = [c.size - 2, c.size - 1];
    const healthy = range(0, c.size - 2);
    const t0 = c.now();
    for (let k = 0; k < CYCLES; k++) {
      for (const f of flappers) await ctx.lab.fault(c.host(f), [{ drop: "all" }]);
      await sleep(FLAP);
      for (const f of flappers) await ctx.lab.fault(c.host(f), []);
      await sleep(FLAP);
    }
    const t1 = c.now();
    let back = NaN;
    try {
      back = await c.waitUntil(() => c.fullMesh(), RECOVER_BOUND, "every host alive everywhere");
    } catch {
      // Reported by the bound below.
    }
    const accused = accusations(c, t0, healthy);
    const most = Math.max(...flappers.map((f) => maxChanges(c, t0, f, healthy, t1)));
    const limit = FLAP_CHANGES_PER_CYCLE * CYCLES;
    return {
      figures: [
        ["accusations of healthy hosts (suspect + dead)", String(accused.length)],
        ["state changes of a flapping host at the busiest observer (2 min)", String(most)],
        ["all alive everywhere after the last cycle (s)", s(back)],
      ],
      bounds: [
        bound("no healthy host suspected or declared dead", accused.length === 0, accused.length),
        bound(
          `at most ${limit} changes of a flapping host per observer (${FLAP_CHANGES_PER_CYCLE} per cycle)`,
          most <= limit,
          most,
        ),
        bound(
          `all alive everywhere within ${RECOVER_BOUND / 1000} s after`,
          back <= RECOVER_BOUND,
          s(back),
        ),
      ],
    };
  },
};

const ASYMMETRIC = 60_000;

/** 6. A cannot reach B, both reach everyone else: neither is declared dead. */
const asymmetric: Scenario = {
  id: 6,
  name: "asymmetric reachability",
  async run(ctx, c) {
    await form(c);
    const a = 1, b = 2;
    const t0 = c.now();
    // What A sends B is dropped at B; B still reaches A (and A's answers are lost).
    await ctx.lab.fault(c.host(b), [{ drop: "from", hosts: [c.host(a)] }]);
    await sleep(ASYMMETRIC);
    const dead = c.changes(t0, -1, -1, ["dead"]).length;
    const suspects = accusations(c, t0, [a, b]).length;
    await ctx.lab.heal();
    return {
      figures: [
        ["suspect events about A or B (60 s)", String(suspects)],
        ["hosts declared dead", String(dead)],
      ],
      bounds: [bound("neither A nor B (nor anyone) declared dead", dead === 0, dead)],
    };
  },
};

const RESTART_BOUND = 15_000;

/** 7. A killed host restarted on its address: alive everywhere, at a higher incarnation. */
const restart: Scenario = {
  id: 7,
  name: "restart",
  async run(ctx, c) {
    await form(c);
    const v = Math.floor(c.size / 2);
    const others = range(0, c.size).filter((i) => i !== v);
    await c.kill(v);
    let dead = NaN;
    try {
      dead = await c.waitUntil(
        () => c.allSee(v, "dead"),
        DEATH_BOUND,
        "the killed host dead everywhere",
      );
    } catch {
      // Reported by the restart bound.
    }
    const before = Math.max(...others.map((o) => c.incarnationAt(o, v) ?? 0));
    ctx.log(`  host ${v} dead everywhere at incarnation ${before}; restarting`);
    c.start(v, [0]);
    let back = NaN;
    try {
      back = await c.waitUntil(
        () =>
          others.every((o) => c.stateAt(o, v) === "alive" && (c.incarnationAt(o, v) ?? 0) > before),
        RESTART_BOUND,
        "the restarted host alive everywhere at a higher incarnation",
      );
    } catch {
      // Reported by the bound below.
    }
    const after = Math.min(...others.map((o) => c.incarnationAt(o, v) ?? 0));
    return {
      figures: [
        ["dead everywhere after the kill (s)", s(dead)],
        ["alive everywhere after the restart (s)", s(back)],
        ["incarnation before / after", `${before} / ${after}`],
      ],
      bounds: [
        bound(
          `alive everywhere at a higher incarnation within ${RESTART_BOUND / 1000} s`,
          back <= RESTART_BOUND,
          s(back),
        ),
      ],
    };
  },
};

/** Every scenario, by id. */
export const SCENARIOS: readonly Scenario[] = [
  joinStorm,
  crash,
  partition,
  sickHost,
  flapping,
  asymmetric,
  restart,
];
