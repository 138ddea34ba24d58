/**
 * The `peer` command line: start a gossip node on UDP, print what happens to
 * it (peers joining, going away, messages arriving), broadcast a message every
 * period and every line typed on standard input, and leave the cluster
 * gracefully on SIGINT or SIGTERM.
 *
 * ```sh
 * deno run --unstable-net --allow-net --allow-env jsr:@gossip/peer/cli --port 8080
 * deno run --unstable-net --allow-net --allow-env jsr:@gossip/peer/cli --port 8081 \
 *   --connect 127.0.0.1:8080
 * ```
 *
 * Exit codes: 0 after SIGINT or SIGTERM (the node leaves first), 1 for a
 * runtime error such as a port already in use or missing permission, 2 for a
 * usage error. Expected errors are one line, `peer: <message>`, on stderr.
 *
 * The command line only parses flags, sets up logging and signals and prints
 * events; the protocol is `GossipNode`'s (from `@gossip/peer`). Importing
 * this module has no side effects. Its parts live in `src/cli/`, one concern a
 * file: `main.ts` (commands and exit codes), `flags.ts` (flags and usage),
 * `run.ts` (running a node), `output.ts` (event lines), and `keys.ts`,
 * `logging.ts`, `signals.ts`, `read_lines.ts`, `io.ts` and `errors.ts`.
 *
 * @example Run the command line from a script
 * ```ts ignore
 * import { main } from "@gossip/peer/cli";
 * const controller = new AbortController();
 * const code = main(["--port", "0", "--json"], { signal: controller.signal, stdin: null });
 * setTimeout(() => controller.abort(), 5000);
 * console.log("exit code", await code);
 * ```
 *
 * @module
 */

import { main } from "./src/cli/main.ts";

export { main, VERSION } from "./src/cli/main.ts";
export { type CliOptions, parseCli, USAGE, UsageError } from "./src/cli/flags.ts";
export type { CliIo } from "./src/cli/io.ts";

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    console.error(`peer: unexpected error: ${e instanceof Error ? e.stack ?? e.message : e}`);
    code = 1;
  }
  Deno.exit(code);
}
