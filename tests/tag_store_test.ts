/**
 * The tag store's version rules, frame by frame: frames that arrive out of
 * order still close the gap, a stale whole-state frame does not undo newer
 * writes, and a node that learned an owner's state whole (its tombstones
 * unknown) answers a lagging peer with the whole state, never a partial
 * delta that would leave a deleted key alive there.
 */

import assert from "node:assert/strict";
import { TagStore } from "../src/core/tag_store.ts";
import type { TagsMessage } from "../src/wire/message.ts";

const OWNER = "10.0.0.1:7946";

/** The owner's store, with `n` keys k0..k(n-1) of `size` bytes each (versions 1..n). */
function owner(n: number, size = 400): TagStore {
  const store = new TagStore(OWNER, 5, 1 << 20);
  for (let k = 0; k < n; k++) store.set(`k${k}`, `${k}`.padEnd(size, "v"));
  return store;
}

Deno.test("tag store: frames of a large state applied in reverse order leave the whole state, version and all", () => {
  const source = owner(12);
  const frames = source.deltasFor(OWNER, undefined, 1000);
  assert.ok(frames.length >= 4, `${frames.length} frames`);
  const replica = new TagStore("10.0.0.2:7946", 1, 1 << 20);
  const reversed = [...frames].reverse();
  const results = reversed.map((f) => replica.apply(f, 0));
  assert.equal(results.at(-1)!.contiguous, true);
  assert.deepEqual(replica.of(OWNER), source.own());
  assert.deepEqual(replica.line(OWNER), { owner: OWNER, generation: 5, version: 12 });
});

Deno.test("tag store: a whole-state frame older than what is held changes nothing", () => {
  const source = owner(3);
  const old = source.deltasFor(OWNER, undefined, 60_000);
  source.set("k0", "new");
  source.delete("k1", 0);
  const replica = new TagStore("10.0.0.2:7946", 1, 1 << 20);
  for (const f of source.deltasFor(OWNER, undefined, 60_000)) replica.apply(f, 0);
  assert.deepEqual(replica.of(OWNER), { k0: "new", k2: "2".padEnd(400, "v") });
  const late = replica.apply(old[0], 0);
  assert.deepEqual(late.changes, []);
  assert.equal(late.fresh, false);
  assert.deepEqual(replica.of(OWNER), { k0: "new", k2: "2".padEnd(400, "v") });
  assert.equal(replica.line(OWNER)!.version, 5);
});

Deno.test("tag store: a node that learned a state whole answers a lagging peer whole (deletes are not lost)", () => {
  const source = owner(3);
  // The lagging peer has versions 1..3 (k0, k1, k2).
  const lagging = new TagStore("10.0.0.3:7946", 1, 1 << 20);
  for (const f of source.deltasFor(OWNER, undefined, 60_000)) lagging.apply(f, 0);
  source.delete("k1", 0); // version 4, a tombstone
  // The middle node learns the state whole, without the tombstone.
  const middle = new TagStore("10.0.0.2:7946", 1, 1 << 20);
  const whole = source.deltasFor(OWNER, undefined, 60_000);
  assert.equal(whole[0].reset, true);
  assert.ok(whole[0].entries.every((e) => e.value !== undefined), "no tombstones in a reset");
  for (const f of whole) middle.apply(f, 0);
  // Asked by the lagging peer (at version 3), it must not send a delta that lacks the delete.
  const answer = middle.deltasFor(OWNER, lagging.line(OWNER), 60_000);
  assert.equal(answer[0]?.reset, true, JSON.stringify(answer));
  for (const f of answer) lagging.apply(f, 0);
  assert.deepEqual(lagging.of(OWNER), source.own());
});

Deno.test("tag store: an out-of-order frame is applied at once, and reported as a gap to ask for", () => {
  const source = owner(4);
  const frames: TagsMessage[] = source.deltasFor(OWNER, undefined, 450);
  assert.equal(frames.length, 4);
  const replica = new TagStore("10.0.0.2:7946", 1, 1 << 20);
  const r = replica.apply(frames[2], 0);
  assert.equal(r.contiguous, false);
  assert.deepEqual(r.changes.map((c) => c.key), ["k2"]);
  assert.equal(replica.line(OWNER), undefined, "nothing held in order yet");
  replica.apply(frames[0], 0);
  assert.equal(replica.line(OWNER)!.version, 1);
  replica.apply(frames[1], 0);
  assert.equal(replica.line(OWNER)!.version, 3, "the frame held ahead counts once the gap closes");
});
