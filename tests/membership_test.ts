import assert from "node:assert/strict";
import type { MemberRecord, MemberState } from "../mod.ts";
import { Membership, supersedes } from "../src/core/membership.ts";
import { seededRandom } from "../src/testing/random.ts";

const A = "127.0.0.1:1";
const rec = (state: MemberState, incarnation: number, address = A): MemberRecord => ({
  address,
  state,
  incarnation,
});

Deno.test("membership: the merge table between states and incarnations", () => {
  // [current, update, applied?]
  const table: [MemberRecord, MemberRecord, boolean][] = [
    [rec("alive", 1), rec("alive", 1), false], // nothing new
    [rec("alive", 1), rec("alive", 2), true], // refutation / restart
    [rec("alive", 2), rec("alive", 1), false], // stale
    [rec("alive", 1), rec("suspect", 1), true],
    [rec("alive", 2), rec("suspect", 1), false], // stale suspicion of an older life
    [rec("suspect", 1), rec("alive", 1), false], // same incarnation does not refute
    [rec("suspect", 1), rec("alive", 2), true], // refuted
    [rec("suspect", 1), rec("dead", 1), true],
    [rec("dead", 1), rec("suspect", 1), false],
    [rec("dead", 1), rec("alive", 1), false], // a dead member needs a new incarnation
    [rec("dead", 1), rec("alive", 2), true], // rejoin
    [rec("alive", 1), rec("left", 1), true],
    [rec("dead", 1), rec("left", 1), true], // a graceful leave wins over a failure verdict
    [rec("left", 1), rec("dead", 1), false],
    [rec("left", 1), rec("alive", 1), false], // a replayed alive cannot undo a leave
    [rec("left", 1), rec("alive", 2), true], // a restarted member comes back
  ];
  for (const [current, update, applied] of table) {
    const m = new Membership();
    m.apply(current, 0);
    const result = m.apply(update, 1);
    assert.equal(
      result.changed,
      applied,
      `${current.state}/${current.incarnation} + ${update.state}/${update.incarnation}`,
    );
    assert.equal(supersedes(update, current), applied);
    const now = m.get(A)!;
    const expected = applied ? update : current;
    assert.equal(now.state, expected.state);
    assert.equal(now.incarnation, expected.incarnation);
  }
});

Deno.test("membership: any order of the same updates gives the same table", () => {
  const rng = seededRandom(9);
  const states: MemberState[] = ["alive", "suspect", "dead", "left"];
  const updates: MemberRecord[] = [];
  for (let i = 0; i < 60; i++) {
    updates.push(rec(
      states[Math.floor(rng.next() * 4)],
      Math.floor(rng.next() * 4),
      `10.0.0.${i % 5}:1`,
    ));
  }
  const reference = new Membership();
  for (const u of updates) reference.apply(u, 0);
  const snapshot = (m: Membership) =>
    [...m.all()].map((x) => `${x.address}=${x.state}/${x.incarnation}`).sort().join(",");
  for (let trial = 0; trial < 50; trial++) {
    const shuffled = [...updates];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const m = new Membership();
    for (const u of shuffled) m.apply(u, 0);
    // Re-applying (duplicates, replays) changes nothing either.
    for (const u of updates) assert.equal(m.apply(u, 0).changed, false);
    assert.equal(snapshot(m), snapshot(reference));
  }
});

Deno.test("membership: live list follows state changes; unknown tombstones are kept", () => {
  const m = new Membership();
  m.apply(rec("alive", 0, "a:1"), 0);
  m.apply(rec("suspect", 0, "b:1"), 0);
  m.apply(rec("dead", 3, "c:1"), 0);
  assert.deepEqual([...m.live()].sort(), ["a:1", "b:1"]);
  assert.equal(m.get("c:1")?.state, "dead");
  m.apply(rec("left", 0, "a:1"), 5);
  assert.deepEqual([...m.live()], ["b:1"]);
  assert.equal(m.get("a:1")?.since, 5);
  m.apply(rec("alive", 2, "c:1"), 6); // stale resurrection refused
  assert.equal(m.get("c:1")?.state, "dead");
  m.apply(rec("alive", 4, "c:1"), 7);
  assert.deepEqual([...m.live()].sort(), ["b:1", "c:1"]);
  m.remove("b:1");
  assert.deepEqual([...m.live()], ["c:1"]);
  assert.equal(m.size, 2);
});

Deno.test("membership: randomLive picks distinct live members, honouring exclusions", () => {
  const m = new Membership();
  for (let i = 0; i < 50; i++) m.apply(rec("alive", 0, `10.0.0.${i}:1`), 0);
  m.apply(rec("dead", 0, "10.0.0.0:1"), 0);
  const rng = seededRandom(1);
  for (const k of [1, 3, 20, 49, 100]) {
    const picked = m.randomLive(rng, k, "10.0.0.1:1");
    assert.equal(picked.length, Math.min(k, 48));
    assert.equal(new Set(picked).size, picked.length);
    assert.ok(!picked.includes("10.0.0.0:1") && !picked.includes("10.0.0.1:1"));
  }
});
