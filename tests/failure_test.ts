import assert from "node:assert/strict";
import { VirtualCluster } from "./virtual.ts";
import { suspicionBounds } from "../mod.ts";

Deno.test("failure: a crashed member is declared dead by every other member within the bound", async () => {
  const c = new VirtualCluster(1);
  try {
    await c.grow(10);
    const victim = c.nodes[9];
    const crashedAt = c.clock.now();
    c.crash(victim);
    const others = c.running();
    // Bound for the LAN profile: detection within two probe passes over N members
    // (round-robin), one probe interval for the indirect round, then the longest
    // suspicion timeout.
    const { max } = suspicionBounds(4, 6, 10, 1000);
    const bound = 2 * 10 * 1000 + 1000 + max;
    const took = c.runUntil(
      () =>
        others.every((n) =>
          n.members().find((m) => m.address === victim.address)?.state === "dead"
        ),
      bound,
      "dead everywhere",
    );
    const firstSuspect = c.events.find((e) =>
      e.type === "suspect" && e.address === victim.address
    )!;
    const deaths = c.events.filter((e) => e.type === "dead" && e.address === victim.address);
    assert.equal(deaths.length, 9, "one dead event per other member");
    console.log(
      `  detection: first suspect after ${firstSuspect.time - crashedAt} ms, ` +
        `dead everywhere after ${took} ms (bound ${bound} ms)`,
    );
    // A dead member is no longer probed or gossiped to.
    const before = c.network.statsFor(victim.address).receivedPackets;
    const sentBefore = c.network.stats.dropped.crashed;
    c.run(30_000);
    assert.equal(c.network.statsFor(victim.address).receivedPackets, before);
    const attempts = c.network.stats.dropped.crashed - sentBefore;
    assert.ok(attempts <= 4, `at most a few reconnect syncs to the dead member, saw ${attempts}`);
    for (const n of others) assert.ok(!n.peers().includes(victim.address));
  } finally {
    await c.close();
  }
});

for (const loss of [0.1, 0.3]) {
  Deno.test(`failure: ${loss * 100}% packet loss on 50 nodes for 10 minutes: no live member declared dead, a crash still is`, async () => {
    const c = new VirtualCluster(100 + loss * 10);
    try {
      await c.grow(50);
      c.network.loss = loss;
      c.run(10 * 60_000);
      const falseDead = c.events.filter((e) => e.type === "dead").length;
      const suspicions = c.events.filter((e) => e.type === "suspect").length;
      const refuted = c.events.filter((e) => e.type === "alive").length;
      console.log(
        `  loss ${loss}: ${suspicions} suspicions, ${refuted} refuted, ${falseDead} false deaths`,
      );
      assert.equal(falseDead, 0, "no live member declared dead");
      const victim = c.nodes[49];
      c.crash(victim);
      c.runUntil(
        () =>
          c.running().every((n) =>
            n.members().find((m) => m.address === victim.address)?.state === "dead"
          ),
        180_000,
        "crash detected under loss",
      );
    } finally {
      await c.close();
    }
  });
}

Deno.test("failure: a partition of half the cluster heals into one consistent table", async () => {
  const c = new VirtualCluster(7);
  try {
    await c.grow(20);
    const a = c.nodes.slice(0, 10).map((n) => n.address);
    const b = c.nodes.slice(10).map((n) => n.address);
    c.network.partition(a, b);
    c.run(60_000);
    // Each side has given up on the other.
    const side = c.nodes[0].members().filter((m) => b.includes(m.address));
    assert.ok(side.every((m) => m.state === "dead" || m.state === "suspect"));
    assert.ok(side.some((m) => m.state === "dead"));
    c.network.heal();
    const took = c.runUntil(() => c.converged(), 5 * 60_000, "healed membership");
    console.log(`  partition healed ${took} ms after the network did`);
    const tables = c.nodes.map((n) =>
      n.members().map((m) => `${m.address}=${m.state}/${m.incarnation}`).sort().join(",")
    );
    assert.equal(new Set(tables).size, 1, "every node holds the same member table");
  } finally {
    await c.close();
  }
});

