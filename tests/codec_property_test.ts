/** Property tests of the native codec (fast-check). */

import assert from "node:assert/strict";
// Named here, not in deno.json: an entry in the import map is installed for every user of the
// package, and fast-check is for these tests only (tests/dependencies_test.ts).
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@^4.10.2";
import {
  CodecError,
  decode,
  encode,
  type MemberRecord,
  type Message,
  type SingleMessage,
} from "../mod.ts";

const utf8 = new TextEncoder();
const NUM_RUNS = 2000;

/** A host part: IPv4, bracketed IPv6, a domain, or any printable Unicode without spaces. */
const host: fc.Arbitrary<string> = fc.oneof(
  fc.ipV4(),
  fc.ipV6().map((ip) => `[${ip}]`),
  fc.domain(),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }).filter((s) =>
    [...s].every((c) => c.charCodeAt(0) > 0x20 && c.charCodeAt(0) !== 0x7f) &&
    !/\s/u.test(s)
  ),
);

/** `host:port`, at most 255 bytes of UTF-8 (what a one-byte length can carry). */
const address: fc.Arbitrary<string> = fc
  .tuple(host, fc.integer({ min: 0, max: 65535 }))
  .map(([h, p]) => `${h}:${p}`)
  .filter((a) => utf8.encode(a).length <= 255);

const u32 = fc.integer({ min: 0, max: 0xffffffff });

const record: fc.Arbitrary<MemberRecord> = fc.record({
  address,
  state: fc.constantFrom("alive", "suspect", "dead", "left"),
  incarnation: u32,
});

const records = fc.array(record, { maxLength: 12 });
/** A tag key: 1 to 255 bytes of UTF-8 (at most 63 characters of up to 4 bytes). */
const tagKey = fc.string({ minLength: 1, maxLength: 63 }).filter((k) => k.length > 0);
const refs = fc.array(fc.record({ origin: address, id: u32 }), { maxLength: 12 });

/** Every single message kind of src/wire/message.ts. */
const single: fc.Arbitrary<SingleMessage> = fc.oneof(
  fc.record({ type: fc.constant("init"), incarnation: u32 }),
  fc.record({ type: fc.constant("info"), members: records }),
  fc.record({ type: fc.constant("conn"), incarnation: u32 }),
  fc.record({
    type: fc.constant("gosp"),
    origin: address,
    id: u32,
    hops: fc.integer({ min: 0, max: 255 }),
    payload: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({ type: fc.constant("ping"), seq: u32, target: address }),
  fc.record({ type: fc.constant("ack"), seq: u32 }),
  fc.record({ type: fc.constant("ping-req"), seq: u32, target: address }),
  fc.record({ type: fc.constant("nack"), seq: u32 }),
  fc.record({ type: fc.constant("alive"), address, incarnation: u32 }),
  fc.record({ type: fc.constant("suspect"), address, incarnation: u32, from: address }),
  fc.record({ type: fc.constant("dead"), address, incarnation: u32, from: address }),
  fc.record({ type: fc.constant("leave"), address, incarnation: u32 }),
  fc.record({ type: fc.constant("sync"), reply: fc.boolean(), members: records }),
  fc.record({ type: fc.constantFrom("ihave", "iwant"), messages: refs }),
  fc.record({ type: fc.constant("graft"), origin: address, ids: fc.array(u32, { maxLength: 12 }) }),
  fc.record({ type: fc.constant("prune"), origin: address }),
  fc.record({
    type: fc.constant("tags"),
    owner: address,
    generation: fc.maxSafeNat(),
    since: u32,
    to: u32,
    reset: fc.boolean(),
    entries: fc.array(
      fc.oneof(
        fc.record({ key: tagKey, version: u32 }),
        fc.record({ key: tagKey, version: u32, value: fc.string({ maxLength: 200 }) }),
      ),
      { maxLength: 8 },
    ),
  }),
  fc.record({
    type: fc.constant("digest"),
    reply: fc.boolean(),
    full: fc.boolean(),
    members: u32,
    membersHash: u32,
    tagsHash: u32,
    after: fc.oneof(fc.constant(""), address),
    through: fc.oneof(fc.constant(""), address),
    entries: fc.array(
      fc.record({ owner: address, generation: fc.maxSafeNat(), version: u32 }),
      { maxLength: 8 },
    ),
  }),
) as fc.Arbitrary<SingleMessage>;

/** Any message: a single one, or a batch of 2 to 6 (a batch of one is sent as the message itself). */
const message: fc.Arbitrary<Message> = fc.oneof(
  { arbitrary: single, weight: 3 },
  {
    arbitrary: fc.array(single, { minLength: 2, maxLength: 6 }).map((messages) => ({
      type: "batch" as const,
      messages,
    })),
    weight: 1,
  },
);

/** A deep copy with ordinary prototypes (fast-check may make null-prototype objects). */
function plain<T>(v: T): T {
  if (v instanceof Uint8Array || v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(plain) as T;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = plain(x);
  return out as T;
}

/** A batch of one means its message. */
function normal(m: Message): Message {
  return m.type === "batch" && m.messages.length === 1 ? m.messages[0] : m;
}

/** Decodes, asserting that only CodecError is ever thrown; undefined when rejected. */
function tryDecode(bytes: Uint8Array): Message | undefined {
  try {
    return decode(bytes);
  } catch (e) {
    assert.ok(e instanceof CodecError, `decode threw ${String(e)}, not a CodecError`);
    return undefined;
  }
}

Deno.test("codec property: every valid message round-trips through encode and decode", () => {
  fc.assert(
    fc.property(message, (m) => {
      const bytes = encode(m).slice();
      assert.deepEqual(decode(bytes), plain(m));
    }),
    { numRuns: NUM_RUNS },
  );
});

/** Raw bytes, and bytes behind a valid header and kind (so that bodies are reached). */
const framed = fc.tuple(fc.integer({ min: 0, max: 16 }), fc.uint8Array({ maxLength: 200 }))
  .map(([kind, body]) => Uint8Array.of(0xd7, 1, kind, ...body));

Deno.test("codec property: every arbitrary byte string decodes to a valid message or raises CodecError", () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), framed), (bytes) => {
      const m = tryDecode(bytes);
      if (m) assert.deepEqual(normal(decode(encode(m).slice())), normal(m));
    }),
    { numRuns: NUM_RUNS * 5 },
  );
});

Deno.test("codec property: mutations of valid frames decode to a valid message or raise CodecError", () => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("flip"), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant("set"), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant("cut"), at: fc.nat() }),
    fc.record({
      kind: fc.constant("append"),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
  );
  fc.assert(
    fc.property(message, fc.array(mutation, { minLength: 1, maxLength: 4 }), (m, mutations) => {
      let bytes = encode(m).slice();
      for (const mu of mutations) {
        if (mu.kind === "append") {
          const next = new Uint8Array(bytes.length + mu.bytes.length);
          next.set(bytes);
          next.set(mu.bytes, bytes.length);
          bytes = next;
        } else if (bytes.length > 0) {
          const at = mu.at % bytes.length;
          if (mu.kind === "flip") bytes[at] ^= 1 << mu.bit;
          else if (mu.kind === "set") bytes[at] = mu.value;
          else bytes = bytes.slice(0, at);
        }
      }
      const decoded = tryDecode(bytes);
      if (decoded) assert.deepEqual(normal(decode(encode(decoded).slice())), normal(decoded));
    }),
    { numRuns: NUM_RUNS * 2 },
  );
});
