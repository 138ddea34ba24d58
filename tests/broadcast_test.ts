import assert from "node:assert/strict";
import { BroadcastQueue, retransmitLimit } from "../src/core/queue.ts";
import { MessageHistory } from "../src/core/history.ts";
import { SeenCache } from "../src/core/seen_cache.ts";

const body = (n: number) => new Uint8Array(n);

Deno.test("broadcast queue: least-sent first, each item at most its limit, newer replaces older", () => {
  const q = new BroadcastQueue();
  q.enqueue("a", body(10), 2);
  q.enqueue("b", body(10), 2);
  assert.equal(q.take(15).length, 1); // budget fits one
  assert.equal(q.take(100).length, 2); // the unsent one first, then the other
  q.enqueue("a", body(10), 5); // replaces the waiting "a"
  let sent = 0;
  for (let i = 0; i < 10; i++) sent += q.take(100).length;
  assert.equal(sent, 5, "b was done; the new a goes five times");
  assert.equal(q.size, 0);
});

Deno.test("broadcast queue: the limit given at take time follows the cluster's size", () => {
  const q = new BroadcastQueue();
  q.enqueue("x", body(4), 1); // queued when the cluster was small
  let sent = 0;
  for (let i = 0; i < 20; i++) sent += q.take(100, 2, 255, retransmitLimit(4, 200)).length;
  assert.equal(sent, 12);
});

Deno.test("broadcast queue: capacity bounds memory, dropping the most-sent first", () => {
  const q = new BroadcastQueue(3);
  q.enqueue("old", body(4), 10);
  q.take(100); // "old" has been sent once
  q.enqueue("n1", body(4), 10);
  q.enqueue("n2", body(4), 10);
  q.enqueue("n3", body(4), 10);
  assert.equal(q.size, 3);
  assert.equal(q.dropped, 1);
  assert.ok(!q.has("old") && q.has("n3"));
  for (let i = 0; i < 10_000; i++) q.enqueue(`f${i}`, body(4), 10);
  assert.equal(q.size, 3);
});

Deno.test("seen cache and message history are bounded and expire", () => {
  const seen = new SeenCache(100, 1000);
  for (let i = 0; i < 1000; i++) assert.ok(seen.add(`k${i}`, i));
  assert.ok(seen.size <= 100);
  assert.equal(seen.add("k999", 999), false);
  const h = new MessageHistory(4, 500);
  for (let i = 0; i < 10; i++) h.add({ origin: "a:1", id: i }, body(1), i);
  assert.equal(h.size, 4);
  assert.deepEqual(h.recent(20, 0, 10).map((r) => r.id), [9, 8, 7, 6]);
  assert.equal(h.recent(2000, 0, 10).length, 0);
  h.offered("b:1", 0);
  assert.ok(h.wasOffered("b:1", 400));
  assert.ok(!h.wasOffered("b:1", 600));
  assert.ok(!h.wasOffered("c:1", 0));
});
