/**
 * Codec speed: our native codec against JSON (binary as base64, as in the
 * gossipsub harness) and msgpackr (standard maps, pure JS as on Deno) on the
 * same messages. One bench iteration encodes, decodes or round-trips a whole
 * set (bench/codec_sets.ts); msgpackr is the baseline of each group.
 *
 * Run: `tools/deno/node_modules/.bin/deno bench --allow-all bench/codec_bench.ts`
 * (`deno task bench` runs it with `--json` and reports the ratios.)
 */

import { Buffer } from "node:buffer";
// Named here, not in deno.json: an entry in the import map is installed for every user of the
// package, and msgpackr is the benchmark's baseline only (tests/dependencies_test.ts).
// deno-lint-ignore no-import-prefix
import { Packr } from "npm:msgpackr@^2.1.3";
import { decode, encode } from "../src/wire/codec.ts";
import type { Message } from "../src/wire/message.ts";
import { makeSets } from "./codec_sets.ts";

interface Codec {
  name: string;
  encode(m: Message): Uint8Array;
  decode(b: Uint8Array): unknown;
}

const te = new TextEncoder();
const td = new TextDecoder();
const b64 = (u8: Uint8Array) =>
  Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString("base64");
const unb64 = (s: string) => {
  const b = Buffer.from(s, "base64");
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};
const json: Codec = {
  name: "json",
  encode(m) {
    if (m.type === "gosp") return te.encode(JSON.stringify({ ...m, payload: b64(m.payload) }));
    return te.encode(JSON.stringify(m));
  },
  decode(bytes) {
    const o = JSON.parse(td.decode(bytes));
    if (o.type === "gosp") o.payload = unb64(o.payload);
    return o;
  },
};
const packr = new Packr({ useRecords: false });
const msgpackr: Codec = {
  name: "msgpackr",
  encode: (m) => packr.pack(m),
  decode: (b) => packr.unpack(b),
};
const native: Codec = { name: "peer", encode, decode };
export const CODECS: Codec[] = [msgpackr, native, json];

const sets = makeSets(7);
let sink = 0;

for (const [setName, msgs] of Object.entries(sets)) {
  for (const codec of CODECS) {
    const encoded = msgs.map((m) => codec.encode(m));
    const baseline = codec.name === "msgpackr";
    Deno.bench(`${setName} encode ${codec.name}`, { group: `${setName} encode`, baseline }, () => {
      for (let i = 0; i < msgs.length; i++) sink += codec.encode(msgs[i]).length;
    });
    Deno.bench(`${setName} decode ${codec.name}`, { group: `${setName} decode`, baseline }, () => {
      for (let i = 0; i < encoded.length; i++) {
        sink += (codec.decode(encoded[i]) as Message).type.length;
      }
    });
    Deno.bench(
      `${setName} roundtrip ${codec.name}`,
      { group: `${setName} roundtrip`, baseline },
      () => {
        for (let i = 0; i < msgs.length; i++) {
          sink += (codec.decode(codec.encode(msgs[i])) as Message).type.length;
        }
      },
    );
  }
}

/** Encoded bytes per message of each codec on each set (for the report). */
export function sizes(): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [setName, msgs] of Object.entries(sets)) {
    out[setName] = {};
    for (const c of CODECS) {
      let n = 0;
      for (const m of msgs) n += c.encode(m).length;
      out[setName][c.name] = Math.round((n / msgs.length) * 10) / 10;
    }
  }
  return out;
}

addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
