/**
 * The command line, end to end: cli.ts peers run as child processes
 * (Deno.Command) on loopback and talk to each other. Every wait has a
 * deadline; every child is killed and awaited, and its streams drained, in
 * `finally` (or `await using`).
 */

import assert from "node:assert/strict";
import { Child } from "./_child.ts";
import { assertNoStackTrace, CLI, DEADLINE, ownLines, PERMISSIONS, ROOT, runCli } from "./_cli.ts";

type Event = Record<string, unknown> & { event: string };

/** One cli.ts child process, optionally with stdin piped, and its `--json` events. */
class Peer extends Child {
  constructor(
    args: string[],
    { stdin = false, permissions = PERMISSIONS, env = {} }: {
      stdin?: boolean;
      permissions?: string[];
      env?: Record<string, string>;
    } = {},
  ) {
    super(Deno.execPath(), ["run", ...permissions, CLI, ...args], { env, stdin });
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

  /** Waits for an event that `match` accepts, and returns it. */
  async event(match: (e: Event) => boolean, what: string): Promise<Event> {
    let found: Event | undefined;
    await this.until(() => (found = this.events().find(match)) !== undefined, what);
    return found!;
  }
}

const address = (e: Event) => e.address as string;

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
