/**
 * The command line, end to end: cli.ts runs as child processes (Deno.Command)
 * on loopback, plus unit tests of the flag parser and of `main()` in process.
 * Every wait has a deadline; every child is killed and awaited, and its
 * streams drained, in `finally` (or `await using`).
 */

import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { main, parseCli, USAGE, UsageError } from "../cli.ts";
import { profile } from "../src/core/config.ts";
import type { ProfileName } from "../mod.ts";
import { nodeOptions, startNode } from "../src/cli/run.ts";
import { notify, waitFor } from "./helpers.ts";

const CLI = new URL("../cli.ts", import.meta.url).href;
const ROOT = new URL("..", import.meta.url);
const PERMISSIONS = ["--allow-net", "--allow-env", "--allow-read"];
/** Generous for a loaded 2-core machine; the happy path takes a fraction of it. */
const DEADLINE = 15_000;

type Event = Record<string, unknown> & { event: string };

/**
 * One cli.ts child process whose stdout lines and stderr text are collected
 * as they come; each chunk of output, and the exit, wakes the waiters.
 */
class Peer implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  #pumps: Promise<unknown>;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #exited = false;

  constructor(
    args: string[],
    { stdin = false, permissions = PERMISSIONS, env = {} }: {
      stdin?: boolean;
      permissions?: string[];
      env?: Record<string, string>;
    } = {},
  ) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...permissions, CLI, ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1", PEER_KEY: "", ...env },
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.child.status.then(() => {
      this.#exited = true;
      notify();
    });
    if (stdin) this.#stdin = this.child.stdin.getWriter();
    this.#pumps = Promise.all([
      readLines(this.child.stdout, (line) => this.lines.push(line)),
      readLines(this.child.stderr, (line) => this.stderr += line + "\n"),
    ]);
  }

  /** Stdout parsed as JSON lines (with `--json` every line must be one object). */
  events(): Event[] {
    return this.lines.map((line) => {
      try {
        return JSON.parse(line) as Event;
      } catch {
        throw new Error(`not a JSON line on stdout: ${line}`);
      }
    });
  }

  /** Waits for a stdout line (or, with `--json`, an event) that `match` accepts, and returns it. */
  async line(match: (line: string) => boolean, what: string): Promise<string> {
    let found: string | undefined;
    await this.#wait(() => (found = this.lines.find(match)) !== undefined, what);
    return found!;
  }

  async event(match: (e: Event) => boolean, what: string): Promise<Event> {
    let found: Event | undefined;
    await this.#wait(() => (found = this.events().find(match)) !== undefined, what);
    return found!;
  }

  async #wait(cond: () => boolean, what: string): Promise<void> {
    try {
      await waitFor(() => cond() || this.#exited, { timeout: DEADLINE, what });
    } catch (e) {
      throw new Error(
        `${(e as Error).message}\n--- stdout:\n${
          this.lines.join("\n")
        }\n--- stderr:\n${this.stderr}`,
      );
    }
    if (!cond()) {
      throw new Error(`process exited while waiting for ${what}\n--- stderr:\n${this.stderr}`);
    }
  }

  async write(text: string): Promise<void> {
    await this.#stdin!.write(new TextEncoder().encode(text));
  }

  async closeStdin(): Promise<void> {
    const w = this.#stdin;
    this.#stdin = undefined;
    await w?.close().catch(() => {});
  }

  kill(signal: Deno.Signal): void {
    if (!this.#exited) this.child.kill(signal);
  }

  /** The exit status, within the deadline. */
  async exit(): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no exit within ${DEADLINE} ms`)), DEADLINE);
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

/** Runs cli.ts to completion (bounded) and returns its output as text. */
async function runCli(
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
function ownLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l !== "" && !/^(Download|Initialize) /.test(l));
}

function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /^\s+at /m, `stack trace in:\n${text}`);
}

const address = (e: Event) => e.address as string;

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

Deno.test("cli: --tag is replicated; tag changes print as lines and as JSON events", async () => {
  const common = ["--port", "0", "--period", "60", "--message", ""];
  await using a = new Peer([...common, "--json", "--tag", "role=db", "--tag", "zone=eu-1"]);
  const addrA = address(await a.event((e) => e.event === "listening", "A listening"));
  await using b = new Peer([...common, "--json", "--connect", addrA]);
  await using c = new Peer([...common, "--connect", addrA, "--tag", "role=cache"]);
  for (const [key, value] of [["role", "db"], ["zone", "eu-1"]]) {
    await b.event(
      (e) => e.event === "tag" && e.address === addrA && e.key === key && e.value === value,
      `B learning A's ${key}`,
    );
    await c.line((l) => l === `Tag of ${addrA}: ${key}=${value}`, `C printing A's ${key}`);
  }
  const addrC = address(
    await b.event((e) => e.event === "tag" && e.key === "role" && e.value === "cache", "C's role"),
  );
  assert.notEqual(addrC, addrA);
  for (const p of [a, b, c]) p.kill("SIGTERM");
  for (const p of [a, b, c]) assert.equal((await p.exit()).code, 0, p.stderr);
});

