/**
 * A child process for end-to-end tests: its stdout lines and stderr text are
 * collected as they come, each chunk (and the exit) wakes `waitFor`, and
 * disposing it (`await using`) closes its stdin, kills it if still running
 * and drains its streams. The CLI tests (`CliChild`, the peers of
 * cli_peers_test.ts) and the cross-runtime tests build on it.
 */

import { DEADLINE, ROOT } from "./_cli.ts";
import { notify, waitFor } from "./helpers.ts";

/** How to start a {@link Child}. */
export interface ChildOptions {
  /** Added to `NO_COLOR=1` and an empty `PEER_KEY`. */
  env?: Record<string, string>;
  /** Whether stdin is a pipe (for {@link Child.write}) rather than closed. */
  stdin?: boolean;
}

/** One running process, started in the repository. */
export class Child implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  exited = false;
  #pumps: Promise<unknown>;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;

  constructor(command: string, args: string[], { env = {}, stdin = false }: ChildOptions = {}) {
    this.child = new Deno.Command(command, {
      args,
      cwd: ROOT,
      env: { NO_COLOR: "1", PEER_KEY: "", ...env },
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.child.status.then(() => {
      this.exited = true;
      notify();
    });
    if (stdin) this.#stdin = this.child.stdin.getWriter();
    this.#pumps = Promise.all([
      readLines(this.child.stdout, (line) => this.lines.push(line)),
      readLines(this.child.stderr, (line) => this.stderr += line + "\n"),
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
      await waitFor(() => cond() || this.exited, { timeout: DEADLINE, what });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${this.output()}`);
    }
    if (!cond()) throw new Error(`exited while waiting for ${what}\n${this.output()}`);
  }

  /** Everything it printed, for failure messages. */
  output(): string {
    return `--- stdout:\n${this.lines.join("\n")}\n--- stderr:\n${this.stderr}`;
  }

  /** Writes `text` to its stdin (started with `stdin: true`). */
  async write(text: string): Promise<void> {
    await this.#stdin!.write(new TextEncoder().encode(text));
  }

  /** Closes its stdin, if open. */
  async closeStdin(): Promise<void> {
    const w = this.#stdin;
    this.#stdin = undefined;
    await w?.close().catch(() => {});
  }

  kill(signal: Deno.Signal): void {
    if (!this.exited) this.child.kill(signal);
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
    await this.closeStdin();
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

/** Calls `onLine` for each line of `stream` as it comes, waking `waitFor` after each chunk. */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      onLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
    notify();
  }
  if (buffer !== "") onLine(buffer);
  notify();
}
