import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { CodecError, decode, encode, MAGIC } from "../src/wire/codec.ts";
import { decodeSeed, encodeSeed, isSeedFrame, type SeedMessage } from "../src/wire/seed.ts";
import { detectWire } from "../src/wire/detect.ts";
import { ascii } from "./_seed.ts";

function bytes(...parts: (string | number[])[]): Uint8Array {
  const all: number[] = [];
  for (const p of parts) all.push(...(typeof p === "string" ? ascii(p) : p));
  return new Uint8Array(all);
}

function rejects(input: Uint8Array, pattern?: RegExp): void {
  throws(() => decodeSeed(input), (e: unknown) => {
    ok(e instanceof CodecError, `expected CodecError, got ${e}`);
    if (pattern) ok(pattern.test(e.message), `message "${e.message}" does not match ${pattern}`);
    return true;
  });
}

function encodeRejects(m: SeedMessage, maxBytes?: number): void {
  throws(() => encodeSeed(m, maxBytes), CodecError);
}

// Byte-exact fixtures, both directions.
const FIXTURES: [string, SeedMessage, number[]][] = [
  ["INIT", { type: "init" }, [0x49, 0x4e, 0x49, 0x54]],
  ["CONN", { type: "conn" }, [0x43, 0x4f, 0x4e, 0x4e]],
  ["empty INFO", { type: "info", peers: [] }, [0x49, 0x4e, 0x46, 0x4f]],
  [
    "INFO with one peer",
    { type: "info", peers: ["10.0.0.1:80"] },
    [0x49, 0x4e, 0x46, 0x4f, 0x31, 0x30, 0x2e, 0x30, 0x2e, 0x30, 0x2e, 0x31, 0x3a, 0x38, 0x30],
  ],
  [
    "INFO with two peers",
    { type: "info", peers: ["127.0.0.1:8081", "127.0.0.1:8082"] },
    [
      ...[0x49, 0x4e, 0x46, 0x4f], // INFO
      ...[0x31, 0x32, 0x37, 0x2e, 0x30, 0x2e, 0x30, 0x2e, 0x31, 0x3a, 0x38, 0x30, 0x38, 0x31],
      0x20,
      ...[0x31, 0x32, 0x37, 0x2e, 0x30, 0x2e, 0x30, 0x2e, 0x31, 0x3a, 0x38, 0x30, 0x38, 0x32],
    ],
  ],
  [
    "INFO with a host name",
    { type: "info", peers: ["node-1.local:65535"] },
    Array.from(ascii("INFOnode-1.local:65535")),
  ],
  [
    "GOSP Hello!",
    { type: "gosp", text: "Hello!" },
    [0x47, 0x4f, 0x53, 0x50, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21],
  ],
  ["empty GOSP", { type: "gosp", text: "" }, [0x47, 0x4f, 0x53, 0x50]],
  [
    "GOSP with UTF-8",
    { type: "gosp", text: "h\u00e9 \u{1f600}" },
    [0x47, 0x4f, 0x53, 0x50, 0x68, 0xc3, 0xa9, 0x20, 0xf0, 0x9f, 0x98, 0x80],
  ],
  [
    "GOSP keeps a leading space and inner NUL",
    { type: "gosp", text: " a\0b\r" },
    [0x47, 0x4f, 0x53, 0x50, 0x20, 0x61, 0x00, 0x62, 0x0d],
  ],
];

for (const [name, message, expected] of FIXTURES) {
  Deno.test(`seed fixture encodes exactly: ${name}`, () => {
    deepStrictEqual(encodeSeed(message), new Uint8Array(expected));
  });
  Deno.test(`seed fixture decodes exactly: ${name}`, () => {
    deepStrictEqual(decodeSeed(new Uint8Array(expected)), message);
  });
}

Deno.test("seed decode strips trailing NULs and one newline", () => {
  deepStrictEqual(decodeSeed(bytes("INIT", [0, 0, 0])), { type: "init" });
  deepStrictEqual(decodeSeed(bytes("CONN\n")), { type: "conn" });
  deepStrictEqual(decodeSeed(bytes("CONN\r\n", [0])), { type: "conn" });
  deepStrictEqual(decodeSeed(bytes("GOSPHello!", [0])), { type: "gosp", text: "Hello!" });
  deepStrictEqual(decodeSeed(bytes("GOSPHello!\n")), { type: "gosp", text: "Hello!" });
  deepStrictEqual(decodeSeed(bytes("GOSPHello!\r\n", [0, 0, 0, 0])), {
    type: "gosp",
    text: "Hello!",
  });
  // Only one newline is stripped; what is left belongs to the text.
  deepStrictEqual(decodeSeed(bytes("GOSPa\n\n")), { type: "gosp", text: "a\n" });
  deepStrictEqual(decodeSeed(bytes("INFO127.0.0.1:8081", [0, 0])), {
    type: "info",
    peers: ["127.0.0.1:8081"],
  });
  deepStrictEqual(decodeSeed(bytes("INFO\n", [0])), { type: "info", peers: [] });
  // A 1024-byte fixed buffer, as a C peer would send it.
  const buffer = new Uint8Array(1024);
  buffer.set(ascii("GOSPHello!"));
  deepStrictEqual(decodeSeed(buffer), { type: "gosp", text: "Hello!" });
});

