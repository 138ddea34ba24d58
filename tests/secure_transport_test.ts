import assert from "node:assert/strict";
import { generateKey, Keyring, SEAL_OVERHEAD } from "../src/net/keyring.ts";
import { LABEL_MAGIC, type SecureDropReason, SecureTransport } from "../src/net/secure.ts";
import type { DatagramHandler, Transport } from "../src/net/transport.ts";

/** One end of an in-memory pair: `send` calls the other end's handler synchronously. */
class FakeEnd implements Transport {
  peer: FakeEnd | undefined;
  handler: DatagramHandler | undefined;
  /** Every datagram this end put on the "wire", as sent. */
  readonly wire: Uint8Array[] = [];
  /** Rewrites or drops (undefined) datagrams on the wire; identity by default. */
  tamper: (data: Uint8Array) => Uint8Array | undefined = (d) => d;
  closed = false;
  /** Sends seen after close (must stay 0). */
  sendsAfterClose = 0;

  constructor(readonly address: string) {}

  listen(handler: DatagramHandler): void {
    this.handler = handler;
  }

  send(_to: string, data: Uint8Array): void {
    if (this.closed) {
      this.sendsAfterClose++;
      return;
    }
    this.wire.push(data);
    const out = this.tamper(data);
    if (out && this.peer && !this.peer.closed) this.peer.handler?.(this.address, out);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function fakePair(): [FakeEnd, FakeEnd] {
  const a = new FakeEnd("10.0.0.1:7946"), b = new FakeEnd("10.0.0.2:7946");
  a.peer = b;
  b.peer = a;
  return [a, b];
}

const bytes = (...v: number[]): Uint8Array => new Uint8Array(v);
const frame = (n: number): Uint8Array => bytes(0xd7, 1, 0x06, 0, 0, n >> 8, n & 0xff);

interface Received {
  from: string;
  data: Uint8Array;
}

function listenAll(t: SecureTransport): Received[] {
  const got: Received[] = [];
  t.listen((from, data) => got.push({ from, data }));
  return got;
}

/** Two SecureTransports over a fake pair, sharing one key. */
async function keyedPair(key: string = generateKey()) {
  const [ra, rb] = fakePair();
  const a = new SecureTransport(ra, { keyring: await Keyring.create([key]) });
  const b = new SecureTransport(rb, { keyring: await Keyring.create([key]) });
  return { ra, rb, a, b };
}

function dropLog(): {
  log: [SecureDropReason, string][];
  onDrop: (r: SecureDropReason, f: string) => void;
} {
  const log: [SecureDropReason, string][] = [];
  return { log, onDrop: (r, f) => log.push([r, f]) };
}

Deno.test("SecureTransport with keys delivers sealed datagrams", async () => {
  const { ra, rb, a, b } = await keyedPair();
  try {
    listenAll(a);
    const got = listenAll(b);
    assert.equal(a.address, ra.address);
    assert.equal(a.overhead, SEAL_OVERHEAD);
    a.send(rb.address, frame(1));
    assert.equal(got.length, 0); // sealing is asynchronous
    await a.flush();
    await b.flush();
    assert.equal(got.length, 1);
    assert.equal(got[0].from, ra.address);
    assert.deepEqual(got[0].data, frame(1));
    // On the wire: version byte, not the frame.
    assert.equal(ra.wire.length, 1);
    assert.equal(ra.wire[0].length, frame(1).length + SEAL_OVERHEAD);
    assert.equal(ra.wire[0][0], 0x01);
    assert.deepEqual(b.drops, { decrypt: 0, label: 0, seal: 0 });
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("SecureTransport preserves send and arrival order", async () => {
  const { rb, a, b } = await keyedPair(generateKey(16));
  try {
    listenAll(a);
    const got = listenAll(b);
    // Mixed sizes so that seals and opens finish at different times.
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) {
      const data = new Uint8Array(i % 3 === 0 ? 60_000 : 8);
      data[0] = 0xd7;
      data[1] = i;
      sent.push(data);
      a.send(rb.address, data);
    }
    await a.flush();
    await b.flush();
    assert.equal(got.length, 200);
    got.forEach((r, i) => assert.deepEqual(r.data, sent[i], `datagram ${i}`));
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("SecureTransport drops and counts what does not open", async () => {
  const [ra, rb] = fakePair();
  const drops = dropLog();
  const a = new SecureTransport(ra, { keyring: await Keyring.create([generateKey()]) });
  const b = new SecureTransport(rb, {
    keyring: await Keyring.create([generateKey()]), // another key
    onDrop: drops.onDrop,
  });
  try {
    listenAll(a);
    const got = listenAll(b);
    a.send(rb.address, frame(1));
    a.send(rb.address, frame(2));
    // A plaintext native frame, and junk, straight onto the wire.
    ra.send(rb.address, frame(3));
    ra.send(rb.address, new Uint8Array(0));
    await a.flush();
    await b.flush();
    assert.equal(got.length, 0);
    assert.deepEqual(b.drops, { decrypt: 4, label: 0, seal: 0 });
    assert.deepEqual(drops.log, Array(4).fill(["decrypt", ra.address]));
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("SecureTransport rejects a tampered datagram and keeps delivering", async () => {
  const { ra, rb, a, b } = await keyedPair();
  try {
    listenAll(a);
    const got = listenAll(b);
    let n = 0;
    ra.tamper = (d) => {
      if (n++ !== 1) return d;
      const bad = d.slice();
      bad[bad.length - 20] ^= 0x40;
      return bad;
    };
    for (let i = 0; i < 3; i++) a.send(rb.address, frame(i));
    await a.flush();
    await b.flush();
    assert.deepEqual(got.map((r) => r.data), [frame(0), frame(2)]);
    assert.equal(b.drops.decrypt, 1);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("SecureTransport with keys binds the label as additional data", async () => {
  const [ra, rb] = fakePair();
  const key = generateKey();
  const a = new SecureTransport(ra, { keyring: await Keyring.create([key]), label: "prod" });
  const b = new SecureTransport(rb, { keyring: await Keyring.create([key]), label: "staging" });
  try {
    listenAll(a);
    const gotB = listenAll(b);
    a.send(rb.address, frame(1));
    await a.flush();
    await b.flush();
    assert.equal(gotB.length, 0);
    assert.deepEqual(b.drops, { decrypt: 1, label: 0, seal: 0 });
    // No label header on the wire: the label lives only in the AAD.
    assert.equal(ra.wire[0][0], 0x01);
    assert.equal(ra.wire[0].length, frame(1).length + SEAL_OVERHEAD);
    assert.equal(a.overhead, SEAL_OVERHEAD);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("SecureTransport with a label only adds and checks the header", async () => {
  const [ra, rb] = fakePair();
  const drops = dropLog();
  const a = new SecureTransport(ra, { label: "prod" });
  const b = new SecureTransport(rb, { label: "prod", onDrop: drops.onDrop });
  try {
    listenAll(a);
    const got = listenAll(b);
    assert.equal(a.overhead, 2 + 4);
    a.send(rb.address, frame(1));
    // Synchronous without keys.
    assert.deepEqual(ra.wire[0], bytes(LABEL_MAGIC, 4, 0x70, 0x72, 0x6f, 0x64, ...frame(1)));
    assert.equal(got.length, 1);
    assert.deepEqual(got[0].data, frame(1));
    assert.equal(got[0].from, ra.address);

    ra.send(rb.address, frame(2)); // unlabelled
    ra.send(rb.address, bytes(LABEL_MAGIC, 4, 0x70, 0x72, 0x6f, 0x64)); // empty body is fine
    ra.send(rb.address, bytes(LABEL_MAGIC, 3, 0x70, 0x72, 0x6f, ...frame(3))); // "pro"
    ra.send(rb.address, bytes(LABEL_MAGIC, 5, 0x70, 0x72, 0x6f, 0x64, 0x64, ...frame(4)));
    ra.send(rb.address, bytes(LABEL_MAGIC, 4, 0x70, 0x72)); // truncated header
    ra.send(rb.address, new Uint8Array(0));
    assert.equal(got.length, 2);
    assert.equal(got[1].data.length, 0);
    assert.deepEqual(b.drops, { decrypt: 0, label: 5, seal: 0 });
    assert.deepEqual(drops.log, Array(5).fill(["label", ra.address]));
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("a labelled node and an unlabelled one do not talk", async () => {
  const [ra, rb] = fakePair();
  const a = new SecureTransport(ra, { label: "prod" });
  const b = new SecureTransport(rb, {}); // no label: a pass-through
  try {
    const gotA = listenAll(a);
    const gotB = listenAll(b);
    a.send(rb.address, frame(1));
    b.send(ra.address, frame(2));
    // The unlabelled side sees 0xd8 where the codec expects its magic 0xd7.
    assert.equal(gotB.length, 1);
    assert.equal(gotB[0].data[0], LABEL_MAGIC);
    assert.equal(gotA.length, 0);
    assert.equal(a.drops.label, 1);
    assert.equal(b.overhead, 0);
    assert.deepEqual(rb.wire[0], frame(2));
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("a label over 255 bytes is refused", () => {
  const [ra] = fakePair();
  assert.throws(() => new SecureTransport(ra, { label: "x".repeat(256) }), TypeError);
  assert.throws(() => new SecureTransport(ra, { label: "é".repeat(128) }), /256/);
  new SecureTransport(ra, { label: "x".repeat(255) }); // fine
});

Deno.test("SecureTransport follows a key rotation", async () => {
  const [ra, rb] = fakePair();
  const oldKey = generateKey(), newKey = generateKey();
  const ringA = await Keyring.create([oldKey]);
  const ringB = await Keyring.create([oldKey]);
  const a = new SecureTransport(ra, { keyring: ringA });
  const b = new SecureTransport(rb, { keyring: ringB });
  try {
    listenAll(a);
    const got = listenAll(b);
    await ringB.install(newKey);
    a.send(rb.address, frame(1)); // old key
    await ringA.install(newKey);
    ringA.use(newKey);
    a.send(rb.address, frame(2)); // new key, B has it installed
    await a.flush();
    await b.flush();
    ringB.use(newKey);
    ringB.remove(oldKey);
    ringA.remove(oldKey);
    a.send(rb.address, frame(3));
    await a.flush();
    await b.flush();
    assert.deepEqual(got.map((r) => r.data), [frame(1), frame(2), frame(3)]);
    assert.equal(b.drops.decrypt, 0);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("close sends what is pending, then closes the inner transport", async () => {
  const { ra, rb, a, b } = await keyedPair();
  try {
    listenAll(a);
    const got = listenAll(b);
    a.send(rb.address, frame(1)); // e.g. a leave message right before close
    a.send(rb.address, frame(2));
    const closing = a.close();
    assert.equal(a.close(), closing); // idempotent
    a.send(rb.address, frame(3)); // after close began: dropped
    assert.equal(ra.closed, false);
    await closing;
    assert.equal(ra.closed, true);
    assert.equal(ra.wire.length, 2);
    assert.equal(ra.sendsAfterClose, 0);
    await b.flush();
    assert.deepEqual(got.map((r) => r.data), [frame(1), frame(2)]);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("close awaits pending opens and delivers nothing more", async () => {
  const { rb, a, b } = await keyedPair();
  try {
    listenAll(a);
    const got = listenAll(b);
    a.send(rb.address, frame(1));
    await a.flush(); // on B's side now, being opened
    await b.close();
    assert.equal(rb.closed, true);
    assert.equal(got.length, 0);
    // The pending open finished before close resolved (the sanitizers agree).
    rb.closed = false;
    a.send(rb.address, frame(2)); // arrives at a closed SecureTransport
    await a.flush();
    await b.flush();
    assert.equal(got.length, 0);
    assert.deepEqual(b.drops, { decrypt: 0, label: 0, seal: 0 });
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("without keys or label SecureTransport passes datagrams through", async () => {
  const [ra, rb] = fakePair();
  const a = new SecureTransport(ra, {});
  const b = new SecureTransport(rb);
  try {
    listenAll(a);
    const got = listenAll(b);
    const data = frame(9);
    a.send(rb.address, data);
    assert.equal(ra.wire[0], data);
    assert.equal(got[0].data, data);
    await a.flush();
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("a handler that replies is flushed too", async () => {
  const { rb, a, b } = await keyedPair();
  try {
    const gotA = listenAll(a);
    b.listen((from, data) => b.send(from, bytes(0xd7, 1, 0x06, data[5], data[6])));
    for (let i = 0; i < 5; i++) a.send(rb.address, frame(i));
    await a.flush();
    await b.flush();
    await a.flush();
    assert.deepEqual(gotA.map((r) => r.data[4]), [0, 1, 2, 3, 4]);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("a throwing handler is reported and later datagrams still arrive", async () => {
  const { rb, a, b } = await keyedPair();
  const reported: unknown[] = [];
  const onError = (e: ErrorEvent) => {
    e.preventDefault();
    reported.push(e.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    listenAll(a);
    const got: number[] = [];
    b.listen((_from, data) => {
      if (data[6] === 1) throw new Error("handler bug");
      got.push(data[6]);
    });
    for (let i = 0; i < 3; i++) a.send(rb.address, frame(i));
    await a.flush();
    await b.flush();
    assert.deepEqual(got, [0, 2]);
    assert.equal(reported.length, 1);
    assert.match(String(reported[0]), /handler bug/);
  } finally {
    globalThis.removeEventListener("error", onError);
    await a.close();
    await b.close();
  }
});
