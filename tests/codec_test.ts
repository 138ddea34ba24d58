import assert from "node:assert/strict";
import { CodecError, decode, encode, type Message } from "../mod.ts";
import { encodeBody, MAGIC, pack, VERSION } from "../src/wire/codec.ts";
import { seededRandom } from "../src/testing/random.ts";

const bytes = (...xs: number[]) => new Uint8Array(xs);

const samples: Message[] = [
  { type: "init", incarnation: 0 },
  { type: "init", incarnation: 0xffffffff },
  { type: "info", members: [] },
  {
    type: "info",
    members: [
      { address: "127.0.0.1:8080", state: "alive", incarnation: 3 },
      { address: "[::1]:9000", state: "suspect", incarnation: 1 },
      { address: "10.0.0.7:7946", state: "dead", incarnation: 9 },
      { address: "host.example:1", state: "left", incarnation: 2 },
    ],
  },
  { type: "conn", incarnation: 42 },
  {
    type: "gosp",
    origin: "127.0.0.1:8080",
    id: 123456789,
    hops: 3,
    payload: new TextEncoder().encode("Hello!"),
  },
  { type: "gosp", origin: "127.0.0.1:1", id: 0, hops: 0, payload: new Uint8Array(0) },
  { type: "ping", seq: 7, target: "127.0.0.1:8081" },
  { type: "ack", seq: 7 },
  { type: "ping-req", seq: 8, target: "[::1]:8081" },
  { type: "nack", seq: 8 },
  { type: "alive", address: "127.0.0.1:1", incarnation: 5 },
  { type: "suspect", address: "127.0.0.1:1", incarnation: 5, from: "127.0.0.1:2" },
  { type: "dead", address: "127.0.0.1:1", incarnation: 5, from: "127.0.0.1:2" },
  { type: "leave", address: "127.0.0.1:1", incarnation: 6 },
  { type: "sync", reply: true, members: [{ address: "a:1", state: "alive", incarnation: 0 }] },
  { type: "sync", reply: false, members: [] },
  { type: "ihave", messages: [{ origin: "127.0.0.1:8080", id: 1 }, { origin: "[::1]:9", id: 2 }] },
  { type: "iwant", messages: [] },
  { type: "prune", origin: "127.0.0.1:8080" },
  { type: "graft", origin: "127.0.0.1:8080", ids: [0xffffffff, 0] },
  { type: "graft", origin: "[::1]:9", ids: [] },
  {
    type: "tags",
    owner: "127.0.0.1:8080",
    generation: 2 ** 53 - 1,
    since: 4,
    to: 6,
    reset: false,
    entries: [{ key: "zone", version: 5 }, { key: "rôle", version: 6, value: "db ✓" }],
  },
  { type: "tags", owner: "[::1]:9", generation: 0, since: 0, to: 0, reset: true, entries: [] },
  {
    type: "digest",
    reply: true,
    full: true,
    members: 3,
    membersHash: 0xffffffff,
    tagsHash: 1,
    after: "10.0.0.1:1",
    through: "",
    entries: [{ owner: "127.0.0.1:8080", generation: 1764377000123, version: 6 }],
  },
  {
    type: "batch",
    messages: [{ type: "ping", seq: 1, target: "127.0.0.1:5" }, {
      type: "alive",
      address: "127.0.0.1:6",
      incarnation: 1,
    }],
  },
];

Deno.test("codec: every message kind round-trips", () => {
  for (const m of samples) {
    const encoded = encode(m);
    assert.equal(encoded[0], MAGIC);
    assert.equal(encoded[1], VERSION);
    assert.deepEqual(decode(encoded), m, `round trip of ${m.type}`);
  }
});

Deno.test("codec: fixed byte layout of a ping and an ack", () => {
  assert.deepEqual(
    encode({ type: "ack", seq: 0x01020304 }),
    bytes(MAGIC, VERSION, 0x06, 1, 2, 3, 4),
  );
  const ping = encode({ type: "ping", seq: 1, target: "a:1" });
  assert.deepEqual(ping, bytes(MAGIC, VERSION, 0x05, 0, 0, 0, 1, 3, 0x61, 0x3a, 0x31));
});

Deno.test("codec: pack of one body is a plain frame; of several, a batch", () => {
  const a = encodeBody({ type: "ack", seq: 1 });
  assert.deepEqual(pack([a]), encode({ type: "ack", seq: 1 }));
  const both = decode(pack([a, encodeBody({ type: "nack", seq: 2 })]));
  assert.equal(both.type, "batch");
});

