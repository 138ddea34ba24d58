#!/usr/bin/env node
/**
 * The `peer` command line as a program on any runtime: the entry of the
 * single-file build (`deno task bundle` writes `build/peer-cli.mjs`, which
 * `node` and `bun` run). It runs {@link main} with the process's arguments
 * and exits with its code. Unlike `cli.ts` it does not need `import.meta.main`
 * (Node.js 20 has none), so importing it runs the command line.
 *
 * @module
 */

import { main } from "./main.ts";
import { args, exit } from "./process.ts";

let code: number;
try {
  code = await main(args());
} catch (e) {
  console.error(`peer: unexpected error: ${e instanceof Error ? e.stack ?? e.message : e}`);
  code = 1;
}
exit(code);