Deno.test("seed decode tolerates extra spaces in INFO", () => {
  deepStrictEqual(decodeSeed(bytes("INFO127.0.0.1:8081   127.0.0.1:8082")), {
    type: "info",
    peers: ["127.0.0.1:8081", "127.0.0.1:8082"],
  });
  deepStrictEqual(decodeSeed(bytes("INFO 127.0.0.1:8081 ")), {
    type: "info",
    peers: ["127.0.0.1:8081"],
  });
  deepStrictEqual(decodeSeed(bytes("INFO   ")), { type: "info", peers: [] });
});

Deno.test("seed decode rejects short input and unknown tags", () => {
  rejects(new Uint8Array(0), /shorter/);
  rejects(bytes("INI"), /shorter/);
  rejects(bytes("I"), /shorter/);
  rejects(bytes("HELO"), /unknown seed tag/);
  rejects(bytes("init"), /unknown seed tag/);
  rejects(bytes("INFX127.0.0.1:80"), /unknown seed tag/);
  rejects(bytes(" INIT"), /unknown seed tag/);
  rejects(bytes([0, 0, 0, 0]), /unknown seed tag/);
  rejects(encode({ type: "init", incarnation: 0 }), /unknown seed tag/);
});

Deno.test("seed decode rejects a body after INIT or CONN", () => {
  rejects(bytes("INITx"), /INIT has a 1-byte body/);
  rejects(bytes("INIT "), /body/);
  rejects(bytes("CONN127.0.0.1:8080"), /CONN has/);
  rejects(bytes("INIT\n\n"), /body/);
  rejects(bytes("INIT", [0], "x"), /body/);
  rejects(bytes("CONN\r"), /body/);
});

Deno.test("seed decode rejects bad INFO addresses", () => {
  for (
    const bad of [
      "127.0.0.1",
      "127.0.0.1:",
      ":8080",
      "127.0.0.1:0",
      "127.0.0.1:65536",
      "127.0.0.1:080",
      "127.0.0.1:80a",
      "127.0.0.1:-1",
      "256.0.0.1:80",
      "1.2.3:80",
      "1.2.3.4.5:80",
      "01.2.3.4:80",
      "a..b:80",
      ".a:80",
      "host\t1:80",
      "[::1]:80",
      "::1:80",
      "h\u00e9te:80",
      "127.0.0.1:8080,127.0.0.1:8081",
    ]
  ) {
    rejects(new TextEncoder().encode(`INFO${bad}`), /INFO address/);
    rejects(new TextEncoder().encode(`INFO127.0.0.1:8081 ${bad}`), /INFO address/);
  }
  rejects(bytes("INFO127.0.0.1:8081\t127.0.0.1:8082"), /INFO address/);
  rejects(bytes("INFO127.0.0.1:8081", [0], "x"), /INFO address/);
  rejects(bytes("INFO", [0xff]), /not valid UTF-8/);
});

Deno.test("seed decode rejects invalid UTF-8 in GOSP", () => {
  rejects(bytes("GOSP", [0xff]), /GOSP text is not valid UTF-8/);
  rejects(bytes("GOSP", [0xc3]), /not valid UTF-8/); // truncated sequence
  rejects(bytes("GOSP", [0xc0, 0x80]), /not valid UTF-8/); // overlong NUL
  rejects(bytes("GOSP", [0xed, 0xa0, 0x80]), /not valid UTF-8/); // surrogate
  rejects(bytes("GOSPok", [0x80], "\n"), /not valid UTF-8/);
});

Deno.test("seed decode keeps a byte-order mark in GOSP text", () => {
  deepStrictEqual(decodeSeed(bytes("GOSP", [0xef, 0xbb, 0xbf], "x")), {
    type: "gosp",
    text: "\ufeffx",
  });
});

Deno.test("seed decode rejects non-Uint8Array input with CodecError", () => {
  rejects(undefined as unknown as Uint8Array);
  rejects("INIT" as unknown as Uint8Array);
  rejects([0x49, 0x4e, 0x49, 0x54] as unknown as Uint8Array);
});