Deno.test("codec: malformed input raises CodecError naming the problem", () => {
  const cases: [Uint8Array, RegExp][] = [
    [bytes(), /too short/],
    [bytes(MAGIC, VERSION), /too short/],
    [bytes(0x00, VERSION, 0x06, 0, 0, 0, 1), /bad magic/],
    [bytes(MAGIC, 99, 0x06, 0, 0, 0, 1), /unsupported protocol version 99/],
    [bytes(MAGIC, VERSION, 0x77), /unknown message kind 0x77/],
    [bytes(MAGIC, VERSION, 0x06, 0, 0, 1), /truncated seq/],
    [bytes(MAGIC, VERSION, 0x06, 0, 0, 0, 1, 9), /trailing/],
    [bytes(MAGIC, VERSION, 0x05, 0, 0, 0, 1, 200, 0x61), /truncated target/],
    [bytes(MAGIC, VERSION, 0x05, 0, 0, 0, 1, 1, 0x61), /not HOST:PORT/],
    [bytes(MAGIC, VERSION, 0x02, 0xff, 0xff), /member count 65535/],
    [bytes(MAGIC, VERSION, 0x04, 3, 0x61, 0x3a, 0x31, 0, 0, 0, 1, 0, 0, 9, 1), /truncated payload/],
    [bytes(MAGIC, VERSION, 0x0f, 0), /empty batch/],
    [bytes(MAGIC, VERSION, 0x0f, 1, 0, 9, 0x06), /truncated batch entry/],
    [bytes(MAGIC, VERSION, 0x0f, 1, 0, 2, 0x0f, 0), /nested batch/],
    [bytes(MAGIC, VERSION, 0x0d, 5, 0, 0), /unknown sync flags/],
    [bytes(MAGIC, VERSION, 0x09, 4, 0xff, 0xfe, 0x3a, 0x31, 0, 0, 0, 0), /UTF-8/],
    [bytes(MAGIC, VERSION, 0x02, 0, 1, 3, 0x61, 0x3a, 0x31, 7, 0, 0, 0, 0), /member state 7/],
  ];
  for (const [input, pattern] of cases) {
    assert.throws(() => decode(input), (e: unknown) => {
      assert.ok(e instanceof CodecError, `CodecError for ${input}`);
      assert.match(e.message, pattern);
      return true;
    });
  }
});

Deno.test("codec: every truncation of every valid frame is rejected", () => {
  for (const m of samples) {
    const full = encode(m);
    for (let n = 0; n < full.length; n++) {
      assert.throws(() => decode(full.subarray(0, n)), CodecError, `${m.type} cut to ${n}`);
    }
  }
});

Deno.test("codec: random bytes and bit flips decode or raise CodecError, nothing else", () => {
  const rng = seededRandom(2024);
  const byte = () => Math.floor(rng.next() * 256);
  let decoded = 0;
  for (let i = 0; i < 20_000; i++) {
    let input: Uint8Array;
    if (i % 2 === 0) {
      input = new Uint8Array(Math.floor(rng.next() * 64)).map(byte);
      if (i % 4 === 0 && input.length > 2) (input[0] = MAGIC, input[1] = VERSION);
    } else {
      input = encode(samples[i % samples.length]).slice();
      input[Math.floor(rng.next() * input.length)] ^= 1 << Math.floor(rng.next() * 8);
    }
    try {
      const m = decode(input);
      decoded++;
      assert.deepEqual(decode(encode(m)), m, "whatever decodes re-encodes to the same message");
    } catch (e) {
      assert.ok(e instanceof CodecError, `only CodecError, got ${e}`);
    }
  }
  assert.ok(decoded > 0, "some mutations still decode");
});

Deno.test("codec: encode refuses values the format cannot carry", () => {
  assert.throws(() => encode({ type: "init", incarnation: -1 }), CodecError);
  assert.throws(() => encode({ type: "ack", seq: 2 ** 32 }), CodecError);
  assert.throws(
    () => encode({ type: "alive", address: "x".repeat(300) + ":1", incarnation: 0 }),
    CodecError,
  );
  assert.throws(
    () => encode({ type: "gosp", origin: "a:1", id: 1, hops: 0, payload: new Uint8Array(70_000) }),
    CodecError,
  );
});
