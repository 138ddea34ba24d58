/**
 * The same behaviour on every runtime. The smoke suite (tests/runtimes/smoke.ts:
 * join of 3 over UDP, broadcast, crash declared dead, graceful leave, keys,
 * the seed wire format, address in use, IPv6) runs under Deno with each
 * socket, Node.js and Bun; the command line runs end to end under Node.js,
 * Bun, and Deno without --unstable-net. Node.js and Bun run the single-file
 * build of `deno task bundle` (built once here). A runtime that is not
 * installed is reported as ignored, with the reason in the test's name.
 */

import assert from "node:assert/strict";
import { USAGE } from "../cli.ts";
import denoJson from "../deno.json" with { type: "json" };
import { build, Child, findBun, findNode, type Runtime } from "./runtimes/harness.ts";

const node = await findNode();
const bun = await findBun();
const deno: Runtime = { command: Deno.execPath(), version: `deno ${Deno.version.deno}` };

/** What the smoke suite checks; each must print `ok NAME...` (IPv6 may print `skip ipv6: WHY`). */
const CHECKS = [
  "join",
  "broadcast",
  "crash",
  "leave",
  "keys",
  "seed wire",
  "address in use",
  "ipv6",
];

/** Runs the smoke suite with `command args` (given the build) and checks its report. */
async function smoke(command: string, args: (b: Awaited<ReturnType<typeof build>>) => string[]) {
  const b = await build();
  await using child = new Child(command, args(b));
  const status = await child.exit();
  assert.equal(status.code, 0, child.output());
  for (const name of CHECKS) {
    const ok = child.lines.some((l) => l.startsWith(`ok ${name}:`));
    const skipped = name === "ipv6" && child.lines.some((l) => l.startsWith("skip ipv6: "));
    assert.ok(ok || skipped, `no "ok ${name}" line\n${child.output()}`);
  }
  assert.equal(child.lines.length, CHECKS.length, child.output());
}

Deno.test("runtimes: smoke suite on Deno with --unstable-net (Deno.listenDatagram, from source)", async () => {
  await smoke(deno.command, () => [
    "run",
    "--unstable-net",
    "--allow-net",
    "--allow-read",
    "tests/runtimes/smoke.ts",
    "./mod.ts",
  ]);
});

Deno.test("runtimes: smoke suite on Deno without --unstable-net (node:dgram, the bundle)", async () => {
  await smoke(
    deno.command,
    (b) => ["run", "--no-config", "--allow-net", "--allow-read", b.smoke, b.library],
  );
});

Deno.test({
  name: `runtimes: smoke suite on Node.js ${node?.version ?? "(ignored: node is not installed)"}`,
  ignore: !node,
  fn: () => smoke(node!.command, (b) => [b.smoke, b.library]),
});

Deno.test({
  name: `runtimes: smoke suite on Bun ${
    bun?.version ?? "(ignored: bun is not installed; bash .ci/run installs it from npm)"
  }`,
  ignore: !bun,
  fn: () => smoke(bun!.command, (b) => [b.smoke, b.library]),
});

// --- the command line ---------------------------------------------------------

/** A deno.json like ours without `"unstable": ["net"]`: as a JSR user runs cli.ts. */
async function stableConfig(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "peer-stable-" });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  const path = `${dir}/deno.json`;
  await Deno.writeTextFile(path, JSON.stringify({ imports: denoJson.imports }));
  return path;
}

/** How each runtime runs the command line: argv before the CLI's own arguments. */
type Launcher = () => Promise<{ command: string; args: string[] }>;

const launchers: [string, Runtime | undefined, Launcher][] = [
  [
    "Deno without --unstable-net (cli.ts, --allow-net only)",
    deno,
    async () => ({
      command: deno.command,
      args: ["run", "--allow-net", "--config", await stableConfig(), "--no-lock", "cli.ts"],
    }),
  ],
  ["Node.js", node, async () => ({ command: node!.command, args: [(await build()).cli] })],
  ["Bun", bun, async () => ({ command: bun!.command, args: [(await build()).cli] })],
];

