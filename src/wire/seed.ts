/**
 * The seed wire format: the plain-text datagrams of the original peer
 * program, for talking to (or at least recognising) original nodes.
 *
 * A frame is a four-byte ASCII tag followed directly by its body, with no
 * other framing:
 *
 * | Frame  | Bytes                                         | Sent by                             |
 * | ------ | --------------------------------------------- | ----------------------------------- |
 * | `INIT` | `INIT`                                        | a joining node, to its initial peer |
 * | `INFO` | `INFO` + `ip:port` addresses, space-separated | the initial peer (may be empty)     |
 * | `CONN` | `CONN`                                        | the new node, to each INFO peer     |
 * | `GOSP` | `GOSP` + the text as UTF-8                    | any node, e.g. `GOSPHello!`         |
 *
 * {@link encodeSeed} writes exact frames (no trailing NUL, no newline).
 * {@link decodeSeed} is tolerant in the ways original peers need, and strict
 * otherwise: the body starts right after the tag (no space is skipped);
 * trailing NUL bytes, then one trailing `"\n"` or `"\r\n"`, are stripped
 * before parsing; INFO may separate addresses by several spaces. It throws
 * {@link CodecError}, and nothing else, for bytes that are not a seed frame.
 *
 * Seed addresses are `host:port` where host is an IPv4 dotted quad (no
 * leading zeros in an octet) or a host name made of ASCII letters, digits,
 * `-`, `_` and dots (no empty label, at most 253 characters), and port is a
 * decimal number from 1 to 65535 without leading zeros. IPv6 is not part of
 * the seed format.
 *
 * Native frames start with a byte that is not ASCII (0xd7), so a datagram can
 * never be both; detect.ts tells them apart.
 *
 * @module
 */

import { CodecError } from "./error.ts";

/**
 * A message of the seed wire format.
 * - `init`: a joining node asks its initial peer to let it in.
 * - `info`: the initial peer's known peers, as `ip:port` addresses.
 * - `conn`: the new node announces itself to a peer from INFO.
 * - `gosp`: a gossiped text message.
 */
export type SeedMessage =
  | { type: "init" }
  | { type: "info"; peers: string[] }
  | { type: "conn" }
  | { type: "gosp"; text: string };

/** Bytes in a seed tag. */
const TAG_SIZE = 4;
/** Default bound, in bytes, of an encoded INFO frame. */
const DEFAULT_MAX_BYTES = 1400;

const TAGS = {
  init: [0x49, 0x4e, 0x49, 0x54], // "INIT"
  info: [0x49, 0x4e, 0x46, 0x4f], // "INFO"
  conn: [0x43, 0x4f, 0x4e, 0x4e], // "CONN"
  gosp: [0x47, 0x4f, 0x53, 0x50], // "GOSP"
} as const;

type SeedType = SeedMessage["type"];

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The type whose tag `bytes` starts with, or undefined. */
function tagOf(bytes: Uint8Array): SeedType | undefined {
  if (bytes.length < TAG_SIZE) return undefined;
  const b0 = bytes[0], b1 = bytes[1], b2 = bytes[2], b3 = bytes[3];
  if (b0 === 0x49 && b1 === 0x4e) { // "IN"
    if (b2 === 0x49 && b3 === 0x54) return "init";
    if (b2 === 0x46 && b3 === 0x4f) return "info";
    return undefined;
  }
  if (b0 === 0x43 && b1 === 0x4f && b2 === 0x4e && b3 === 0x4e) return "conn";
  if (b0 === 0x47 && b1 === 0x4f && b2 === 0x53 && b3 === 0x50) return "gosp";
  return undefined;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** A decimal number without leading zeros, in [min, max]. */
function isNumberIn(s: string, min: number, max: number, maxDigits: number): boolean {
  if (!isDigits(s) || s.length > maxDigits) return false;
  if (s.length > 1 && s.charCodeAt(0) === 0x30) return false;
  const n = Number(s);
  return n >= min && n <= max;
}

function isSeedHost(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  let numeric = true;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const digit = c >= 0x30 && c <= 0x39;
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (!digit && c !== 0x2e) numeric = false;
    if (!digit && !letter && c !== 0x2d && c !== 0x5f && c !== 0x2e) return false;
  }
  const labels = host.split(".");
  if (numeric) {
    return labels.length === 4 && labels.every((o) => isNumberIn(o, 0, 255, 3));
  }
  return labels.every((l) => l.length > 0);
}

/** True when `s` is a seed-format address (see the module documentation). */
function isSeedAddress(s: string): boolean {
  const colon = s.lastIndexOf(":");
  if (colon <= 0) return false;
  return isSeedHost(s.slice(0, colon)) && isNumberIn(s.slice(colon + 1), 1, 65535, 5);
}

function frame(type: SeedType, body: Uint8Array | undefined): Uint8Array {
  const out = new Uint8Array(TAG_SIZE + (body?.length ?? 0));
  out.set(TAGS[type]);
  if (body) out.set(body, TAG_SIZE);
  return out;
}

