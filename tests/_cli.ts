/** Shared by the command line tests: where cli.ts is, running it to completion, and checks of its stderr. */

import assert from "node:assert/strict";

export const CLI = new URL("../cli.ts", import.meta.url).href;
export const ROOT = new URL("..", import.meta.url);
export const PERMISSIONS = ["--allow-net", "--allow-env", "--allow-read"];
/** Generous for a loaded 2-core machine; the happy path takes a fraction of it. */
export const DEADLINE = 20_000;

/** Runs cli.ts to completion (bounded) and returns its output as text. */
export async function runCli(
  args: string[],
  permissions: string[] = PERMISSIONS,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, CLI, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", PEER_KEY: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(DEADLINE),
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Stderr without the lines Deno itself may print (npm downloads on a cold cache). */
export function ownLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l !== "" && !/^(Download|Initialize) /.test(l));
}

export function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /^\s+at /m, `stack trace in:\n${text}`);
}
