/**
 * The native wire format: encode and decode with strict validation.
 *
 * Every frame starts with {@link MAGIC} and {@link VERSION}, then a kind byte
 * and a body. Integers are big-endian. docs/PROTOCOL.md has the byte layout.
 * {@link decode} checks every length against the bytes present and throws
 * {@link CodecError}, and nothing else, for bytes that are not a valid frame.
 *
 * @module
 */

import type {
  BatchMessage,
  MemberRecord,
  MemberState,
  Message,
  MessageRef,
  SingleMessage,
} from "./message.ts";
import { CodecError } from "./error.ts";
import { detach, Reader, Writer } from "./_bytes.ts";
import { readDigest, readTags, writeDigest, writeTags } from "./tag_codec.ts";

export { CodecError } from "./error.ts";
export { isAddress, utf8Length, Writer } from "./_bytes.ts";

/** First byte of every native frame. Not printable ASCII, so never a seed frame. */
export const MAGIC = 0xd7;
/** The wire version this codec speaks. */
export const VERSION = 1;
/** The largest UDP payload: no datagram from a peer can be larger. */
export const MAX_UDP_PAYLOAD = 65507;
/** Bytes before the kind byte: magic and version. */
export const HEADER_SIZE = 2;

/** Kind bytes, one per message type. */
export const Kind = {
  init: 0x01,
  info: 0x02,
  conn: 0x03,
  gosp: 0x04,
  ping: 0x05,
  ack: 0x06,
  "ping-req": 0x07,
  nack: 0x08,
  alive: 0x09,
  suspect: 0x0a,
  dead: 0x0b,
  leave: 0x0c,
  sync: 0x0d,
  ihave: 0x10,
  iwant: 0x11,
  prune: 0x12,
  graft: 0x13,
  tags: 0x14,
  digest: 0x15,
  batch: 0x0f,
} as const;

const STATES: readonly MemberState[] = ["alive", "suspect", "dead", "left"];
const STATE_CODE: Record<MemberState, number> = { alive: 0, suspect: 1, dead: 2, left: 3 };
/** Fixed bytes of one member record besides its address: state and incarnation. */
export const RECORD_OVERHEAD: number = 1 + 1 + 4;

/** Scratch writer of {@link encode}, {@link encodeBody} and {@link pack} (all synchronous). */
const scratch = new Writer(2048);

function u32Check(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new CodecError(`${what} ${v} is not an unsigned 32-bit integer`);
  }
  return v;
}

function writeRecords(w: Writer, members: readonly MemberRecord[]): void {
  if (members.length > 0xffff) throw new CodecError(`${members.length} members do not fit`);
  w.u16(members.length);
  for (const m of members) {
    w.str8(m.address);
    const code = STATE_CODE[m.state];
    if (code === undefined) throw new CodecError(`unknown member state "${m.state}"`);
    w.u8(code);
    w.u32(u32Check(m.incarnation, "incarnation"));
  }
}

/**
 * Appends one message's kind byte and body (no header) to `w`. Used to
 * pre-encode messages that are later packed into datagrams with
 * {@link pack}.
 */
export function writeBody(w: Writer, m: SingleMessage): void {
  const kind = Kind[m.type];
  if (kind === undefined || m.type === ("batch" as string)) {
    throw new CodecError(`cannot encode message type "${(m as Message).type}"`);
  }
  w.u8(kind);
  switch (m.type) {
    case "init":
    case "conn":
      w.u32(u32Check(m.incarnation, "incarnation"));
      break;
    case "info":
      writeRecords(w, m.members);
      break;
    case "gosp":
      w.str8(m.origin);
      w.u32(u32Check(m.id, "id"));
      w.u8(Math.min(255, m.hops));
      if (m.payload.length > 0xffff) {
        throw new CodecError(`payload of ${m.payload.length} bytes is over 65535`);
      }
      w.u16(m.payload.length);
      w.bytes(m.payload);
      break;
    case "ping":
    case "ping-req":
      w.u32(u32Check(m.seq, "seq"));
      w.str8(m.target);
      break;
    case "ack":
    case "nack":
      w.u32(u32Check(m.seq, "seq"));
      break;
    case "alive":
    case "leave":
      w.str8(m.address);
      w.u32(u32Check(m.incarnation, "incarnation"));
      break;
    case "suspect":
    case "dead":
      w.str8(m.address);
      w.u32(u32Check(m.incarnation, "incarnation"));
      w.str8(m.from);
      break;
    case "sync":
      w.u8(m.reply ? 1 : 0);
      writeRecords(w, m.members);
      break;
    case "prune":
      w.str8(m.origin);
      break;
    case "tags":
      writeTags(w, m);
      break;
    case "digest":
      writeDigest(w, m);
      break;
    case "graft":
      w.str8(m.origin);
      if (m.ids.length > 255) throw new CodecError(`${m.ids.length} ids do not fit`);
      w.u8(m.ids.length);
      for (const id of m.ids) w.u32(u32Check(id, "id"));
      break;
    case "ihave":
    case "iwant":
      if (m.messages.length > 255) throw new CodecError(`${m.messages.length} ids do not fit`);
      w.u8(m.messages.length);
      for (const ref of m.messages) {
        w.str8(ref.origin);
        w.u32(u32Check(ref.id, "id"));
      }
      break;
  }
}

