/**
 * Private byte-level helpers of the codecs: a growable writer, a
 * bounds-checked reader, UTF-8 lengths, and the slabs encoded frames are cut
 * from.
 *
 * @module
 */

import { CodecError } from "./error.ts";

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** The number of bytes `s` takes in UTF-8. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** A growable byte buffer for encoding. Reuse one to avoid allocations. */
export class Writer {
  /** The bytes; valid up to {@link Writer.length}. */
  buf: Uint8Array;
  /** How many bytes are written. */
  length = 0;

  /** Creates a writer with `capacity` bytes reserved. */
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  /** Forgets what was written, keeping the memory. */
  reset(): void {
    this.length = 0;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  /** Appends one byte. */
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  /** Appends a big-endian 16-bit integer. */
  u16(v: number): void {
    this.ensure(2);
    this.buf[this.length++] = v >>> 8;
    this.buf[this.length++] = v;
  }

  /** Appends a big-endian 32-bit integer. */
  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    let i = this.length;
    b[i++] = v >>> 24;
    b[i++] = v >>> 16;
    b[i++] = v >>> 8;
    b[i++] = v;
    this.length = i;
  }

  /** Appends raw bytes. */
  bytes(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.length);
    this.length += v.length;
  }

  /** Appends a string as a one-byte length and its UTF-8 bytes. */
  str8(s: string): void {
    const n = s.length;
    this.ensure(1 + n * 3);
    const start = this.length;
    let i = start + 1;
    const b = this.buf;
    let ascii = true;
    for (let k = 0; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      b[i++] = c;
    }
    if (!ascii) {
      i = start + 1 + textEncoder.encodeInto(s, b.subarray(start + 1)).written;
    }
    const len = i - start - 1;
    if (len > 255) throw new CodecError(`string of ${len} bytes is longer than 255`);
    b[start] = len;
    this.length = i;
  }

  /** Appends a string as a two-byte length and its UTF-8 bytes. */
  str16(s: string): void {
    this.ensure(2 + s.length * 3);
    const start = this.length;
    const len = textEncoder.encodeInto(s, this.buf.subarray(start + 2)).written;
    if (len > 0xffff) throw new CodecError(`string of ${len} bytes is longer than 65535`);
    this.buf[start] = len >>> 8;
    this.buf[start + 1] = len;
    this.length = start + 2 + len;
  }

  /** Appends a whole number below 2^53 as two big-endian 32-bit halves. */
  u53(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new CodecError(`${v} is not a whole number from 0 to 2^53 - 1`);
    }
    this.u32(Math.floor(v / 0x100000000));
    this.u32(v >>> 0);
  }

  /** A copy of the written bytes. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/**
 * Encoded frames are handed out as views into shared slabs rather than as
 * fresh arrays: allocating a small Uint8Array costs 10-20 times more than a
 * view (it dominated encoding). A slab is never written twice, so a view stays
 * valid; a slab is freed once no view of it is left. Frames larger than a
 * quarter slab get their own array.
 */
const SLAB_SIZE = 16384;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

/** The bytes written to `w`, copied out of it (into the current slab). */
export function detach(w: Writer): Uint8Array {
  const n = w.length;
  if (n > SLAB_SIZE >> 2) return w.buf.slice(0, n);
  if (slabUsed + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const start = slabUsed;
  const end = start + n;
  slabUsed = end;
  const out = slab, src = w.buf;
  if (n <= 64) {
    for (let i = 0; i < n; i++) out[start + i] = src[i];
  } else {
    out.set(src.subarray(0, n), start);
  }
  return out.subarray(start, end);
}

/** A cursor over bytes being decoded; every read is bounds-checked. */
export class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, pos: number, readonly end: number) {
    this.pos = pos;
  }

  need(n: number, what: string): void {
    if (this.pos + n > this.end) {
      throw new CodecError(
        `truncated ${what} at byte ${this.pos}: need ${n}, have ${this.end - this.pos}`,
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }

  u16(what: string): number {
    this.need(2, what);
    const b = this.buf, i = this.pos;
    this.pos = i + 2;
    return (b[i] << 8) | b[i + 1];
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.buf, i = this.pos;
    this.pos = i + 4;
    return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
  }

  /** A two-byte length and that many bytes of UTF-8, at most `max` bytes. */
  str16(what: string, max: number): string {
    const n = this.u16(what);
    if (n > max) throw new CodecError(`${what} of ${n} bytes is longer than ${max}`);
    this.need(n, what);
    const start = this.pos;
    this.pos += n;
    try {
      return textDecoder.decode(this.buf.subarray(start, start + n));
    } catch {
      throw new CodecError(`${what} at byte ${start} is not valid UTF-8`);
    }
  }

  /** A whole number below 2^53, as two big-endian 32-bit halves. */
  u53(what: string): number {
    const hi = this.u32(what), lo = this.u32(what);
    if (hi > 0x1fffff) throw new CodecError(`${what} ${hi} * 2^32 + ${lo} is 2^53 or more`);
    return hi * 0x100000000 + lo;
  }

  str8(what: string): string {
    const n = this.u8(what);
    this.need(n, what);
    const b = this.buf, start = this.pos, end = start + n;
    this.pos = end;
    for (let i = start; i < end; i++) {
      if (b[i] >= 0x80) {
        try {
          return textDecoder.decode(b.subarray(start, end));
        } catch {
          throw new CodecError(`${what} at byte ${start} is not valid UTF-8`);
        }
      }
    }
    // ASCII: one call instead of a concatenation per character.
    return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  }

  address(what: string): string {
    // Fast path, one pass: an ASCII HOST:PORT is checked while it is scanned.
    const b = this.buf, at = this.pos;
    if (at < this.end) {
      const start = at + 1, end = start + b[at];
      if (end <= this.end) {
        let colon = -1, ok = true;
        for (let i = start; i < end; i++) {
          const c = b[i];
          if (c === 0x3a) colon = i;
          else if (c <= 0x20 || c >= 0x7f) {
            ok = false;
            break;
          }
        }
        if (ok && colon > start && end - colon - 1 >= 1 && end - colon - 1 <= 5) {
          let port = 0;
          for (let i = colon + 1; i < end; i++) {
            const d = b[i] - 48;
            if (d < 0 || d > 9) {
              port = -1;
              break;
            }
            port = port * 10 + d;
          }
          if (port >= 0 && port <= 65535) {
            this.pos = end;
            return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
          }
        }
      }
    }
    // Anything else (non-ASCII, malformed, truncated): the general path and its errors.
    const s = this.str8(what);
    if (!isAddress(s)) throw new CodecError(`${what} "${s}" is not HOST:PORT`);
    return s;
  }
}

/**
 * True when `s` looks like `host:port`: a non-empty host without spaces and
 * a port of 1-5 digits up to 65535. Cheap enough for the receive path.
 */
export function isAddress(s: string): boolean {
  const colon = s.lastIndexOf(":");
  if (colon <= 0 || colon === s.length - 1 || s.length - colon - 1 > 5) return false;
  let port = 0;
  for (let i = colon + 1; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return false;
    port = port * 10 + c;
  }
  if (port > 65535) return false;
  for (let i = 0; i < colon; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
  }
  return true;
}
