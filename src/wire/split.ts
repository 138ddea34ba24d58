/**
 * Splitting a member table into frames that each fit one datagram: INFO (the
 * answer to INIT) and SYNC (push-pull) carry records, and a table larger than
 * a datagram travels as several frames.
 *
 * @module
 */

import { HEADER_SIZE, RECORD_OVERHEAD, utf8Length } from "./codec.ts";
import type { MemberRecord } from "./message.ts";

/** Bytes of an INFO or SYNC frame besides its records: header, kind, SYNC's flags, count. */
const FRAME_OVERHEAD = HEADER_SIZE + 1 + 1 + 2;

/**
 * Splits `records` into runs, in order, each of which fits an INFO or SYNC
 * frame of at most `maxDatagramSize` bytes. Always returns at least one run
 * (empty for an empty table), so an empty table is still answered.
 */
export function splitRecords(
  records: readonly MemberRecord[],
  maxDatagramSize: number,
): MemberRecord[][] {
  const budget = maxDatagramSize - FRAME_OVERHEAD;
  const parts: MemberRecord[][] = [];
  let part: MemberRecord[] = [];
  let used = 0;
  for (const r of records) {
    const cost = RECORD_OVERHEAD + utf8Length(r.address);
    if (used + cost > budget && part.length > 0) {
      parts.push(part);
      part = [];
      used = 0;
    }
    part.push(r);
    used += cost;
  }
  if (part.length > 0 || parts.length === 0) parts.push(part);
  return parts;
}
