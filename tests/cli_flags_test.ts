/**
 * The command line's flags and exits: unit tests of the flag parser and of
 * `main()` in process, and cli.ts as a child process for usage errors,
 * --help, --version, keygen and startup failures (each bounded by a deadline).
 */

import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { main, parseCli, USAGE, UsageError } from "../cli.ts";
import { profile } from "../src/core/config.ts";
import type { ProfileName } from "../mod.ts";
import { nodeOptions, startNode } from "../src/cli/run.ts";
import { notify, waitFor } from "./helpers.ts";
import { assertNoStackTrace, ownLines, runCli } from "./_cli.ts";

Deno.test("cli: parseCli defaults and repeatable --connect", () => {
  const d = parseCli([]);
  assert.equal(d.command, "run");
  assert.equal(d.hostname, "127.0.0.1");
  assert.equal(d.port, 0);
  assert.equal(d.period, 1);
  assert.deepEqual(d.seeds, []);
  assert.equal(d.message, "Hello!");
  assert.equal(d.logLevel, "info");
  assert.equal(d.json, false);
  assert.deepEqual(d.keys, []);
  for (const key of ["profile", "mode", "wire", "label", "keyFile", "advertise"] as const) {
    assert.equal(d[key], undefined, key);
  }

  const o = parseCli([
    "--port=8080",
    "--period",
    "0.25",
    "--connect",
    "127.0.0.1:8081",
    "--connect",
    "[::1]:8082",
    "--connect=localhost:8083",
    "--host",
    "[::1]",
    "--message",
    "",
    "--json",
    "--log-level",
    "debug",
    "--profile",
    "local",
    "--mode",
    "mesh",
    "--wire",
    "native",
    "--key",
    "AAECAwQFBgcICQoLDA0ODw==",
    "--label",
    "staging",
  ]);
  assert.equal(o.port, 8080);
  assert.equal(o.period, 0.25);
  assert.deepEqual(o.seeds, ["127.0.0.1:8081", "[::1]:8082", "localhost:8083"]);
  assert.equal(o.hostname, "::1");
  assert.equal(o.message, "");
  assert.equal(o.json, true);
  assert.equal(o.logLevel, "debug");
  assert.equal(o.profile, "local");
  assert.equal(o.mode, "mesh");
  assert.equal(o.wire, "native");
  assert.equal(parseCli(["--wire", "seed"]).wire, "seed");
  assert.deepEqual(o.keys, ["AAECAwQFBgcICQoLDA0ODw=="]);
  assert.equal(o.label, "staging");

  assert.equal(parseCli(["--period", ".5"]).period, 0.5);
  assert.equal(parseCli(["--port", "65535"]).port, 65535);
  assert.equal(parseCli(["-h"]).command, "help");
  assert.equal(parseCli(["-V"]).command, "version");
  assert.equal(parseCli(["keygen"]).command, "keygen");
  assert.equal(parseCli(["--port", "1", "--port", "2"]).port, 2, "the last one wins");
});

Deno.test("cli: parseCli throws a one-line UsageError for bad command lines", () => {
  const bad: [string[], RegExp][] = [
    [["--port", "70000"], /--port .*"70000"/],
    [["--port", "abc"], /--port .*"abc"/],
    [["--port", "-1"], /--port .*"-1"/],
    [["--port", "1.5"], /--port/],
    [["--period", "0"], /--period .*"0"/],
    [["--period", "-1"], /--period .*"-1"/],
    [["--period", "abc"], /--period/],
    [["--period", "1e3"], /--period/],
    [["--connect", "nope"], /--connect: "nope" is not HOST:PORT/],
    [["--connect", "::1:8080"], /--connect/],
    [["--connect", "127.0.0.1:0"], /--connect/],
    [["--bogus"], /unknown option --bogus/],
    [["-x"], /unknown option -x/],
    [["--port"], /option --port needs a value/],
    [["--connect", "127.0.0.1:1", "--connect"], /option --connect needs a value/],
    [["--message", "-x"], /--message=VALUE/],
    [["--json=yes"], /option --json takes no value/],
    [["stray"], /unexpected argument "stray"/],
    [["--port", "1", "--", "x"], /unexpected argument "x"/],
    [["--log-level", "loud"], /--log-level must be one of trace, debug, info, warning, error/],
    [["--profile", "moon"], /--profile must be one of local, lan, wan/],
    [["--mode", "flood"], /--mode must be one of tree, epidemic, mesh/],
    [["--tag", "noequals"], /--tag must be KEY=VALUE/],
    [["--tag", "=v"], /--tag must be KEY=VALUE with a non-empty key/],
    [["--tag", `k=${"v".repeat(1025)}`], /--tag value must be at most 1024 bytes/],
    [["--wire", "seed", "--tag", "a=b"], /--wire seed cannot carry --tag/],
    [["--wire", "json"], /--wire must be one of native, seed/],
    [["--key", "not base64!"], /not valid base64/],
    [["--key", "c2hvcnQ="], /got 5/],
    [
      ["--key", "AAECAwQFBgcICQoLDA0ODw==", "--key", "c2hvcnQ="],
      /^--key \(number 2\): key must be base64 of 16, 24 or 32 bytes \(got 5\)$/,
    ],
    [["--key", "AAECAwQFBgcICQoLDA0ODx=="], /^--key \(number 1\): .*not canonical base64/],
    [["--label", "x".repeat(256)], /--label must be at most 255 bytes/],
    [["--host", ""], /--host/],
    [["keygen", "--json"], /keygen takes no options/],
    [["--wire", "seed", "--label", "x"], /--wire seed cannot be used with/],
    [["--wire", "seed", "--key-file", "keys.txt"], /--wire seed cannot be used with/],
  ];
  for (const [args, message] of bad) {
    assert.throws(() => parseCli(args), (e: unknown) => {
      assert.ok(e instanceof UsageError, `${args.join(" ")}: ${e}`);
      assert.match(e.message, message, args.join(" "));
      assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
      return true;
    });
  }
  // A key is never echoed back.
  assert.throws(
    () => parseCli(["--key", "c2VjcmV0c2VjcmV0"]),
    (e: Error) => !e.message.includes("c2VjcmV0"),
  );
});

