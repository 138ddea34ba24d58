/**
 * cli.ts as a child process for end-to-end tests: its stdout lines and
 * stderr text are collected as they come, each chunk (and the exit) wakes
 * `waitFor`, and disposing it kills and awaits it and drains its streams.
 */

import { CLI, DEADLINE, ownLines, PERMISSIONS, readLines, ROOT, runCli } from "./_cli.ts";
import { notify, waitFor } from "./helpers.ts";

export { DEADLINE, ownLines, PERMISSIONS, runCli };

/** One running `cli.ts`. */
export class CliChild implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  exited = false;
  #pumps: Promise<unknown>;

  constructor(args: string[]) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, CLI, ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1", PEER_KEY: "" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.child.status.then(() => {
      this.exited = true;
      notify();
    });
    this.#pumps = Promise.all([
      readLines(this.child.stdout, (line) => this.lines.push(line)),
      readLines(this.child.stderr, (line) => this.stderr += line + "\n"),
    ]);
  }

  /** Waits for a stdout line that `match` accepts; returns it. */
  async line(match: (line: string) => boolean, what: string): Promise<string> {
    let found: string | undefined;
    const look = () => (found = this.lines.find(match)) !== undefined;
    try {
      await waitFor(() => look() || this.exited, { timeout: DEADLINE, what });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${this.#output()}`);
    }
    if (!look()) throw new Error(`exited while waiting for ${what}\n${this.#output()}`);
    return found!;
  }

  /** Waits for a JSON stdout line whose `event` is `event` and that `match` accepts. */
  async event(
    event: string,
    match: (e: Record<string, unknown>) => boolean = () => true,
  ): Promise<Record<string, unknown>> {
    const parse = (l: string) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    };
    const line = await this.line((l) => {
      const e = parse(l);
      return e?.event === event && match(e);
    }, `event ${event}`);
    return parse(line)!;
  }

  kill(signal: Deno.Signal): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** The exit status, within the deadline; the output is read to its end. */
  async exit(): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no exit within ${DEADLINE} ms\n${this.#output()}`)),
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

  #output(): string {
    return `--- stdout:\n${this.lines.join("\n")}\n--- stderr:\n${this.stderr}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.exited) {
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