/**
 * Encodes a single message's kind and body (no header): the unit that
 * {@link pack} combines into datagrams.
 */
export function encodeBody(m: SingleMessage): Uint8Array {
  const w = scratch;
  w.reset();
  writeBody(w, m);
  return detach(w);
}

/** Bytes a batch adds around `count` bodies totalling `bodyBytes`. */
export function packedSize(count: number, bodyBytes: number): number {
  return count === 1 ? HEADER_SIZE + bodyBytes : HEADER_SIZE + 2 + 2 * count + bodyBytes;
}

/**
 * Packs pre-encoded bodies (from {@link encodeBody}) into one datagram: a
 * single frame for one body, a batch frame for several (at most 255).
 */
export function pack(bodies: readonly Uint8Array[], w: Writer = scratch): Uint8Array {
  if (bodies.length === 0 || bodies.length > 255) {
    throw new CodecError(`a datagram packs 1 to 255 messages, not ${bodies.length}`);
  }
  w.reset();
  w.u8(MAGIC);
  w.u8(VERSION);
  if (bodies.length === 1) {
    w.bytes(bodies[0]);
  } else {
    w.u8(Kind.batch);
    w.u8(bodies.length);
    for (const b of bodies) {
      if (b.length > 0xffff) throw new CodecError(`batched message of ${b.length} bytes`);
      w.u16(b.length);
      w.bytes(b);
    }
  }
  return detach(w);
}

/**
 * Encodes a message as one datagram.
 *
 * @example
 * ```ts
 * import { decode, encode } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const bytes = encode({ type: "conn", incarnation: 3 });
 * assert.deepEqual([...bytes], [0xd7, 1, 0x03, 0, 0, 0, 3]); // magic, version, kind, incarnation
 * assert.deepEqual(decode(bytes), { type: "conn", incarnation: 3 });
 * ```
 */
export function encode(message: Message): Uint8Array {
  if (message.type === "batch") {
    return pack(message.messages.map(encodeBody));
  }
  const w = scratch;
  w.reset();
  w.u8(MAGIC);
  w.u8(VERSION);
  writeBody(w, message);
  return detach(w);
}

/** Reads a u16 count of member records, then the records (INFO, SYNC). */
function readRecords(r: Reader): MemberRecord[] {
  const count = r.u16("member count");
  // Every record needs at least RECORD_OVERHEAD bytes plus one for the address.
  if (count * (RECORD_OVERHEAD + 1) > r.end - r.pos) {
    throw new CodecError(`member count ${count} is more than the bytes present can hold`);
  }
  const members: MemberRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const address = r.address("member address");
    const code = r.u8("member state");
    const state = STATES[code];
    if (state === undefined) throw new CodecError(`unknown member state ${code}`);
    members[i] = { address, state, incarnation: r.u32("incarnation") };
  }
  return members;
}