Deno.test("seed encode bounds INFO by maxBytes", () => {
  const peers = ["127.0.0.1:8081", "127.0.0.1:8082", "127.0.0.1:8083"];
  // 4 + 14 = 18; + 1 + 14 = 33; + 1 + 14 = 48.
  deepStrictEqual(encodeSeed({ type: "info", peers }, 48), bytes(`INFO${peers.join(" ")}`));
  deepStrictEqual(encodeSeed({ type: "info", peers }, 47), bytes(`INFO${peers[0]} ${peers[1]}`));
  deepStrictEqual(encodeSeed({ type: "info", peers }, 33), bytes(`INFO${peers[0]} ${peers[1]}`));
  deepStrictEqual(encodeSeed({ type: "info", peers }, 32), bytes(`INFO${peers[0]}`));
  deepStrictEqual(encodeSeed({ type: "info", peers }, 18), bytes(`INFO${peers[0]}`));
  deepStrictEqual(encodeSeed({ type: "info", peers }, 17), bytes("INFO"));
  deepStrictEqual(encodeSeed({ type: "info", peers }, 4), bytes("INFO"));
  // Peers after the first that does not fit are left out, even short ones.
  deepStrictEqual(
    encodeSeed({ type: "info", peers: ["127.0.0.1:8081", "a:1"] }, 17),
    bytes("INFO"),
  );
  encodeRejects({ type: "info", peers }, 3);
  encodeRejects({ type: "info", peers }, Number.NaN);
});

Deno.test("seed encode's default bound is 1400 bytes", () => {
  const peers: string[] = [];
  for (let i = 0; i < 200; i++) peers.push(`10.0.${i >> 8}.${i & 255}:${10000 + i}`);
  const out = encodeSeed({ type: "info", peers });
  ok(out.length <= 1400, `${out.length} bytes`);
  ok(out.length > 1400 - 20, `${out.length} bytes`);
  const back = decodeSeed(out);
  strictEqual(back.type, "info");
  if (back.type !== "info") return;
  deepStrictEqual(back.peers, peers.slice(0, back.peers.length));
  // An explicit larger bound takes everything.
  deepStrictEqual(decodeSeed(encodeSeed({ type: "info", peers }, 65535)), { type: "info", peers });
});

Deno.test("seed encode ignores maxBytes for frames other than INFO", () => {
  deepStrictEqual(encodeSeed({ type: "gosp", text: "Hello!" }, 4), bytes("GOSPHello!"));
  deepStrictEqual(encodeSeed({ type: "init" }, 0), bytes("INIT"));
});

Deno.test("seed encode rejects what the format cannot carry", () => {
  encodeRejects({ type: "info", peers: ["127.0.0.1"] });
  encodeRejects({ type: "info", peers: ["127.0.0.1:8081 127.0.0.1:8082"] });
  encodeRejects({ type: "info", peers: ["[::1]:80"] });
  encodeRejects({ type: "info", peers: ["127.0.0.1:0"] });
  // A bad address is rejected even past the bound.
  encodeRejects({ type: "info", peers: ["127.0.0.1:8081", "bad"] }, 4);
  encodeRejects({ type: "gosp", text: "a\n" });
  encodeRejects({ type: "gosp", text: "a\0" });
  encodeRejects({ type: "gosp", text: "\ud800" });
  encodeRejects({ type: "ping" } as unknown as SeedMessage);
  encodeRejects(null as unknown as SeedMessage);
});

Deno.test("isSeedFrame looks at the four tags only", () => {
  for (const tag of ["INIT", "INFO", "CONN", "GOSP"]) {
    strictEqual(isSeedFrame(bytes(tag)), true, tag);
    strictEqual(isSeedFrame(bytes(tag, "anything")), true, tag);
  }
  strictEqual(isSeedFrame(bytes("INITx")), true); // a tag, though not a valid frame
  strictEqual(isSeedFrame(bytes("INI")), false);
  strictEqual(isSeedFrame(new Uint8Array(0)), false);
  strictEqual(isSeedFrame(bytes("INIX")), false);
  strictEqual(isSeedFrame(bytes("GOSS")), false);
  strictEqual(isSeedFrame(bytes("gosp")), false);
  strictEqual(isSeedFrame(bytes("PING")), false);
  strictEqual(isSeedFrame(encode({ type: "ack", seq: 1 })), false);
});

