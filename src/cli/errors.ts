/**
 * Expected runtime failures of the `peer` command line: a {@link RuntimeError}
 * is printed as one line, `peer: <message>`, and the exit code is 1. Usage
 * errors (exit code 2) are `UsageError`s, from `flags.ts`.
 *
 * @module
 */

/**
 * An expected runtime failure (a port in use, a missing permission, an
 * unreadable key file). Its message is one line naming the cause and, where
 * there is one, the fix, without the `peer: ` prefix.
 */
export class RuntimeError extends Error {
  /** Makes one with a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "RuntimeError";
  }
}

/**
 * An error's message on one line: its non-empty lines, trimmed, joined by `; `.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneLine } from "./errors.ts";
 * assert.equal(oneLine(new Error("first\n  second\n")), "first; second");
 * ```
 */
export function oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split("\n").map((l) => l.trim()).filter((l) => l !== "").join("; ");
}