function readBody(r: Reader): SingleMessage {
  const kind = r.u8("kind");
  switch (kind) {
    case Kind.init:
      return { type: "init", incarnation: r.u32("incarnation") };
    case Kind.info:
      return { type: "info", members: readRecords(r) };
    case Kind.conn:
      return { type: "conn", incarnation: r.u32("incarnation") };
    case Kind.gosp: {
      const origin = r.address("origin");
      const id = r.u32("id");
      const hops = r.u8("hops");
      const n = r.u16("payload length");
      r.need(n, "payload");
      const payload = r.buf.subarray(r.pos, r.pos + n);
      r.pos += n;
      return { type: "gosp", origin, id, hops, payload };
    }
    case Kind.ping:
      return { type: "ping", seq: r.u32("seq"), target: r.address("target") };
    case Kind["ping-req"]:
      return { type: "ping-req", seq: r.u32("seq"), target: r.address("target") };
    case Kind.ack:
      return { type: "ack", seq: r.u32("seq") };
    case Kind.nack:
      return { type: "nack", seq: r.u32("seq") };
    case Kind.alive:
      return { type: "alive", address: r.address("address"), incarnation: r.u32("incarnation") };
    case Kind.leave:
      return { type: "leave", address: r.address("address"), incarnation: r.u32("incarnation") };
    case Kind.suspect:
    case Kind.dead: {
      const address = r.address("address");
      const incarnation = r.u32("incarnation");
      const from = r.address("from");
      return { type: kind === Kind.dead ? "dead" : "suspect", address, incarnation, from };
    }
    case Kind.sync: {
      const flags = r.u8("sync flags");
      if (flags > 1) throw new CodecError(`unknown sync flags ${flags}`);
      return { type: "sync", reply: flags === 1, members: readRecords(r) };
    }
    case Kind.prune:
      return { type: "prune", origin: r.address("origin") };
    case Kind.tags:
      return readTags(r);
    case Kind.digest:
      return readDigest(r);
    case Kind.graft: {
      const origin = r.address("origin");
      const count = r.u8("id count");
      const ids: number[] = new Array(count);
      for (let i = 0; i < count; i++) ids[i] = r.u32("id");
      return { type: "graft", origin, ids };
    }
    case Kind.ihave:
    case Kind.iwant: {
      const count = r.u8("id count");
      const messages: MessageRef[] = new Array(count);
      for (let i = 0; i < count; i++) {
        messages[i] = { origin: r.address("origin"), id: r.u32("id") };
      }
      return { type: kind === Kind.ihave ? "ihave" : "iwant", messages };
    }
    default:
      throw new CodecError(`unknown message kind 0x${kind.toString(16).padStart(2, "0")}`);
  }
}

/**
 * Decodes one datagram. Throws {@link CodecError} for anything that is not
 * exactly one valid frame: wrong magic or version, unknown kind, a length past
 * the end, trailing bytes, bad UTF-8 or a malformed address. The payload of a
 * GOSP message is a view into `bytes`, not a copy.
 *
 * @example
 * ```ts
 * import { CodecError, decode, encode } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const m = decode(encode({ type: "ping", seq: 7, target: "127.0.0.1:9000" }));
 * assert.deepEqual(m, { type: "ping", seq: 7, target: "127.0.0.1:9000" });
 * assert.throws(() => decode(new TextEncoder().encode("INIT")), CodecError);
 * ```
 */
export function decode(bytes: Uint8Array): Message {
  try {
    return decodeFrame(bytes);
  } catch (e) {
    if (e instanceof CodecError) throw e;
    throw new CodecError(`undecodable datagram: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function decodeFrame(bytes: Uint8Array): Message {
  if (!(bytes instanceof Uint8Array)) throw new CodecError("input is not a Uint8Array");
  if (bytes.length < HEADER_SIZE + 1) {
    throw new CodecError(`datagram of ${bytes.length} bytes is too short`);
  }
  if (bytes[0] !== MAGIC) {
    throw new CodecError(`bad magic byte 0x${bytes[0].toString(16).padStart(2, "0")}`);
  }
  if (bytes[1] !== VERSION) {
    throw new CodecError(`unsupported protocol version ${bytes[1]} (this node speaks ${VERSION})`);
  }
  const r = new Reader(bytes, HEADER_SIZE, bytes.length);
  let message: Message;
  if (bytes[HEADER_SIZE] === Kind.batch) {
    r.pos++;
    const count = r.u8("batch count");
    if (count === 0) throw new CodecError("empty batch");
    const messages: SingleMessage[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const len = r.u16("batch entry length");
      r.need(len, "batch entry");
      const inner = new Reader(bytes, r.pos, r.pos + len);
      if (len > 0 && bytes[r.pos] === Kind.batch) throw new CodecError("nested batch");
      messages[i] = readBody(inner);
      if (inner.pos !== inner.end) {
        throw new CodecError(`${inner.end - inner.pos} trailing bytes in batch entry ${i}`);
      }
      r.pos += len;
    }
    message = { type: "batch", messages } satisfies BatchMessage;
  } else {
    message = readBody(r);
  }
  if (r.pos !== bytes.length) {
    throw new CodecError(`${bytes.length - r.pos} trailing bytes after the frame`);
  }
  return message;
}