Deno.test("cli: three peers exchange messages, then leave gracefully on SIGTERM", async () => {
  const common = ["--port", "0", "--period", "0.2", "--json"];
  await using a = new Peer([...common, "--message", "from A"]);
  const addrA = address(await a.event((e) => e.event === "listening", "A listening"));
  await using b = new Peer([...common, "--connect", addrA, "--message", "from B"]);
  await using c = new Peer([...common, "--connect", addrA, "--message", "from C"]);
  const addrB = address(await b.event((e) => e.event === "listening", "B listening"));
  const addrC = address(await c.event((e) => e.event === "listening", "C listening"));
  const peers = [{ p: a, addr: addrA, text: "from A" }, { p: b, addr: addrB, text: "from B" }, {
    p: c,
    addr: addrC,
    text: "from C",
  }];

  for (const to of peers) {
    for (const from of peers) {
      if (from === to) continue;
      await to.p.event(
        (e) => e.event === "message" && e.from === from.addr && e.text === from.text,
        `${to.text.slice(5)} receiving "${from.text}"`,
      );
    }
  }
  // Joins were reported, and sends name the text and the number of peers.
  await b.event((e) => e.event === "join" && e.address === addrA, "B seeing A join");
  await a.event(
    (e) => e.event === "send" && e.text === "from A" && e.peers === 2,
    "A sending to 2",
  );

  // A leaves first; the others are told (a "leave" event, not a failure).
  a.kill("SIGTERM");
  assert.equal((await a.exit()).code, 0, a.stderr);
  assert.ok(
    a.events().some((e) => e.event === "leaving" && e.reason === "SIGTERM"),
    "A says it is leaving",
  );
  for (const p of [b, c]) {
    await p.event(
      (e) => e.event === "leave" && e.address === addrA,
      `A's leave at ${p === b ? "B" : "C"}`,
    );
  }
  b.kill("SIGTERM");
  c.kill("SIGTERM");
  for (const p of [b, c]) {
    assert.equal((await p.exit()).code, 0, p.stderr);
    assert.ok(
      !p.events().some((e) => e.event === "dead" && e.address === addrA),
      "A left, not died",
    );
  }
  for (const p of [a, b, c]) {
    assert.doesNotMatch(p.stderr, /^peer: /m);
    assertNoStackTrace(p.stderr);
  }
});

Deno.test("cli: lines on stdin are broadcast; EOF does not stop the node; SIGINT exits 0", async () => {
  // The receiver prints human output, the sender JSON.
  await using a = new Peer(["--port", "0", "--period", "0.2", "--message", ""]);
  const listening = await a.line((l) => l.startsWith("Listening on "), "A listening");
  const addrA = listening.slice("Listening on ".length);
  await using b = new Peer(
    ["--port", "0", "--period", "0.2", "--json", "--message", "tick", "--connect", addrA],
    { stdin: true },
  );
  const addrB = address(await b.event((e) => e.event === "listening", "B listening"));
  await a.line((l) => l === `Peer joined: ${addrB}`, "A seeing B join");
  await b.event((e) => e.event === "joined" && e.seed === addrA, "B joined via A");

  await b.write("typed line \u00e9\r\n\nsecond");
  await b.closeStdin(); // EOF: the last, unterminated line still counts
  await a.line(
    (l) => l === `Received message [typed line \u00e9] from ${addrB}`,
    "the typed line at A",
  );
  await a.line((l) => l === `Received message [second] from ${addrB}`, "the last line at A");
  await b.event((e) => e.event === "send" && e.text === "typed line \u00e9", "B's send event");

  // After EOF on stdin B keeps running and sending its periodic message.
  const ticks = () => a.lines.filter((l) => l === `Received message [tick] from ${addrB}`).length;
  const before = ticks();
  await a.line(() => ticks() > before + 1, "periodic messages after EOF");
  assert.ok(!a.lines.some((l) => l.startsWith("Sending message")), "--message '' sends nothing");

  b.kill("SIGINT");
  assert.equal((await b.exit()).code, 0, b.stderr);
  await a.line((l) => l === `Peer left: ${addrB}`, "B's leave at A");
  a.kill("SIGINT");
  assert.equal((await a.exit()).code, 0, a.stderr);
  assert.ok(a.lines.includes("Leaving (SIGINT)"), a.lines.join("\n"));
});