/**
 * Encodes a seed message as one datagram: its four-byte ASCII tag, then for
 * INFO the peers joined by single spaces, for GOSP the text as UTF-8. No
 * trailing NUL or newline is written.
 *
 * An INFO frame is bounded by `maxBytes` (default 1400, tag included): peers
 * are taken in order while the frame still fits, and the first peer that
 * would not fit, and every peer after it, is left out (all are still
 * validated). Decode the result to see which peers were sent. `maxBytes`
 * only bounds INFO; the other frames ignore it.
 *
 * Throws {@link CodecError} for a value the seed format cannot carry: an INFO
 * peer that is not a seed `ip:port` address, a GOSP text that is not
 * well-formed UTF-16 or that ends in a NUL or `"\n"` (which
 * {@link decodeSeed} would strip), an unknown type, or (for INFO) a `maxBytes` below 4.
 */
export function encodeSeed(m: SeedMessage, maxBytes: number = DEFAULT_MAX_BYTES): Uint8Array {
  switch (m?.type) {
    case "init":
    case "conn":
      return frame(m.type, undefined);
    case "gosp": {
      const text = m.text;
      if (typeof text !== "string" || !text.isWellFormed()) {
        throw new CodecError("GOSP text is not a well-formed string");
      }
      if (text.endsWith("\0") || text.endsWith("\n")) {
        throw new CodecError("GOSP text ends in NUL or newline, which decoding strips");
      }
      return frame("gosp", textEncoder.encode(text));
    }
    case "info": {
      if (!(maxBytes >= TAG_SIZE)) {
        throw new CodecError(`maxBytes ${maxBytes} cannot hold a four-byte tag`);
      }
      let body = "";
      let size = TAG_SIZE;
      let full = false;
      for (const peer of m.peers) {
        if (typeof peer !== "string" || !isSeedAddress(peer)) {
          throw new CodecError(`INFO peer "${peer}" is not a seed ip:port address`);
        }
        if (full) continue;
        // Seed addresses are ASCII: one byte per character.
        const add = (body === "" ? 0 : 1) + peer.length;
        if (size + add > maxBytes) {
          full = true;
          continue;
        }
        body = body === "" ? peer : `${body} ${peer}`;
        size += add;
      }
      return frame("info", textEncoder.encode(body));
    }
    default:
      throw new CodecError(
        `cannot encode seed message type "${(m as { type?: unknown } | null)?.type}"`,
      );
  }
}

/** End of `bytes` once trailing NULs, then one "\n" or "\r\n", are dropped. */
function trimmedEnd(bytes: Uint8Array): number {
  let end = bytes.length;
  while (end > TAG_SIZE && bytes[end - 1] === 0x00) end--;
  if (end > TAG_SIZE && bytes[end - 1] === 0x0a) {
    end--;
    if (end > TAG_SIZE && bytes[end - 1] === 0x0d) end--;
  }
  return end;
}

function utf8(bytes: Uint8Array, what: string): string {
  try {
    return textDecoder.decode(bytes);
  } catch {
    throw new CodecError(`${what} is not valid UTF-8`);
  }
}

/**
 * Decodes one seed-format datagram. The body starts right after the tag;
 * trailing NUL bytes, then one trailing `"\n"` or `"\r\n"`, are ignored.
 * INFO tolerates several spaces between addresses (an empty INFO is an empty
 * list); every address must be a seed `ip:port`. GOSP text must be valid
 * UTF-8 (NULs inside it are kept).
 *
 * Throws {@link CodecError}, and nothing else, when the bytes are not a seed
 * frame: shorter than a tag, an unknown tag, a body after INIT or CONN, a bad
 * INFO address, or invalid UTF-8.
 */
export function decodeSeed(bytes: Uint8Array): SeedMessage {
  try {
    return decodeSeedFrame(bytes);
  } catch (e) {
    if (e instanceof CodecError) throw e;
    throw new CodecError(
      `undecodable seed datagram: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

function decodeSeedFrame(bytes: Uint8Array): SeedMessage {
  if (!(bytes instanceof Uint8Array)) throw new CodecError("input is not a Uint8Array");
  if (bytes.length < TAG_SIZE) {
    throw new CodecError(`seed datagram of ${bytes.length} bytes is shorter than a tag`);
  }
  const type = tagOf(bytes);
  if (type === undefined) {
    const shown = Array.from(bytes.subarray(0, TAG_SIZE), (b) => b.toString(16).padStart(2, "0"));
    throw new CodecError(`unknown seed tag 0x${shown.join("")}`);
  }
  const body = bytes.subarray(TAG_SIZE, trimmedEnd(bytes));
  switch (type) {
    case "init":
    case "conn":
      if (body.length !== 0) {
        throw new CodecError(`${type.toUpperCase()} has a ${body.length}-byte body`);
      }
      return { type };
    case "gosp":
      return { type, text: utf8(body, "GOSP text") };
    case "info": {
      const peers: string[] = [];
      for (const token of utf8(body, "INFO body").split(" ")) {
        if (token === "") continue;
        if (!isSeedAddress(token)) {
          throw new CodecError(`INFO address "${token}" is not ip:port`);
        }
        peers.push(token);
      }
      return { type, peers };
    }
  }
}

/**
 * True when `bytes` starts with one of the four seed tags (`INIT`, `INFO`,
 * `CONN`, `GOSP`). Only the first four bytes are looked at, so this is cheap
 * enough for a receive path; the frame may still fail {@link decodeSeed}.
 */
export function isSeedFrame(bytes: Uint8Array): boolean {
  return tagOf(bytes) !== undefined;
}
