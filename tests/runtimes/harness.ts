/**
 * For the cross-runtime tests: where Node.js and Bun are, the single-file
 * build (`deno task bundle`, once per test run), and {@link Child}, a process
 * whose output is collected line by line and wakes the waiters.
 */

import { Child } from "../_child.ts";
import { DEADLINE, ROOT } from "../_cli.ts";

export { Child };

const text = new TextDecoder();

/** A runtime found on this machine: how to start it, and its version. */
export interface Runtime {
  /** The executable. */
  command: string;
  /** `v20.20.2`, `1.4.5`, ... */
  version: string;
}

/** Runs `command --version`; undefined when it cannot be run. */
async function version(command: string): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(command, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(DEADLINE),
    }).output();
    return out.success ? text.decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

/** Node.js from PATH, or undefined. */
export async function findNode(): Promise<Runtime | undefined> {
  const v = await version("node");
  return v ? { command: "node", version: v } : undefined;
}

/** Bun: the pinned one `.ci/run` installs in tools/bun (see tools/bun/package.json), else from PATH. */
export async function findBun(): Promise<Runtime | undefined> {
  const pinned = new URL("tools/bun/node_modules/.bin/bun", ROOT).pathname;
  for (const command of [pinned, "bun"]) {
    const v = await version(command);
    if (v) return { command, version: v };
  }
  return undefined;
}

/** The build the tests run: the library and the CLI from `deno task bundle`, and the smoke script. */
export interface Build {
  /** `build/peer.mjs`, the library module. */
  library: string;
  /** `build/peer-cli.mjs`, the command line. */
  cli: string;
  /** tests/runtimes/smoke.ts bundled into one module (in a temporary directory). */
  smoke: string;
  /** bench/runtime_bench.ts bundled likewise. */
  bench: string;
}

let built: Promise<Build> | undefined;

/** Runs `deno task bundle` and bundles the smoke and benchmark scripts, once per test run. */
export function build(): Promise<Build> {
  return built ??= (async () => {
    await deno(["task", "bundle"]);
    const dir = await Deno.makeTempDir({ prefix: "peer-runtimes-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const smoke = `${dir}/smoke.mjs`, bench = `${dir}/runtime_bench.mjs`;
    for (
      const [output, input] of [[smoke, "tests/runtimes/smoke.ts"], [
        bench,
        "bench/runtime_bench.ts",
      ]]
    ) {
      await deno(["bundle", "--quiet", "--platform", "deno", "--output", output, input]);
    }
    return {
      library: new URL("build/peer.mjs", ROOT).pathname,
      cli: new URL("build/peer-cli.mjs", ROOT).pathname,
      smoke,
      bench,
    };
  })();
}

/** Runs deno with `args` in the repository; throws with its output when it fails. */
async function deno(args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  if (!out.success) {
    throw new Error(
      `deno ${args.join(" ")} failed:\n${text.decode(out.stdout)}${text.decode(out.stderr)}`,
    );
  }
}
