/**
 * What a user of the package downloads: Deno installs every npm package that
 * deno.json's import map or the root lockfile names, whether the program
 * imports it or not, so both name LogTape alone; the tests' and benchmarks'
 * packages are named where they are imported. A fresh run of the command
 * line, with an empty cache, fetches LogTape and nothing else, leaves the
 * lockfile as it is and prints no warning.
 */

import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url);

Deno.test("dependencies: deno.json and deno.lock name LogTape alone", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.deepEqual(Object.keys(config.imports), ["@logtape/logtape"]);
  assert.equal(config.scopes, undefined, "scoped packages are installed for every user too");
  const lock = JSON.parse(await Deno.readTextFile(new URL("deno.lock", ROOT)));
  assert.deepEqual(Object.keys(lock.specifiers), ["npm:@logtape/logtape@^2.4.2"]);
});

Deno.test("dependencies: a fresh run of the CLI fetches LogTape alone and prints no warning", async () => {
  const cache = await Deno.makeTempDir({ prefix: "peer-deno-dir-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--frozen", "--allow-net", "--allow-env", "--allow-read", "cli.ts", "--help"],
      cwd: ROOT,
      env: { DENO_DIR: cache, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.match(new TextDecoder().decode(out.stdout), /^Usage: peer/);
    assert.doesNotMatch(stderr, /Warning|build scripts/i);
    const fetched: string[] = [];
    for await (const e of Deno.readDir(`${cache}/npm/registry.npmjs.org`)) fetched.push(e.name);
    assert.deepEqual(fetched, ["@logtape"]);
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