Deno.test("detectWire tells native, seed and garbage apart", () => {
  const natives = [
    encode({ type: "init", incarnation: 0 }),
    encode({ type: "info", members: [{ address: "127.0.0.1:1", state: "alive", incarnation: 2 }] }),
    encode({ type: "conn", incarnation: 5 }),
    encode({
      type: "gosp",
      origin: "127.0.0.1:1",
      id: 1,
      hops: 0,
      payload: new Uint8Array([0x49, 0x4e, 0x49, 0x54]),
    }),
    encode({ type: "ack", seq: 9 }),
    new Uint8Array([MAGIC]), // magic alone: native-looking, though undecodable
  ];
  for (const n of natives) strictEqual(detectWire(n), "native");
  for (const [, m] of FIXTURES) strictEqual(detectWire(encodeSeed(m)), "seed");
  strictEqual(detectWire(bytes("CONN", [0, 0])), "seed");
  for (
    const garbage of [
      new Uint8Array(0),
      new Uint8Array([0]),
      bytes("IN"),
      bytes("HELLO"),
      bytes(" INIT"),
      new Uint8Array([0xd6, 0x01, 0x01]),
      new Uint8Array([0x01, MAGIC]),
    ]
  ) {
    strictEqual(detectWire(garbage), "unknown");
  }
});

Deno.test("seed and native codecs reject each other's frames", () => {
  for (const [, m] of FIXTURES) throws(() => decode(encodeSeed(m)), CodecError);
  rejects(encode({ type: "conn", incarnation: 1 }));
});

/** mulberry32: a tiny seeded PRNG, so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Bytes that reach the interesting parts of the parser.
const ALPHABET = ascii("0123456789.: :\0\n\rab-_x");
const TAG_LIST = ["INIT", "INFO", "CONN", "GOSP"];

Deno.test("seed decode of 10,000 random byte strings returns or throws CodecError", () => {
  const rand = prng(0x5eed);
  const int = (n: number) => Math.floor(rand() * n);
  const counts = { ok: 0, error: 0 };
  for (let i = 0; i < 10_000; i++) {
    const len = int(48);
    const input = new Uint8Array(len);
    const mode = int(4);
    for (let k = 0; k < len; k++) {
      input[k] = mode === 0 ? int(256) : ALPHABET[int(ALPHABET.length)];
      if (mode === 3 && rand() < 0.05) input[k] = int(256);
    }
    // Most inputs start with a real tag, to get past the first check.
    if (mode !== 0 && len >= 4) input.set(ascii(TAG_LIST[int(4)]));
    let result: SeedMessage;
    try {
      result = decodeSeed(input);
    } catch (e) {
      ok(e instanceof CodecError, `input ${Array.from(input)} threw ${e}`);
      counts.error++;
      continue;
    }
    counts.ok++;
    ok(isSeedFrame(input));
    strictEqual(detectWire(input), "seed");
    // Whatever decodes re-encodes (when it can) to something that decodes the same.
    let again: Uint8Array | undefined;
    try {
      again = encodeSeed(result, Infinity);
    } catch (e) {
      ok(e instanceof CodecError);
      // Only a GOSP whose text ends in a kept NUL or newline cannot be re-encoded.
      ok(result.type === "gosp" && /[\0\n]$/.test(result.text), `${JSON.stringify(result)}`);
    }
    if (again) deepStrictEqual(decodeSeed(again), result);
  }
  // The generator should exercise both outcomes.
  ok(counts.ok > 500, `only ${counts.ok} inputs decoded`);
  ok(counts.error > 500, `only ${counts.error} inputs were rejected`);
});

Deno.test("seed random messages round-trip exactly", () => {
  const rand = prng(42);
  const int = (n: number) => Math.floor(rand() * n);
  const randomAddress = (): string => {
    const port = 1 + int(65535);
    if (rand() < 0.7) return `${int(256)}.${int(256)}.${int(256)}.${int(256)}:${port}`;
    const labels: string[] = [];
    for (let n = 1 + int(3); n > 0; n--) {
      let label = "abcxyz"[int(6)];
      for (let k = int(8); k > 0; k--) label += "abcxyz019-_"[int(11)];
      labels.push(label);
    }
    return `${labels.join(".")}:${port}`;
  };
  for (let i = 0; i < 2_000; i++) {
    let m: SeedMessage;
    switch (int(4)) {
      case 0:
        m = { type: "init" };
        break;
      case 1:
        m = { type: "conn" };
        break;
      case 2:
        m = { type: "info", peers: Array.from({ length: int(20) }, randomAddress) };
        break;
      default: {
        let text = "";
        for (let k = int(30); k > 0; k--) text += String.fromCodePoint(int(0x800));
        if (/[\0\n]$/.test(text)) text += ".";
        m = { type: "gosp", text };
      }
    }
    const encoded = encodeSeed(m, 65535);
    deepStrictEqual(decodeSeed(encoded), m);
    // Original peers' padding does not change the result.
    const padded = new Uint8Array(encoded.length + 1 + int(8));
    padded.set(encoded);
    deepStrictEqual(decodeSeed(padded), m);
  }
});
