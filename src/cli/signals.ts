/**
 * When the `peer` command line stops: on the first SIGINT or SIGTERM, or when
 * the caller's `AbortSignal` is aborted instead.
 *
 * @module
 */

import { offSignal, onSignal, type StopSignal } from "./process.ts";

/**
 * Resolves with what stopped the command: `"SIGINT"`, `"SIGTERM"`, or
 * `"abort"` when `abort` is given (then no signal listeners are installed).
 * The signal listeners are removed on the first signal, so a second one gets
 * the default action: a stuck leave can still be interrupted.
 *
 * @param abort Stops the command instead of signals, when given.
 * @returns What stopped it.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stopped } from "./signals.ts";
 * const controller = new AbortController();
 * const why = stopped(controller.signal);
 * controller.abort();
 * assert.equal(await why, "abort");
 * ```
 */
export function stopped(abort?: AbortSignal): Promise<string> {
  if (abort) {
    return new Promise((resolve) => {
      if (abort.aborted) resolve("abort");
      else abort.addEventListener("abort", () => resolve("abort"), { once: true });
    });
  }
  return new Promise((resolve) => {
    const installed: [StopSignal, () => void][] = [];
    for (const name of ["SIGINT", "SIGTERM"] as const) {
      const handler = () => {
        for (const [n, h] of installed) offSignal(n, h);
        resolve(name);
      };
      try {
        onSignal(name, handler);
        installed.push([name, handler]);
      } catch {
        // Not every platform has SIGTERM (Windows); SIGINT is enough there.
      }
    }
  });
}
