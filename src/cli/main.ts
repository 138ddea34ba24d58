/**
 * The `peer` command line's entry: {@link main} parses the arguments, picks
 * the command and turns its outcome into an exit code. Each command is one
 * entry of `COMMANDS`; a new one is a new entry there (the type makes sure
 * every command named in `CliOptions` has one).
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { RuntimeError } from "./errors.ts";
import { type CliOptions, parseCli, USAGE, UsageError } from "./flags.ts";
import { type CliIo, type Io, resolveIo } from "./io.ts";
import { keygen } from "./keys.ts";
import { members, monitor } from "./remote.ts";
import { runNode } from "./run.ts";

/**
 * The package version, from `deno.json`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VERSION } from "@gossip/peer/cli";
 * assert.match(VERSION, /^\d+\.\d+\.\d+/);
 * ```
 */
export const VERSION: string = denoJson.version;

/** One command: does its work and resolves to the exit code, or throws. */
type Command = (options: CliOptions, io: Io) => number | Promise<number>;

/** What each command does. */
const COMMANDS: Record<CliOptions["command"], Command> = {
  run: runNode,
  keygen: (_options, io) => keygen(io),
  members,
  monitor,
  help: (_options, io) => {
    io.stdout(USAGE);
    return 0;
  },
  version: (_options, io) => {
    io.stdout(`peer ${VERSION}`);
    return 0;
  },
};

/**
 * Runs the command line: parses `args`, starts the node, prints its events,
 * broadcasts, and on SIGINT/SIGTERM (or `io.signal`) leaves gracefully.
 * Resolves to the exit code: 0 after a signal (or for `--help`, `members`,
 * `--version`, `keygen`), 1 for a runtime error, 2 for a usage error. An
 * error is one line, `peer: <message>`, on `io.stderr` (a usage error is
 * followed by the usage). It never calls `Deno.exit` itself.
 *
 * @param args The arguments without the program name, e.g. `Deno.args`.
 * @param io Where to read and write; defaults to the process's streams.
 * @returns The exit code.
 * @example Print the version, and reject a bad flag
 * ```ts
 * import assert from "node:assert/strict";
 * import { main, USAGE } from "@gossip/peer/cli";
 * const out: string[] = [];
 * const err: string[] = [];
 * const io = { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l) };
 * assert.equal(await main(["--version"], io), 0);
 * assert.match(out[0], /^peer \d+\.\d+\.\d+/);
 * assert.equal(await main(["--port", "70000"], io), 2);
 * assert.deepEqual(err, [
 *   'peer: --port must be an integer from 0 to 65535 (0: any free port), got "70000"',
 *   USAGE,
 * ]);
 * ```
 * @example Run a node until aborted
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@gossip/peer/cli";
 * const controller = new AbortController();
 * const lines: string[] = [];
 * const code = await main(["--port", "0", "--message", ""], {
 *   stdout: (line) => {
 *     lines.push(line);
 *     if (line.startsWith("Listening on ")) controller.abort();
 *   },
 *   stdin: null,
 *   signal: controller.signal,
 *   logging: false,
 * });
 * assert.equal(code, 0);
 * assert.match(lines[0], /^Listening on 127\.0\.0\.1:\d+$/);
 * assert.equal(lines.at(-1), "Leaving (abort)");
 * ```
 */
export async function main(args: string[], io: CliIo = {}): Promise<number> {
  const resolved = resolveIo(io);
  try {
    const options = parseCli(args);
    return await COMMANDS[options.command](options, resolved);
  } catch (e) {
    if (e instanceof UsageError) {
      resolved.stderr(`peer: ${e.message}`);
      resolved.stderr(USAGE);
      return 2;
    }
    if (e instanceof RuntimeError) {
      resolved.stderr(`peer: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