Deno.test("cli: --period paces --message only; the protocol's rounds follow --profile", async () => {
  const profiles: [string[], ProfileName][] = [
    [[], "lan"],
    [["--profile", "local"], "local"],
    [["--profile", "wan"], "wan"],
  ];
  for (const [args, name] of profiles) {
    const options = parseCli(["--period", "5", ...args]);
    assert.equal(options.period, 5);
    assert.equal("period" in nodeOptions(options, []), false, name);
    await using node = await startNode(options, []);
    assert.equal(node.config.period, profile(name).period, name);
  }
});

Deno.test("cli: main() in process: version, usage error, key file error, run until aborted", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    stdout: (l: string) => {
      out.push(l);
      notify(); // the in-process node's output is what the wait below watches
    },
    stderr: (l: string) => err.push(l),
    stdin: null,
  };

  assert.equal(await main(["--version"], io), 0);
  assert.deepEqual(out.splice(0), [`peer ${denoJson.version}`]);

  assert.equal(await main(["--period", "0"], io), 2);
  assert.match(err[0], /^peer: --period /);
  assert.equal(err[1], USAGE);
  assert.equal(out.length, 0);
  err.length = 0;

  assert.equal(await main(["--key-file", "/nonexistent/peer-keys"], { ...io, logging: false }), 1);
  assert.equal(err.length, 1);
  assert.match(err[0], /^peer: .*key file \/nonexistent\/peer-keys/);
  err.length = 0;

  const controller = new AbortController();
  const running = main(["--json", "--period", "0.05", "--message", "tick"], {
    ...io,
    signal: controller.signal,
    logging: false,
  });
  try {
    await waitFor(() => out.some((l) => l.includes('"send"')), { what: "a send event" });
  } finally {
    controller.abort();
  }
  assert.equal(await running, 0);
  const events = out.map((l) => JSON.parse(l));
  assert.equal(events[0].event, "listening");
  assert.match(events[0].address, /^127\.0\.0\.1:\d+$/);
  assert.deepEqual(events.find((e) => e.event === "send"), {
    event: "send",
    text: "tick",
    peers: 0,
  });
  assert.deepEqual(events.at(-1), { event: "leaving", reason: "abort" });
  assert.deepEqual(err, []);
});

Deno.test("cli: usage errors exit 2 with one line, then the usage, on stderr", async () => {
  const cases = [
    ["--port", "70000"],
    ["--port", "abc"],
    ["--period", "0"],
    ["--period", "-1"],
    ["--connect", "nope"],
    ["--bogus"],
    ["--port"],
    ["positional"],
  ];
  const results = await Promise.all(cases.map((args) => runCli(args)));
  for (const [i, { code, stdout, stderr }] of results.entries()) {
    const what = `peer ${cases[i].join(" ")}:\n${stderr}`;
    assert.equal(code, 2, what);
    assert.equal(stdout, "", what);
    const lines = ownLines(stderr);
    assert.match(lines[0], /^peer: \S/, what);
    assert.equal(lines[1], "Usage: peer [options]", what);
    assert.equal(lines.filter((l) => l.startsWith("peer:")).length, 1, what);
    assertNoStackTrace(stderr);
  }
});

Deno.test("cli: --help, --version and keygen exit 0", async () => {
  const [help, short, version, keygen] = await Promise.all([
    runCli(["--help"]),
    runCli(["-h"]),
    runCli(["--version"]),
    runCli(["keygen"]),
  ]);
  for (const r of [help, short]) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, USAGE + "\n");
    assert.deepEqual(ownLines(r.stderr), []);
  }
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout, `peer ${denoJson.version}\n`);
  assert.equal(keygen.code, 0, keygen.stderr);
  const key = keygen.stdout.trim();
  assert.match(key, /^[A-Za-z0-9+/]{43}=$/);
  assert.equal(atob(key).length, 32);
});

Deno.test("cli: a port already in use exits 1 with one line naming it", async () => {
  const taken = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const { code, stdout, stderr } = await runCli(["--port", String(port)]);
    assert.equal(code, 1, stderr);
    assert.equal(stdout, "");
    const problems = ownLines(stderr).filter((l) => l.startsWith("peer:"));
    assert.equal(problems.length, 1, stderr);
    assert.match(
      problems[0],
      new RegExp(`^peer: address 127\\.0\\.0\\.1:${port} is already in use`),
    );
    assertNoStackTrace(stderr);
  } finally {
    taken.close();
  }
});

Deno.test("cli: without --allow-net exits 1 with one line naming --allow-net", async () => {
  const { code, stdout, stderr } = await runCli(["--port", "0"], []);
  assert.equal(code, 1, stderr);
  assert.equal(stdout, "");
  const lines = ownLines(stderr);
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], /^peer: .*--allow-net/);
  assertNoStackTrace(stderr);
});
