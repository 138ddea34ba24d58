/**
 * Per-datagram cost of the encryption layer.
 *
 * Run: `tools/deno/node_modules/.bin/deno bench --allow-all bench/crypto_bench.ts`
 *
 * The baseline in each group is copying the datagram (what a plaintext send
 * costs at least); the other rows are seal, open and seal+open with
 * AES-128/256-GCM, so the report gives the crypto's cost as a ratio.
 */

import { generateKey, Keyring } from "../src/net/keyring.ts";

const ring128 = await Keyring.create([generateKey(16)]);
const ring256 = await Keyring.create([generateKey(32)]);
// A keyring whose primary is not the key that sealed: open tries two keys.
const rotated = await Keyring.create([generateKey(32)]);
await rotated.install(ring256.primary);

for (const size of [64, 1400]) {
  const plain = crypto.getRandomValues(new Uint8Array(size));
  const sealed128 = await ring128.seal(plain, "");
  const sealed256 = await ring256.seal(plain, "prod");
  const group = `${size}-byte datagram`;

  Deno.bench(`copy ${size} B (baseline)`, { group, baseline: true }, () => {
    plain.slice();
  });
  Deno.bench(`seal AES-128 ${size} B`, { group }, async () => {
    await ring128.seal(plain, "");
  });
  Deno.bench(`open AES-128 ${size} B`, { group }, async () => {
    await ring128.open(sealed128, "");
  });
  Deno.bench(`seal AES-256 ${size} B`, { group }, async () => {
    await ring256.seal(plain, "prod");
  });
  Deno.bench(`open AES-256 ${size} B`, { group }, async () => {
    await ring256.open(sealed256, "prod");
  });
  Deno.bench(`seal+open AES-256 ${size} B`, { group }, async () => {
    await ring256.open(await ring256.seal(plain, "prod"), "prod");
  });
  Deno.bench(`open AES-256 ${size} B, second key`, { group }, async () => {
    await rotated.open(sealed256, "prod");
  });
}

// Throughput when many datagrams are in flight at once (as SecureTransport
// runs them): 100 seal+open pairs per iteration; divide by 100 per datagram.
const burst = crypto.getRandomValues(new Uint8Array(1400));
Deno.bench("seal+open AES-256 1400 B x100 concurrent", { group: "burst" }, async () => {
  await Promise.all(
    Array.from({ length: 100 }, async () => ring256.open(await ring256.seal(burst, "p"), "p")),
  );
});
