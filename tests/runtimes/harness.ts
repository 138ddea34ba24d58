/**
 * For the cross-runtime tests: where Node.js and Bun are, the single-file
 * build (`deno task bundle`, once per test run), and {@link Child}, a process
 * whose output is collected line by line and wakes the waiters.
 */

import { readLines as pump } from "../_cli.ts";
import { notify, waitFor } from "../helpers.ts";

/** The repository. */
export const ROOT = new URL("../../", import.meta.url);
/** Generous for a loaded 2-core machine; the happy path takes a fraction of it. */
export const DEADLINE = 20_000;

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

/**
 * A child process whose stdout lines and stderr text are collected as they
 * come; each chunk of output, and the exit, wakes the waiters. Dispose it
 * (`await using`) to kill it if still running and drain its streams.
 */
export class Child implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  #pumps: Promise<unknown>;
  #exited = false;

  constructor(command: string, args: string[], env: Record<string, string> = {}) {
    this.child = new Deno.Command(command, {
      args,
      cwd: ROOT,
      env: { NO_COLOR: "1", PEER_KEY: "", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.child.status.then(() => {
      this.#exited = true;
      notify();
    });
    this.#pumps = Promise.all([
      pump(this.child.stdout, (line) => this.lines.push(line)),
      pump(this.child.stderr, (line) => this.stderr += line + "\n"),
    ]);
  }

  /** Waits for a stdout line that `match` accepts, and returns it. */
  async line(match: (line: string) => boolean, what: string): Promise<string> {
    let found: string | undefined;
    await this.until(() => (found = this.lines.find(match)) !== undefined, what);
    return found!;
  }

  /** Waits until `cond` (on the output so far) holds; throws if the process exits first. */
  async until(cond: () => boolean, what: string): Promise<void> {
    try {
      await waitFor(() => cond() || this.#exited, { timeout: DEADLINE, what });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${this.output()}`);
    }
    if (!cond()) throw new Error(`exited while waiting for ${what}\n${this.output()}`);
  }

  /** Everything it printed, for failure messages. */
  output(): string {
    return `--- stdout:\n${this.lines.join("\n")}\n--- stderr:\n${this.stderr}`;
  }

  kill(signal: Deno.Signal): void {
    if (!this.#exited) this.child.kill(signal);
  }

  /** The exit status, within the deadline, with all output read. */
  async exit(): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no exit within ${DEADLINE} ms\n${this.output()}`)),
        DEADLINE,
      );
    });
    try {
      const status = await Promise.race([this.child.status, late]);
      await this.#pumps;
      return status;
    } finally {
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#exited) {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // Exited meanwhile.
      }
    }
    await this.child.status;
    await this.#pumps;
  }
}
