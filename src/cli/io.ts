/**
 * Where the `peer` command line reads and writes: {@link CliIo}, what a
 * caller of `main` may replace, and {@link resolveIo}, which fills in the
 * process's own streams, environment and signals for the rest.
 *
 * @module
 */

import { lineWriter, type WriteLine } from "./output.ts";
import * as host from "./process.ts";

/**
 * Where `main` reads and writes; every field is optional and defaults to the
 * process's own.
 *
 * @example Capture the output
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CliIo, main } from "@gossip/peer/cli";
 * const lines: string[] = [];
 * const io: CliIo = { stdout: (line) => lines.push(line), stdin: null };
 * assert.equal(await main(["--help"], io), 0);
 * assert.equal(lines[0].split("\n")[0], "Usage: peer [options]");
 * ```
 */
export interface CliIo {
  /** Writes one line of output (no newline included). Default: standard output. */
  stdout?: (line: string) => void;
  /** Writes one line of diagnostics. Default: standard error. */
  stderr?: (line: string) => void;
  /** Lines to broadcast; `null` for none. Default: standard input. */
  stdin?: ReadableStream<Uint8Array> | null;
  /** Reads an environment variable (`PEER_KEY`). Default: the process's (on Deno, if permitted). */
  env?: (name: string) => string | undefined;
  /**
   * Stops the node (it leaves gracefully and `main` resolves to 0) when
   * aborted. When given, no SIGINT/SIGTERM listeners are installed.
   */
  signal?: AbortSignal;
  /** Whether to configure LogTape (category `["peer"]` to stderr). Default `true`. */
  logging?: boolean;
}

/** A {@link CliIo} with the defaults filled in: what the commands use. */
export interface Io {
  /** Writes one line of output. */
  stdout: WriteLine;
  /** Writes one line of diagnostics. */
  stderr: WriteLine;
  /** Opens the lines to broadcast (standard input unless replaced); `null` for none. */
  stdin: () => ReadableStream<Uint8Array> | null;
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
  /** When given, stops the command instead of SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** Whether the command configures LogTape. */
  logging: boolean;
}

/**
 * Fills in what `io` leaves out with the process's own. Standard input is only
 * touched when a command opens it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveIo } from "./io.ts";
 * const io = resolveIo({ stdin: null, env: () => "x" });
 * assert.equal(io.stdin(), null);
 * assert.equal(io.env("PEER_KEY"), "x");
 * assert.equal(io.logging, true);
 * ```
 */
export function resolveIo(io: CliIo = {}): Io {
  const stdin = io.stdin;
  return {
    stdout: io.stdout ?? lineWriter(host.stdout()),
    stderr: io.stderr ?? lineWriter(host.stderr()),
    stdin: stdin === undefined ? host.stdin : () => stdin,
    env: io.env ?? host.env,
    signal: io.signal,
    logging: io.logging ?? true,
  };
}
