/**
 * The process the `peer` command line runs in: its arguments, streams,
 * environment, signals, files and exit, from `Deno` on Deno and from
 * `node:process` and `node:fs` on Node.js and Bun (the single-file build of
 * `deno task bundle`). The rest of the command line goes through here, so it
 * behaves the same on every runtime.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import process from "node:process";
import { Readable, Writable } from "node:stream";

/** The `Deno` namespace when running on Deno, else undefined. */
const deno = (globalThis as { Deno?: typeof Deno }).Deno;

/** The signals the command line stops on. */
export type StopSignal = "SIGINT" | "SIGTERM";

/**
 * The command-line arguments, without the runtime and the script.
 *
 * @returns The arguments.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { args } from "./process.ts";
 * assert.ok(Array.isArray(args()));
 * ```
 */
export function args(): string[] {
  return deno ? deno.args : process.argv.slice(2);
}

/**
 * Ends the process with `code`.
 *
 * @param code The exit code.
 */
export function exit(code: number): never {
  if (deno) deno.exit(code);
  process.exit(code);
}

/** A file to write whole lines to synchronously (what `lineWriter` takes). */
export interface SyncWriter {
  /** Writes some of `p`; returns how many bytes. */
  writeSync(p: Uint8Array): number;
}

/** A {@link SyncWriter} on a Node.js stream (synchronous for files and, on Linux, pipes). */
function streamWriter(stream: { write(p: Uint8Array): unknown }): SyncWriter {
  return {
    writeSync(p) {
      stream.write(p);
      return p.length;
    },
  };
}

/**
 * Standard output, written synchronously.
 *
 * @returns The writer.
 */
export function stdout(): SyncWriter {
  return deno ? deno.stdout : streamWriter(process.stdout);
}

/**
 * Standard error, written synchronously.
 *
 * @returns The writer.
 */
export function stderr(): SyncWriter {
  return deno ? deno.stderr : streamWriter(process.stderr);
}

/**
 * Standard error as a web stream (for LogTape's stream sink).
 *
 * @returns The stream; closing it is up to the caller (the command line never does).
 */
export function stderrStream(): WritableStream<Uint8Array> {
  return deno ? deno.stderr.writable : Writable.toWeb(process.stderr);
}

/**
 * Standard input as a web stream.
 *
 * @returns The stream.
 */
export function stdin(): ReadableStream<Uint8Array> {
  return deno
    ? deno.stdin.readable
    : Readable.toWeb(process.stdin) as unknown as ReadableStream<Uint8Array>;
}

/**
 * Reads an environment variable; on Deno only when access is granted (no
 * permission prompt).
 *
 * @param name The variable.
 * @returns Its value, or undefined when unset or not permitted.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { env } from "./process.ts";
 * assert.equal(env("PEER_SURELY_UNSET_VARIABLE"), undefined);
 * ```
 */
export function env(name: string): string | undefined {
  if (!deno) return process.env[name];
  try {
    if (deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return undefined;
    }
    return deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Calls `handler` on `signal` until {@link offSignal}; while a handler is
 * installed the signal does not end the process.
 *
 * @param signal The signal.
 * @param handler What to do.
 * @throws When the platform has no such signal (Windows: SIGTERM on Deno).
 */
export function onSignal(signal: StopSignal, handler: () => void): void {
  if (deno) deno.addSignalListener(signal, handler);
  else process.on(signal, handler);
}

/**
 * Removes a handler installed by {@link onSignal}.
 *
 * @param signal The signal.
 * @param handler The handler given to {@link onSignal}.
 */
export function offSignal(signal: StopSignal, handler: () => void): void {
  if (deno) deno.removeSignalListener(signal, handler);
  else process.off(signal, handler);
}

/**
 * Reads a UTF-8 text file.
 *
 * @param path The file.
 * @returns Its text.
 * @throws An error named `NotFound` for a missing file, and on Deno
 * `NotCapable` or `PermissionDenied` without `--allow-read`.
 */
export async function readTextFile(path: string): Promise<string> {
  if (deno) return await deno.readTextFile(path);
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") {
      throw Object.assign(new Error(`no such file: ${path}`), { name: "NotFound", cause: e });
    }
    throw e;
  }
}

/**
 * Whether `e` is a missing permission (Deno's `NotCapable` or
 * `PermissionDenied`, by name, so that it holds on every runtime).
 *
 * @param e What was thrown.
 * @returns True for a missing permission.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPermissionError } from "./process.ts";
 * assert.ok(isPermissionError(new Deno.errors.NotCapable("no")));
 * assert.ok(!isPermissionError(new Error("no")));
 * ```
 */
export function isPermissionError(e: unknown): boolean {
  return isNamed(e, "NotCapable") || isNamed(e, "PermissionDenied");
}

/**
 * Whether `e` is an error with the given name (`AddrInUse`, `NotFound`, ...):
 * Deno's `Deno.errors` classes and the errors of the node:dgram transport
 * and {@link readTextFile} on other runtimes carry the same names.
 *
 * @param e What was thrown.
 * @param name The name.
 * @returns True when `e` is an `Error` named `name`.
 */
export function isNamed(e: unknown, name: string): boolean {
  return e instanceof Error && e.name === name;
}
