/**
 * The bytes of TAGS and DIGEST (docs/PROTOCOL.md 3.11 and 3.12), for the
 * native codec.
 *
 * @module
 */

import type { Reader, Writer } from "./_bytes.ts";
import { CodecError } from "./error.ts";
import type { DigestMessage, TagsMessage } from "./tag_messages.ts";

/** The longest tag value, in bytes of UTF-8. */
export const MAX_TAG_VALUE = 1024;

function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new CodecError(`${what} ${v} is not an unsigned 32-bit integer`);
  }
  return v;
}

/** Appends a TAGS body (after its kind byte). */
export function writeTags(w: Writer, m: TagsMessage): void {
  w.str8(m.owner);
  w.u53(m.generation);
  w.u32(u32(m.since, "since"));
  w.u32(u32(m.to, "to"));
  w.u8((m.reset ? 1 : 0) | (m.push ? 2 : 0));
  if (m.entries.length > 0xffff) throw new CodecError(`${m.entries.length} entries do not fit`);
  w.u16(m.entries.length);
  for (const e of m.entries) {
    if (e.key.length === 0) throw new CodecError("a tag key is at least one byte");
    w.str8(e.key);
    w.u32(u32(e.version, "version"));
    if (e.value === undefined) {
      w.u8(0);
    } else {
      w.u8(1);
      const before = w.length;
      w.str16(e.value);
      if (w.length - before - 2 > MAX_TAG_VALUE) {
        throw new CodecError(
          `tag value of ${w.length - before - 2} bytes is over ${MAX_TAG_VALUE}`,
        );
      }
    }
  }
}

/** Reads a TAGS body (after its kind byte). */
export function readTags(r: Reader): TagsMessage {
  const owner = r.address("owner");
  const generation = r.u53("generation");
  const since = r.u32("since");
  const to = r.u32("to");
  const flags = r.u8("tags flags");
  if (flags > 3) throw new CodecError(`unknown tags flags ${flags}`);
  const count = r.u16("entry count");
  // Every entry needs at least a one-byte key with its length, a version and a flag.
  if (count * 7 > r.end - r.pos) {
    throw new CodecError(`entry count ${count} is more than the bytes present can hold`);
  }
  const entries: TagsMessage["entries"] = new Array(count);
  for (let i = 0; i < count; i++) {
    const key = r.str8("tag key");
    if (key.length === 0) throw new CodecError("empty tag key");
    const version = r.u32("version");
    const present = r.u8("value flag");
    if (present > 1) throw new CodecError(`unknown value flag ${present}`);
    entries[i] = present === 1
      ? { key, version, value: r.str16("tag value", MAX_TAG_VALUE) }
      : { key, version };
  }
  const m: TagsMessage = {
    type: "tags",
    owner,
    generation,
    since,
    to,
    reset: (flags & 1) === 1,
    entries,
  };
  if (flags & 2) m.push = true;
  return m;
}

/** Appends a DIGEST body (after its kind byte). */
export function writeDigest(w: Writer, m: DigestMessage): void {
  w.u8((m.reply ? 1 : 0) | (m.full ? 2 : 0));
  w.u32(u32(m.members, "members"));
  w.u32(u32(m.membersHash, "membersHash"));
  w.u32(u32(m.tagsHash, "tagsHash"));
  w.str8(m.after);
  w.str8(m.through);
  if (m.entries.length > 0xffff) throw new CodecError(`${m.entries.length} entries do not fit`);
  w.u16(m.entries.length);
  for (const e of m.entries) {
    w.str8(e.owner);
    w.u53(e.generation);
    w.u32(u32(e.version, "version"));
  }
}

/** Reads a DIGEST body (after its kind byte). */
export function readDigest(r: Reader): DigestMessage {
  const flags = r.u8("digest flags");
  if (flags > 3) throw new CodecError(`unknown digest flags ${flags}`);
  const members = r.u32("members");
  const membersHash = r.u32("membersHash");
  const tagsHash = r.u32("tagsHash");
  const after = r.str8("after");
  const through = r.str8("through");
  const count = r.u16("entry count");
  if (count * 14 > r.end - r.pos) {
    throw new CodecError(`entry count ${count} is more than the bytes present can hold`);
  }
  const entries: DigestMessage["entries"] = new Array(count);
  for (let i = 0; i < count; i++) {
    entries[i] = {
      owner: r.address("owner"),
      generation: r.u53("generation"),
      version: r.u32("version"),
    };
  }
  return {
    type: "digest",
    reply: (flags & 1) === 1,
    full: (flags & 2) === 2,
    members,
    membersHash,
    tagsHash,
    after,
    through,
    entries,
  };
}
