/**
 * `deno compile` makes a standalone `peer` binary that works.
 *
 * Compiling needs the `denort` runtime, which Deno downloads from
 * dl.deno.land unless it is cached. Where it cannot be downloaded, the test
 * is reported as ignored, with the reason in its name; any other compile
 * failure fails the test. Deno has no runtime skip, so the compile itself
 * runs once at module load and the test checks its result.
 */

import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };

const CLI = new URL("../cli.ts", import.meta.url).href;
const ROOT = new URL("..", import.meta.url);
const COMPILE_TIMEOUT = 180_000;
const RUN_TIMEOUT = 15_000;

const text = new TextDecoder();
let dir: string | undefined;
let binary = "";
let compiled: { code: number; stderr: string } | undefined;
let skip: string | undefined;

if (Deno.permissions.querySync({ name: "run" }).state !== "granted") {
  skip = "needs --allow-run";
} else {
  dir = await Deno.makeTempDir({ prefix: "peer-compile-" });
  binary = `${dir}/peer${Deno.build.os === "windows" ? ".exe" : ""}`;
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["compile", "--allow-net", "--allow-env", "--output", binary, CLI],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(COMPILE_TIMEOUT),
    }).output();
    compiled = { code: out.code, stderr: text.decode(out.stdout) + text.decode(out.stderr) };
  } catch (e) {
    compiled = { code: -1, stderr: `deno compile did not finish: ${e}` };
  }
  const runtimeUnavailable = compiled.code !== 0 &&
    /denort|dl\.deno\.land|Setting up base binary/.test(compiled.stderr) &&
    /error sending request|dns error|failed to lookup|connection refused|timed out|network|status/i
      .test(compiled.stderr);
  if (runtimeUnavailable) {
    skip = "denort runtime cannot be downloaded here";
    await Deno.remove(dir, { recursive: true });
    dir = undefined;
  }
}

// If the test is filtered out, still remove the binary.
globalThis.addEventListener("unload", () => {
  if (dir) Deno.removeSync(dir, { recursive: true });
});

Deno.test({
  name: skip
    ? `compile: standalone binary (skipped: ${skip})`
    : "compile: standalone binary prints its version, rejects bad flags and binds",
  ignore: skip !== undefined,
  async fn() {
    try {
      assert.equal(compiled?.code, 0, `deno compile failed:\n${compiled?.stderr}`);

      const version = await run(["--version"]);
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout, `peer ${denoJson.version}\n`);

      const bad = await run(["--port", "abc"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^peer: --port /);

      // The binary carries the unstable net API and its permissions: it binds and leaves.
      const child = new Deno.Command(binary, {
        args: ["--port", "0", "--json", "--log-level", "error"],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(RUN_TIMEOUT),
      }).spawn();
      const stderr = new Response(child.stderr).text();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let first = "";
      try {
        first = (await reader.read()).value ?? "";
        child.kill("SIGTERM");
        while (!(await reader.read()).done) { /* drain */ }
      } finally {
        await reader.cancel().catch(() => {});
        try {
          child.kill("SIGKILL");
        } catch {
          // Already exited.
        }
      }
      const [status, errors] = await Promise.all([child.status, stderr]);
      assert.match(first, /^\{"event":"listening","address":"127\.0\.0\.1:\d+"\}\n/, errors);
      assert.equal(status.code, 0, errors);
    } finally {
      if (dir) await Deno.remove(dir, { recursive: true });
      dir = undefined;
    }
  },
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(binary, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(RUN_TIMEOUT),
  }).output();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}
