import assert from "node:assert/strict";
import { generateKey, Keyring, parseKey, SEAL_OVERHEAD } from "../src/net/keyring.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const fixedKey = (size: number, fill: number): string => {
  let s = "";
  for (let i = 0; i < size; i++) s += String.fromCharCode((fill + i) & 0xff);
  return btoa(s);
};

Deno.test("parseKey accepts base64 of 16, 24 and 32 bytes", () => {
  for (const size of [16, 24, 32]) {
    const key = fixedKey(size, 7);
    const bytes = parseKey(key);
    assert.equal(bytes.length, size);
    assert.equal(bytes[0], 7);
    assert.equal(bytes[size - 1], 7 + size - 1);
  }
});

Deno.test("parseKey throws a one-line TypeError for malformed keys", () => {
  const cases: [string, RegExp][] = [
    ["", /\(got 0\)$/],
    [btoa("0123456789"), /^key must be base64 of 16, 24 or 32 bytes \(got 10\)$/],
    [fixedKey(15, 0), /\(got 15\)$/],
    [fixedKey(33, 0), /\(got 33\)$/],
    [fixedKey(64, 0), /\(got 64\)$/],
    ["not base64 at all!!", /not valid base64/],
    [fixedKey(16, 0).replace(/=+$/, ""), /not valid base64/], // padding missing
    [` ${fixedKey(16, 0)}`, /not valid base64/], // whitespace
    [`${fixedKey(16, 0)}\n`, /not valid base64/],
    [fixedKey(32, 0).replace(/.$/, "_"), /not valid base64/], // base64url alphabet
    ["AAECAwQFBgcICQoLDA0ODx==", /not canonical base64/], // stray bits in the last char
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseKey(input), (e: unknown) => {
      assert.ok(e instanceof TypeError, `${JSON.stringify(input)}: ${e}`);
      assert.match(e.message, message);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("generateKey makes distinct random keys of the asked size", () => {
  assert.equal(parseKey(generateKey()).length, 32);
  assert.equal(parseKey(generateKey(16)).length, 16);
  assert.equal(parseKey(generateKey(24)).length, 24);
  assert.notEqual(generateKey(), generateKey());
  assert.throws(() => generateKey(20), RangeError);
});

Deno.test("Keyring.create validates its keys", async () => {
  await assert.rejects(Keyring.create([]), TypeError);
  await assert.rejects(Keyring.create([generateKey(), "bogus"]), TypeError);
  await assert.rejects(Keyring.create([new Uint8Array(10)]), /got 10/);
  const a = generateKey(), b = generateKey();
  const ring = await Keyring.create([a, parseKey(b), a, b]);
  assert.deepEqual(ring.list(), [a, b]);
  assert.equal(ring.primary, a);
});

Deno.test("seal/open round trip with 128, 192 and 256-bit keys", async () => {
  for (const size of [16, 24, 32]) {
    const ring = await Keyring.create([generateKey(size)]);
    for (const length of [0, 1, 100, 1400, 65_000]) {
      const plain = crypto.getRandomValues(new Uint8Array(length));
      const sealed = await ring.seal(plain, "");
      assert.equal(sealed.length, length + SEAL_OVERHEAD);
      assert.equal(sealed[0], 0x01);
      assert.deepEqual(await ring.open(sealed, ""), plain);
    }
  }
});

Deno.test("a key given as bytes seals like the same key in base64", async () => {
  const key = generateKey(24);
  const fromText = await Keyring.create([key]);
  const fromBytes = await Keyring.create([parseKey(key)]);
  const sealed = await fromBytes.seal(text("same key"), "x");
  assert.deepEqual(await fromText.open(sealed, "x"), text("same key"));
});

Deno.test("a wrong key does not open", async () => {
  const ring = await Keyring.create([generateKey()]);
  const other = await Keyring.create([generateKey()]);
  const sealed = await ring.seal(text("secret"), "");
  assert.equal(await other.open(sealed, ""), undefined);
  // Same bytes, different AES variant.
  const short = await Keyring.create([generateKey(16)]);
  assert.equal(await short.open(await ring.seal(text("x"), ""), ""), undefined);
});

Deno.test("tampering with any byte is rejected", async () => {
  const ring = await Keyring.create([generateKey()]);
  const plain = text("the member table, signed and sealed");
  const sealed = await ring.seal(plain, "lbl");
  for (let i = 0; i < sealed.length; i++) {
    for (const flip of [0x01, 0x80]) {
      const bad = sealed.slice();
      bad[i] ^= flip;
      assert.equal(await ring.open(bad, "lbl"), undefined, `byte ${i} ^ ${flip}`);
    }
  }
  // Truncated or extended.
  assert.equal(await ring.open(sealed.subarray(0, sealed.length - 1), "lbl"), undefined);
  const longer = new Uint8Array(sealed.length + 1);
  longer.set(sealed);
  assert.equal(await ring.open(longer, "lbl"), undefined);
  // The original still opens.
  assert.deepEqual(await ring.open(sealed, "lbl"), plain);
});

Deno.test("a wrong label does not open (label is additional data)", async () => {
  const ring = await Keyring.create([generateKey()]);
  const sealed = await ring.seal(text("hello"), "prod");
  assert.deepEqual(await ring.open(sealed, "prod"), text("hello"));
  assert.equal(await ring.open(sealed, "staging"), undefined);
  assert.equal(await ring.open(sealed, ""), undefined);
  assert.equal(await ring.open(sealed, "prod "), undefined);
  const unlabelled = await ring.seal(text("hello"), "");
  assert.equal(await ring.open(unlabelled, "prod"), undefined);
  assert.deepEqual(await ring.open(unlabelled, ""), text("hello"));
  // Non-ASCII labels are bound as UTF-8.
  const uni = await ring.seal(text("x"), "clustér");
  assert.deepEqual(await ring.open(uni, "clustér"), text("x"));
  assert.equal(await ring.open(uni, "cluster"), undefined);
});

Deno.test("every seal uses a fresh nonce", async () => {
  const ring = await Keyring.create([generateKey()]);
  const plain = text("same plaintext");
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const sealed = await ring.seal(plain, "");
    seen.add(Array.from(sealed.subarray(1, 13)).join(","));
    if (i === 0) continue;
    assert.notDeepEqual(sealed, await ring.seal(plain, ""));
  }
  assert.equal(seen.size, 100);
});

Deno.test("open never throws for bad input", async () => {
  const ring = await Keyring.create([generateKey()]);
  assert.equal(await ring.open(new Uint8Array(0), ""), undefined);
  assert.equal(await ring.open(new Uint8Array(28).fill(1), ""), undefined);
  assert.equal(await ring.open(new Uint8Array(29).fill(1), ""), undefined);
  assert.equal(await ring.open(new Uint8Array(100), ""), undefined); // version 0
  const sealed = await ring.seal(text("v"), "");
  sealed[0] = 0x02; // a future version
  assert.equal(await ring.open(sealed, ""), undefined);
  // A native frame in the clear.
  assert.equal(await ring.open(new Uint8Array([0xd7, 1, 6, 0, 0, 0, 1]), ""), undefined);
  // Bytes on a SharedArrayBuffer are copied, not rejected.
  const good = await ring.seal(text("shared"), "");
  const shared = new Uint8Array(new SharedArrayBuffer(good.length));
  shared.set(good);
  assert.deepEqual(await ring.open(shared, ""), text("shared"));
  // A subarray with an offset into a larger buffer.
  const padded = new Uint8Array(good.length + 10);
  padded.set(good, 5);
  assert.deepEqual(await ring.open(padded.subarray(5, 5 + good.length), ""), text("shared"));
});

Deno.test("rotation: install, use, remove", async () => {
  const oldKey = generateKey(), newKey = generateKey();
  const ring = await Keyring.create([oldKey]);
  const peer = await Keyring.create([oldKey]); // a node that has not rotated yet
  const byOld = await ring.seal(text("sealed by old"), "");

  await ring.install(newKey);
  await ring.install(newKey); // idempotent
  assert.deepEqual(ring.list(), [oldKey, newKey]);
  assert.equal(ring.primary, oldKey);
  // Installed keys open but do not seal: the peer can still read us.
  assert.deepEqual(await peer.open(await ring.seal(text("a"), ""), ""), text("a"));

  ring.use(newKey);
  assert.equal(ring.primary, newKey);
  assert.deepEqual(ring.list(), [newKey, oldKey]);
  // Sealed by the old primary, still opens after `use` and before `remove`.
  assert.deepEqual(await ring.open(byOld, ""), text("sealed by old"));
  const byNew = await ring.seal(text("sealed by new"), "");
  assert.equal(await peer.open(byNew, ""), undefined);
  assert.deepEqual(await ring.open(byNew, ""), text("sealed by new"));

  assert.throws(() => ring.remove(newKey), /primary/);
  ring.remove(oldKey);
  assert.deepEqual(ring.list(), [newKey]);
  assert.equal(await ring.open(byOld, ""), undefined);
  assert.deepEqual(await ring.open(byNew, ""), text("sealed by new"));

  assert.throws(() => ring.remove(oldKey), /not installed/);
  assert.throws(() => ring.use(oldKey), /not installed/);
  assert.throws(() => ring.use("bogus"), TypeError);
  await assert.rejects(ring.install("bogus"), TypeError);
});

Deno.test("keys are compared by bytes", async () => {
  const key = generateKey(16);
  const other = generateKey(16);
  const ring = await Keyring.create([key]);
  await ring.install(parseKey(other));
  assert.deepEqual(ring.list(), [key, other]);
  ring.use(parseKey(other));
  assert.equal(ring.primary, other);
  ring.remove(parseKey(key));
  assert.deepEqual(ring.list(), [other]);
});

Deno.test("the keyring keeps its own copy of key bytes", async () => {
  const bytes = parseKey(generateKey());
  const original = btoa(String.fromCharCode(...bytes));
  const ring = await Keyring.create([bytes]);
  bytes.fill(0);
  assert.equal(ring.primary, original);
});

Deno.test("an open that is in flight during remove still completes", async () => {
  const a = generateKey(), b = generateKey();
  const ring = await Keyring.create([a, b]);
  const sealer = await Keyring.create([b]);
  const sealed = await sealer.seal(text("in flight"), "");
  const opening = ring.open(sealed, "");
  ring.remove(b);
  assert.deepEqual(await opening, text("in flight"));
  assert.equal(await ring.open(sealed, ""), undefined);
});
