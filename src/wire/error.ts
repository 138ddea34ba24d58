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
 * try {
 *   decode(new Uint8Array([1, 2, 3]));
 * } catch (e) {
 *   console.assert(e instanceof CodecError);
 * }
 * ```
 */
export class CodecError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "CodecError";
  }
}