for (const [name, runtime, launch] of launchers) {
  Deno.test({
    name: `runtimes: the command line on ${name}${
      runtime ? "" : " (ignored: not installed)"
    }: usage error, two peers, port in use, SIGTERM`,
    ignore: !runtime,
    async fn() {
      const { command, args } = await launch();
      const peer = (...more: string[]) => new Child(command, [...args, ...more]);

      // A usage error: exit 2, nothing on stdout, one line and the usage on stderr, as on Deno.
      {
        await using bad = peer("--port", "70000");
        assert.equal((await bad.exit()).code, 2, bad.output());
        assert.deepEqual(bad.lines, []);
        assert.equal(
          bad.stderr,
          `peer: --port must be an integer from 0 to 65535 (0: any free port), got "70000"\n${USAGE}\n`,
        );
      }

      // Two peers: A prints human lines, B JSON; they join and exchange messages.
      const common = ["--port", "0", "--period", "0.2"];
      await using a = peer(...common, "--message", "from A");
      const addrA = (await a.line((l) => l.startsWith("Listening on "), "A listening"))
        .slice("Listening on ".length);
      await using b = peer(...common, "--json", "--message", "from B", "--connect", addrA);
      const listening = JSON.parse(await b.line((l) => l.includes('"listening"'), "B listening"));
      const addrB = listening.address as string;
      assert.match(addrB, /^127\.0\.0\.1:\d+$/);
      await a.line((l) => l === `Peer joined: ${addrB}`, "A seeing B join");
      await a.line((l) => l === `Received message [from B] from ${addrB}`, "B's message at A");
      await a.line((l) => /^Sending message \[from A\] to 1 peers$/.test(l), "A sending to 1");
      const joined = JSON.parse(await b.line((l) => l.includes('"joined"'), "B joined"));
      assert.deepEqual(joined, { event: "joined", seed: addrA, members: 1 });
      const heard = JSON.parse(
        await b.line((l) => l.includes('"message"') && l.includes("from A"), "A's message at B"),
      );
      assert.equal(heard.from, addrA);
      assert.equal(heard.text, "from A");
      // The library's info line names the socket.
      const socket = /UDP socket 127\.0\.0\.1:\d+: (\S+)/;
      for (const p of [a, b]) {
        await p.until(() => socket.test(p.stderr), "the socket's log line");
        assert.equal(p.stderr.match(socket)![1], "node:dgram");
      }

      // A port in use: exit 1 with one line naming it.
      {
        await using taken = peer("--port", addrA.split(":")[1], "--log-level", "warning");
        assert.equal((await taken.exit()).code, 1, taken.output());
        assert.deepEqual(taken.lines, []);
        assert.match(
          taken.stderr,
          new RegExp(`^peer: address ${addrA} is already in use[^\n]*\n$`),
        );
      }

      // SIGTERM: B leaves (A is told: left, not dead) and exits 0; then A.
      b.kill("SIGTERM");
      assert.equal((await b.exit()).code, 0, b.output());
      assert.deepEqual(JSON.parse(b.lines.at(-1)!), { event: "leaving", reason: "SIGTERM" });
      await a.line((l) => l === `Peer left: ${addrB}`, "B's leave at A");
      a.kill("SIGTERM");
      assert.equal((await a.exit()).code, 0, a.output());
      assert.equal(a.lines.at(-1), "Leaving (SIGTERM)");
      assert.ok(!a.lines.includes(`Peer dead: ${addrB}`));
      for (const p of [a, b]) {
        assert.doesNotMatch(p.stderr, /^peer: |^\s+at /m, p.output());
      }
    },
  });
}

Deno.test("runtimes: Deno with --unstable-net keeps Deno.listenDatagram", async () => {
  await using p = new Child(deno.command, [
    "run",
    "--unstable-net",
    "--allow-net",
    "cli.ts",
    "--port",
    "0",
    "--message",
    "",
  ]);
  await p.line((l) => l.startsWith("Listening on "), "listening");
  const line = /UDP socket 127\.0\.0\.1:\d+: (\S+)/;
  await p.until(() => line.test(p.stderr), "the socket's log line");
  assert.equal(p.stderr.match(line)![1], "Deno.listenDatagram");
  p.kill("SIGTERM");
  assert.equal((await p.exit()).code, 0, p.output());
});

Deno.test({
  name: `runtimes: the runtimes benchmark (bench/runtime_bench.ts) runs, small, on ${
    node ? "Node.js" : "Deno (node:dgram)"
  }`,
  async fn() {
    const b = await build();
    const [command, args] = node ? [node.command, [b.bench]] : [deno.command, [
      "run",
      "--no-config",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      b.bench,
    ]];
    const small = ["--seconds", "0.3", "--n", "4", "--stream-s", "0.3"];
    await using child = new Child(command, [...args, b.library, ...small]);
    assert.equal((await child.exit()).code, 0, child.output());
    const lines = child.lines.map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.mode ?? l.figure), ["raw", "mesh", "epidemic", "cluster"]);
    assert.ok(lines[0].datagrams_per_s > 0 && lines[0].cpu_us_per_datagram > 0, child.output());
    assert.ok(lines[1].delivered_per_s > 0 && lines[2].delivered_per_s > 0, child.output());
    assert.equal(lines[3].converged, true, child.output());
    assert.ok(lines[3].cpu_us_per_node_delivery > 0, child.output());
    assert.equal(lines[0].socket, "node:dgram");
  },
});
