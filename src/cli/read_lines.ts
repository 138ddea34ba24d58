/**
 * Lines typed on standard input (or any byte stream), for the `peer` command
 * line to broadcast.
 *
 * @module
 */

/** Stops a {@link readLines}. */
export interface LineReader {
  /** Stops reading without waiting for a pending read; no more lines are delivered. */
  cancel(): void;
}

/**
 * Calls `onLine` for each non-empty line of `stream` (UTF-8; `\n` or `\r\n`;
 * a last unterminated line counts). End of input, or a failing stream, just
 * ends the lines.
 *
 * @param stream The bytes, e.g. `Deno.stdin.readable`.
 * @param onLine Called with each line, without its line break.
 * @returns A handle to stop reading.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLines } from "./read_lines.ts";
 * const lines: string[] = [];
 * const { promise: done, resolve } = Promise.withResolvers<void>();
 * const bytes = new TextEncoder().encode("one\r\n\ntwo");
 * const stream = new ReadableStream<Uint8Array>({
 *   start(c) {
 *     c.enqueue(bytes);
 *     c.close();
 *   },
 * });
 * readLines(stream, (line) => {
 *   lines.push(line);
 *   if (lines.length === 2) resolve();
 * });
 * await done;
 * assert.deepEqual(lines, ["one", "two"]);
 * ```
 */
export function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): LineReader {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let cancelled = false;
  (async () => {
    let buffer = "";
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let nl;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, "");
          buffer = buffer.slice(nl + 1);
          if (line !== "" && !cancelled) onLine(line);
        }
      }
      const last = buffer.replace(/\r$/, "");
      if (last !== "" && !cancelled) onLine(last);
    } catch {
      // Standard input went away: keep running without it.
    }
  })();
  return {
    cancel() {
      cancelled = true;
      reader.cancel().catch(() => {});
    },
  };
}