Deno.test("failure: leave is seen as left at once; a restart on the same address rejoins and wins", async () => {
  const c = new VirtualCluster(3);
  try {
    await c.grow(6);
    const leaver = c.nodes[5];
    const address = leaver.address;
    await c.leave(leaver);
    const took = c.runUntil(
      () =>
        c.running().every((n) => n.members().find((m) => m.address === address)?.state === "left"),
      1000,
      "left everywhere",
    );
    assert.ok(took <= 100, `leave seen everywhere within ${took} ms`);
    assert.equal(c.events.filter((e) => e.type === "dead").length, 0, "left, not dead");
    c.run(5_000);
    // Restart on the same address, incarnation starting again at 0.
    const back = await c.add([c.nodes[0].address], address);
    c.runUntil(() => c.converged(), 10_000, "rejoin");
    assert.ok(back.incarnation > 0, "the new node refuted its old left record");
    for (const n of c.running()) {
      if (n !== back) {
        assert.equal(n.members().find((m) => m.address === address)?.state, "alive");
      }
    }
  } finally {
    await c.close();
  }
});

Deno.test("failure: a crashed member that restarts before it is declared dead refutes the suspicion", async () => {
  const c = new VirtualCluster(5);
  try {
    await c.grow(8);
    const victim = c.nodes[7];
    c.network.crash(victim.address);
    c.runUntil(
      () => c.events.some((e) => e.type === "suspect" && e.address === victim.address),
      30_000,
      "suspicion",
    );
    c.network.restore(victim.address);
    c.runUntil(
      () =>
        c.nodes.slice(0, 7).every((n) =>
          n.members().find((m) => m.address === victim.address)?.state === "alive"
        ),
      30_000,
      "refutation",
    );
    assert.ok(victim.incarnation > 0);
    assert.ok(victim.metrics().refutations > 0);
    assert.equal(c.events.filter((e) => e.type === "dead").length, 0);
  } finally {
    await c.close();
  }
});

Deno.test("failure: dead and left members are reaped after reapAfter", async () => {
  const c = new VirtualCluster(11, { reapAfter: 30_000 });
  try {
    await c.grow(5);
    const victim = c.nodes[4];
    c.crash(victim);
    c.runUntil(
      () => c.nodes[0].members().find((m) => m.address === victim.address)?.state === "dead",
      60_000,
      "dead",
    );
    c.run(90_000);
    for (const n of c.running()) {
      assert.equal(n.members().find((m) => m.address === victim.address), undefined, "reaped");
    }
  } finally {
    await c.close();
  }
});

Deno.test("failure: a node that cannot hear raises its own health score (Lifeguard)", async () => {
  const c = new VirtualCluster(13);
  try {
    await c.grow(6);
    const deaf = c.nodes[0];
    for (const n of c.nodes.slice(1)) c.network.setLink(n.address, deaf.address, { loss: 1 });
    c.run(10_000);
    assert.ok(deaf.metrics().health > 0, `health score ${deaf.metrics().health}`);
    for (const n of c.nodes.slice(1)) assert.equal(n.metrics().health, 0);
  } finally {
    await c.close();
  }
});

Deno.test("dissemination: under 20% loss every broadcast reaches every member exactly once", async () => {
  const c = new VirtualCluster(21);
  try {
    await c.grow(50);
    c.network.loss = 0.2;
    const got = new Map<string, Set<string>>();
    let deliveries = 0;
    for (const n of c.nodes) {
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
      c.nodes[i % 50].broadcast(`m${i}`);
      c.run(100);
    }
    c.runUntil(() => deliveries === 40 * 49, 30_000, "every message everywhere");
    assert.equal(got.size, 40);
  } finally {
    await c.close();
  }
});
