/**
 * The `peer` command that runs a node: start it on UDP, print its events,
 * broadcast `--message` every `--period` and every line typed on standard
 * input, and leave the cluster gracefully when stopped.
 *
 * @module
 */

import { formatAddress, parseAddress } from "../address.ts";
import { type PeerHttpServer, serveHttp } from "../http/mod.ts";
import { GossipNode, type GossipNodeOptions } from "../node.ts";
import { oneLine, RuntimeError } from "./errors.ts";
import type { CliOptions } from "./flags.ts";
import type { Io } from "./io.ts";
import { resolveKeys } from "./keys.ts";
import { configureLogging } from "./logging.ts";
import { type Print, printable, printer, watch } from "./output.ts";
import { isNamed, isPermissionError } from "./process.ts";
import { readLines } from "./read_lines.ts";
import { stopped } from "./signals.ts";

/** How long a graceful leave may take before the node is closed without it. */
const LEAVE_TIMEOUT = 5000;

/**
 * Runs a node until stopped (SIGINT, SIGTERM or `io.signal`), then leaves.
 *
 * @param options The parsed command line.
 * @param io Where to read and write.
 * @returns 0, once the node has left.
 * @throws {RuntimeError} When the keys cannot be read or the node cannot start.
 */
export async function runNode(options: CliOptions, io: Io): Promise<number> {
  const keys = await resolveKeys(options, io.env);
  // try/finally, not `await using`: Node.js 20 cannot parse it (see `deno task bundle`).
  const logging = io.logging ? await configureLogging(options.logLevel) : undefined;
  try {
    return await serve(options, io, keys);
  } finally {
    await logging?.[Symbol.asyncDispose]();
  }
}

/** Runs the node until stopped, then leaves; resolves to 0. */
async function serve(options: CliOptions, io: Io, keys: string[]): Promise<number> {
  const node = await startNode(options, keys);
  let http: PeerHttpServer | undefined;
  try {
    http = options.http ? serveEndpoint(node, options.http) : undefined;
  } catch (e) {
    await node.close();
    throw e;
  }
  const print = printer(options.json, io.stdout);
  watch(node, print);
  const stop = stopped(io.signal);
  print({ event: "listening", address: node.address }, `Listening on ${node.address}`);
  if (http) print({ event: "http", url: http.url }, `HTTP on ${http.url}`);

  const send = broadcaster(node, print, io.stderr);
  const timer = options.message === ""
    ? undefined
    : setInterval(() => send(options.message), options.period * 1000);
  const stdin = io.stdin();
  const lines = stdin ? readLines(stdin, send) : undefined;

  const why = await stop;
  clearInterval(timer);
  lines?.cancel();
  print({ event: "leaving", reason: why }, `Leaving (${why})`);
  await http?.shutdown();
  await leave(node, io.stderr);
  return 0;
}

/**
 * Serves the node's HTTP endpoint on `address` (`HOST:PORT`, checked by the
 * flag parser).
 *
 * @throws {RuntimeError} With one line naming the cause when it cannot bind.
 */
function serveEndpoint(node: GossipNode, address: string): PeerHttpServer {
  const { hostname, port } = parseAddress(address);
  try {
    return serveHttp(node, { hostname, port });
  } catch (e) {
    const hint = isPermissionError(e) ? " (run with --allow-net)" : "";
    throw new RuntimeError(`cannot serve HTTP on ${address}: ${oneLine(e)}${hint}`);
  }
}

/**
 * The {@link GossipNodeOptions} a command line starts a node with. `--period`
 * is not among them: it is the cadence of `--message` only, and the
 * protocol's rounds follow the profile.
 *
 * @param options The parsed command line.
 * @param keys The keys from {@link resolveKeys}; empty for none.
 * @returns Options for `GossipNode.start`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCli } from "@gossip/peer/cli";
 * import { nodeOptions } from "./run.ts";
 * const start = nodeOptions(parseCli(["--period", "5", "--profile", "local"]), []);
 * assert.equal(start.profile, "local");
 * assert.equal("period" in start, false);
 * ```
 */
export function nodeOptions(options: CliOptions, keys: string[]): GossipNodeOptions {
  const start: GossipNodeOptions = {
    hostname: options.hostname,
    port: options.port,
    seeds: options.seeds,
  };
  if (options.profile) start.profile = options.profile;
  if (options.mode) start.mode = options.mode;
  if (options.advertise) start.advertise = options.advertise;
  if (options.wire) start.wire = options.wire;
  if (keys.length > 0) start.keys = keys;
  if (options.label) start.label = options.label;
  if (Object.keys(options.tags).length > 0) start.tags = options.tags;
  return start;
}

/**
 * Starts the node a command line describes.
 *
 * @param options The parsed command line.
 * @param keys The keys from {@link resolveKeys}; empty for none.
 * @returns The started node.
 * @throws {RuntimeError} With one line naming the cause and the fix, when
 * permission is missing, the address is taken, or the options are refused.
 */
export async function startNode(options: CliOptions, keys: string[]): Promise<GossipNode> {
  try {
    return await GossipNode.start(nodeOptions(options, keys));
  } catch (e) {
    throw new RuntimeError(describeStartError(e, options));
  }
}

/** One line naming the cause (and the fix) of a failure to start. */
function describeStartError(e: unknown, options: CliOptions): string {
  if (isPermissionError(e)) {
    const message = oneLine(e);
    return message.includes("--allow-net") ? message : `${message} (run with --allow-net)`;
  }
  if (
    isNamed(e, "AddrInUse") || isNamed(e, "AddrNotAvailable") ||
    e instanceof TypeError || e instanceof RangeError
  ) {
    return oneLine(e);
  }
  const where = formatAddress(options.hostname, options.port);
  return `cannot start on ${where}: ${oneLine(e)}`;
}

/** Broadcasts a text and prints it; a message the node refuses is one line on stderr. */
function broadcaster(
  node: GossipNode,
  print: Print,
  err: (line: string) => void,
): (text: string) => void {
  return (text) => {
    const peers = node.peers().length;
    try {
      node.broadcast(text);
    } catch (e) {
      err(`peer: cannot send that message: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    print(
      { event: "send", text, peers },
      `Sending message [${printable(text)}] to ${peers} peers`,
    );
  };
}

/** Leaves the cluster; if that takes too long, closes without waiting. */
async function leave(node: GossipNode, err: (line: string) => void): Promise<void> {
  let timeout: ReturnType<typeof setTimeout> | undefined;
  const slow = new Promise<"slow">((resolve) =>
    timeout = setTimeout(() => resolve("slow"), LEAVE_TIMEOUT)
  );
  const result = await Promise.race([node.leave().then(() => "done" as const), slow]);
  clearTimeout(timeout);
  if (result === "slow") {
    err("peer: leaving took over 5 s; closing without waiting");
    await node.close();
  }
}