Deno.test("cli: --key, --key-file and PEER_KEY reach the node: one key talks, another does not", async () => {
  const key = (await runCli(["keygen"])).stdout.trim();
  const otherKey = (await runCli(["keygen"])).stdout.trim();
  const keyFile = await Deno.makeTempFile({ prefix: "peer-keys-" });
  try {
    await Deno.writeTextFile(keyFile, `# cluster key\n${key}\n`);
    const common = ["--port", "0", "--period", "0.2", "--json"];
    await using a = new Peer([...common, "--key", key, "--message", "from A"]);
    const addrA = address(await a.event((e) => e.event === "listening", "A listening"));
    await using b = new Peer([...common, "--connect", addrA, "--key-file", keyFile]);
    await using c = new Peer([...common, "--connect", addrA], { env: { PEER_KEY: otherKey } });
    const addrB = address(await b.event((e) => e.event === "listening", "B listening"));
    await c.event((e) => e.event === "listening", "C listening");
    await b.event((e) => e.event === "joined" && e.seed === addrA, "B (key file) joining A");
    await a.event((e) => e.event === "message" && e.from === addrB, "A hearing B");
    // While A and B exchange several rounds, C (another key) hears nothing.
    const fromA = () => b.events().filter((e) => e.event === "message" && e.from === addrA).length;
    const now = fromA();
    await b.event(() => fromA() >= now + 3, "three more rounds from A at B");
    assert.deepEqual(c.events().filter((e) => e.event !== "listening" && e.event !== "send"), []);
    assert.ok(
      !a.events().some((e) => e.event === "join" && e.address !== addrB),
      "only B joined A",
    );

    // PEER_KEY with the right key joins (and a bad PEER_KEY is a one-line runtime error).
    await using d = new Peer([...common, "--connect", addrA], { env: { PEER_KEY: key } });
    await d.event((e) => e.event === "message" && e.from === addrA, "D (PEER_KEY) hearing A");
    const bad = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, CLI, "--port", "0"],
      cwd: ROOT,
      env: { NO_COLOR: "1", PEER_KEY: "c2hvcnQ=" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(DEADLINE),
    }).output();
    const badErr = new TextDecoder().decode(bad.stderr);
    assert.equal(bad.code, 1, badErr);
    assert.deepEqual(ownLines(badErr), [
      "peer: PEER_KEY (key number 1): key must be base64 of 16, 24 or 32 bytes (got 5)",
    ]);
  } finally {
    await Deno.remove(keyFile);
  }
});

Deno.test("cli: --wire seed peers talk the original format", async () => {
  const common = ["--port", "0", "--period", "0.2", "--json", "--wire", "seed"];
  await using a = new Peer([...common, "--message", "seed A"]);
  const addrA = address(await a.event((e) => e.event === "listening", "A listening"));
  await using b = new Peer([...common, "--connect", addrA, "--message", "seed B"]);
  const addrB = address(await b.event((e) => e.event === "listening", "B listening"));
  await a.event(
    (e) => e.event === "message" && e.from === addrB && e.text === "seed B",
    "A hearing B",
  );
  await b.event(
    (e) => e.event === "message" && e.from === addrA && e.text === "seed A",
    "B hearing A",
  );
  assert.match(a.stderr, /seed wire/);
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
