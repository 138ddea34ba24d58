/**
 * The command line's HTTP side: `--http HOST:PORT` on a running peer, and the
 * `members` and `monitor` commands against it, in process (`main`) and end
 * to end as child processes: three CLI peers with `--http` on one, whose
 * `/metrics` parses, whose members `peer members` lists, and whose events
 * `peer monitor` follows through a leave.
 */

import assert from "node:assert/strict";
import { main, parseCli, USAGE, UsageError } from "../cli.ts";
import { serveHttp } from "../src/http/mod.ts";
import { CliChild, ownLines, runCli } from "./cli_child.ts";
import { closeAll, notify, startCluster, startNode, waitFor } from "./helpers.ts";
import { parsePrometheus, valueOf } from "./prometheus_parse.ts";

/** A loopback address where nothing listens (bound, then freed). */
function nobody(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return `127.0.0.1:${port}`;
}

/** An in-process `main` whose output is collected and wakes the waiters. */
function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    stdout: (l: string) => (out.push(l), notify()),
    stderr: (l: string) => (err.push(l), notify()),
    stdin: null,
    logging: false,
  };
  return { out, err, io };
}

Deno.test("http cli: --http, members and monitor parse; bad use is a one-line usage error", () => {
  assert.equal(parseCli(["--http", "127.0.0.1:0"]).http, "127.0.0.1:0");
  assert.equal(parseCli(["--http", "[::1]:9090"]).http, "[::1]:9090");
  assert.equal(parseCli([]).http, undefined);
  const m = parseCli(["members", "--http", "http://127.0.0.1:9090/", "--json"]);
  assert.deepEqual([m.command, m.http, m.json], ["members", "127.0.0.1:9090", true]);
  assert.equal(parseCli(["monitor", "--http=localhost:9090"]).http, "localhost:9090");
  assert.equal(parseCli(["members", "--help"]).command, "help");
  assert.match(USAGE, /peer members --http HOST:PORT/);
  assert.match(USAGE, /--http HOST:PORT +serve/);

  const bad: [string[], RegExp][] = [
    [["--http", "nope"], /^--http: "nope" is not HOST:PORT/],
    [["--http", "127.0.0.1:70000"], /^--http: .*no valid port/],
    [["--http"], /option --http needs a value/],
    [["members"], /^members needs --http HOST:PORT/],
    [["monitor", "--json"], /^monitor needs --http/],
    [["members", "--http", "127.0.0.1:0"], /needs a port from 1 to 65535/],
    [
      ["members", "--http", "127.0.0.1:9090", "--port", "1"],
      /members takes only --http and --json \(got --port\)/,
    ],
    [["monitor", "--http", "127.0.0.1:9090", "extra"], /unexpected argument "extra"/],
  ];
  for (const [args, message] of bad) {
    assert.throws(() => parseCli(args), (e: unknown) => {
      assert.ok(e instanceof UsageError, `${args.join(" ")}: ${e}`);
      assert.match(e.message, message, args.join(" "));
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("http cli: members prints the table (and --json); nothing answering is one line and exit 1", async () => {
  const nodes = await startCluster(2);
  await using server = serveHttp(nodes[0]);
  const address = server.url.slice("http://".length);
  try {
    await waitFor(() => nodes[0].peers().length === 1, { what: "two nodes joined" });
    const table = capture();
    assert.equal(await main(["members", "--http", address], table.io), 0);
    assert.deepEqual(table.err, []);
    assert.match(table.out[0], /^ADDRESS +STATE +INCARNATION +TAGS$/);
    assert.equal(table.out.length, 3);
    assert.match(table.out[1], new RegExp(`^${nodes[0].address} +alive +0$`), "self first");
    assert.match(table.out[2], new RegExp(`^${nodes[1].address} +alive +0$`));

    const json = capture();
    assert.equal(await main(["members", "--http", address, "--json"], json.io), 0);
    assert.equal(json.out.length, 1);
    assert.deepEqual(JSON.parse(json.out[0]), nodes[0].members());
  } finally {
    await closeAll(nodes);
  }

  const none = capture();
  const where = nobody();
  assert.equal(await main(["members", "--http", where], none.io), 1);
  assert.deepEqual(none.out, []);
  assert.equal(none.err.length, 1);
  assert.match(none.err[0], new RegExp(`^peer: nothing answers at http://${where}/members \\(`));
  assert.match(none.err[0], /is a peer running there with --http\?$/);

  // Something that is not a peer answers: one line too.
  await using other = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () => new Response("hello", { status: 200 }),
  );
  const wrong = capture();
  const at = `127.0.0.1:${other.addr.port}`;
  assert.equal(await main(["members", "--http", at], wrong.io), 1);
  assert.match(wrong.err[0], /^peer: http:\/\/127\.0\.0\.1:\d+\/members did not answer with JSON/);
  assert.equal(await main(["monitor", "--http", at], wrong.io), 1);
  assert.match(wrong.err[1], /is not an event stream: is it a peer's --http\?$/);
});

Deno.test("http cli: monitor prints member events until stopped, and says when the node goes away", async () => {
  await using node = await startNode();
  const server = serveHttp(node);
  const address = server.url.slice("http://".length);
  const controller = new AbortController();
  const human = capture();
  const json = capture();
  const running = main(["monitor", "--http", address], { ...human.io, signal: controller.signal });
  const runningJson = main(["monitor", "--http", address, "--json"], json.io);
  await waitFor(() => human.out.length > 0 && json.out.length > 0, { what: "monitoring" });
  assert.equal(human.out[0], `Monitoring ${node.address} at ${server.url}/events (1 members)`);
  assert.deepEqual(JSON.parse(json.out[0]), {
    event: "monitoring",
    address: node.address,
    url: `${server.url}/events`,
    members: 1,
  });

  const other = await startNode({ seeds: [node.address] });
  await waitFor(() => human.out.length > 1 && json.out.length > 1, { what: "the join" });
  assert.equal(human.out[1], `Peer joined: ${other.address}`);
  assert.deepEqual(JSON.parse(json.out[1]), {
    event: "join",
    address: other.address,
    incarnation: 0,
  });
  await other.leave();
  await waitFor(() => human.out.length > 2 && json.out.length > 2, { what: "the leave" });
  assert.equal(human.out[2], `Peer left: ${other.address}`);
  assert.deepEqual(JSON.parse(json.out[2]), {
    event: "leave",
    address: other.address,
    incarnation: 0,
  });

  controller.abort();
  assert.equal(await running, 0, "interrupted: exit 0");
  assert.deepEqual(human.err, []);
  await server.shutdown();
  assert.equal(await runningJson, 1, "the node went away: exit 1");
  assert.deepEqual(json.err, [
    `peer: the node at ${server.url}/events ended the event stream (it stopped?)`,
  ]);

  const none = capture();
  assert.equal(await main(["monitor", "--http", nobody()], none.io), 1);
  assert.match(none.err[0], /^peer: nothing answers at http:\/\/127\.0\.0\.1:\d+\/events \(/);
});

Deno.test("http cli: three CLI peers, --http on one: /metrics parses, `peer members` lists them, `peer monitor` follows a leave", async () => {
  const common = ["--message", "", "--log-level", "warning", "--profile", "local"];
  await using a = new CliChild(["--json", "--http", "127.0.0.1:0", ...common]);
  const url = String((await a.event("http")).url);
  const seed = String((await a.event("listening")).address);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  await using b = new CliChild(["--json", "--connect", seed, ...common]);
  await using c = new CliChild(["--json", "--connect", seed, ...common]);
  const bAddress = String((await b.event("listening")).address);
  const cAddress = String((await c.event("listening")).address);
  await a.event("join", (e) => e.address === bAddress);
  await a.event("join", (e) => e.address === cAddress);

  const metrics = await fetch(`${url}/metrics`);
  assert.match(metrics.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  const families = parsePrometheus(await metrics.text());
  assert.equal(valueOf(families, "peer_members", { state: "alive" }), 3);

  const http = url.slice("http://".length);
  const listed = await runCli(["members", "--http", http]);
  assert.equal(listed.code, 0, listed.stderr);
  const rows = listed.stdout.trimEnd().split("\n");
  assert.equal(rows.length, 4, listed.stdout);
  for (const address of [seed, bAddress, cAddress]) {
    assert.ok(rows.some((r) => new RegExp(`^${address} +alive +0$`).test(r)), `${address} listed`);
  }

  await using monitor = new CliChild(["monitor", "--http", http]);
  await monitor.line((l) => l.startsWith("Monitoring "), "monitoring");
  b.kill("SIGTERM");
  assert.equal((await b.exit()).code, 0);
  await monitor.line((l) => l === `Peer left: ${bAddress}`, "the leave, through monitor");
  monitor.kill("SIGINT");
  assert.equal((await monitor.exit()).code, 0, monitor.stderr);
  assert.deepEqual(ownLines(monitor.stderr), []);

  const after = await runCli(["members", "--http", http, "--json"]);
  const states = Object.fromEntries(
    (JSON.parse(after.stdout) as { address: string; state: string }[]).map((
      m,
    ) => [m.address, m.state]),
  );
  assert.deepEqual(states, { [seed]: "alive", [bAddress]: "left", [cAddress]: "alive" });
});

Deno.test("http cli: an HTTP port already taken is one line and exit 1, and no node is left running", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const r = await runCli([
      "--http",
      `127.0.0.1:${port}`,
      "--message",
      "",
      "--log-level",
      "warning",
    ]);
    assert.equal(r.code, 1);
    const lines = ownLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], new RegExp(`^peer: cannot serve HTTP on 127\\.0\\.0\\.1:${port}: `));
    assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
    assert.equal(r.stdout, "");
  } finally {
    taken.close();
  }
});
