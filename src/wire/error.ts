/**
 * The one error both wire formats raise for bytes that are not a valid frame
 * and for values a format cannot carry.
 *
 * @module
 */

/**
 * Raised by {@link decode} (and by {@link encode} for values that cannot be
 * encoded). Its message says what was wrong and where.
 *
 * @example
 * ```ts
 * import { CodecError, decode } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * assert.throws(() => decode(new Uint8Array([1, 2, 3])), CodecError);
 * assert.throws(() => decode(new Uint8Array([0xd7, 1, 0x06, 0])), /truncated seq/);
 * ```
 */
export class CodecError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "CodecError";
  }
}
