/**
 * The HTTP side of the command line on Node.js and Bun (the single-file build
 * of `deno task bundle`): `peer members` and `peer monitor` work against a
 * Deno peer's `--http` as they do on Deno; `--http` itself is Deno-only and
 * says so in one line (exit 1). A runtime that is not installed is reported
 * as ignored, with the reason in the test's name.
 */

import assert from "node:assert/strict";
import { CliChild } from "./cli_child.ts";
import { build, Child, findBun, findNode, type Runtime } from "./runtimes/harness.ts";

const runtimes: [string, Runtime | undefined][] = [
  ["Node.js", await findNode()],
  ["Bun", await findBun()],
];

for (const [name, runtime] of runtimes) {
  Deno.test({
    name: `http runtimes: members and monitor on ${name}; --http there is one line, exit 1${
      runtime ? "" : " (ignored: not installed; bash .ci/run installs Bun from npm)"
    }`,
    ignore: !runtime,
    async fn() {
      const cli = (await build()).cli;
      const run = (...args: string[]) => new Child(runtime!.command, [cli, ...args]);
      const quiet = ["--message", "", "--log-level", "warning"];
      await using served = new CliChild(["--json", "--http", "127.0.0.1:0", ...quiet]);
      const http = String((await served.event("http")).url).slice("http://".length);
      const address = String((await served.event("listening")).address);

      {
        await using members = run("members", "--http", http);
        assert.equal((await members.exit()).code, 0, members.output());
        assert.match(members.lines[0], /^ADDRESS +STATE +INCARNATION +TAGS$/);
        assert.match(members.lines[1], new RegExp(`^${address} +alive +0$`));
      }
      {
        await using monitor = run("monitor", "--http", http, "--json");
        const first = JSON.parse(await monitor.line((l) => l.includes("monitoring"), "monitoring"));
        assert.equal(first.address, address);
        monitor.kill("SIGTERM");
        assert.equal((await monitor.exit()).code, 0, monitor.output());
        assert.equal(monitor.stderr, "");
      }
      {
        await using serving = run("--http", "127.0.0.1:0", ...quiet);
        assert.equal((await serving.exit()).code, 1, serving.output());
        assert.deepEqual(serving.lines, []);
        assert.equal(
          serving.stderr,
          "peer: cannot serve HTTP on 127.0.0.1:0: the HTTP endpoint runs on Deno only (it binds with Deno.listen)\n",
        );
      }
    },
  });
}
