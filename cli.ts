/**
 * The `peer` command line: start a gossip node on UDP, print what happens to
 * it (peers joining, going away, messages arriving), broadcast a message every
 * period and every line typed on standard input, and leave the cluster
 * gracefully on SIGINT or SIGTERM.
 *
 * ```sh
 * deno run --unstable-net --allow-net --allow-env jsr:@gossip/peer/cli --port 8080
 * deno run --unstable-net --allow-net --allow-env jsr:@gossip/peer/cli --port 8081 \
 *   --connect 127.0.0.1:8080
 * ```
 *
 * Exit codes: 0 after SIGINT or SIGTERM (the node leaves first), 1 for a
 * runtime error such as a port already in use or missing permission, 2 for a
 * usage error. Expected errors are one line, `peer: <message>`, on stderr.
 *
 * This module only parses flags, sets up logging and signals and prints
 * events; the protocol is {@link GossipNode}'s. Importing it has no side
 * effects.
 *
 * @example Run the command line from a script
 * ```ts ignore
 * import { main } from "@gossip/peer/cli";
 * const controller = new AbortController();
 * const code = main(["--port", "0", "--json"], { signal: controller.signal, stdin: null });
 * setTimeout(() => controller.abort(), 5000);
 * console.log("exit code", await code);
 * ```
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import {
  configure,
  dispose,
  getStreamSink,
  getTextFormatter,
  type LogLevel,
} from "@logtape/logtape";
import denoJson from "./deno.json" with { type: "json" };
import {
  formatAddress,
  GossipNode,
  type GossipNodeOptions,
  parseAddress,
  type ProfileName,
} from "./mod.ts";

/**
 * The package version, from `deno.json`.
 *
 * @example
 * ```ts
 * import { VERSION } from "@gossip/peer/cli";
 * console.assert(/^\d+\.\d+\.\d+/.test(VERSION));
 * ```
 */
export const VERSION: string = denoJson.version;

/**
 * The usage text `--help` prints (and usage errors print after their message).
 *
 * @example
 * ```ts
 * import { USAGE } from "@gossip/peer/cli";
 * console.assert(USAGE.includes("--connect"));
 * ```
 */
export const USAGE: string = `Usage: peer [options]
       peer keygen

Starts a gossip peer on UDP, prints what happens to it, and broadcasts a message
every period and every line typed on standard input. SIGINT or SIGTERM makes it
leave the cluster gracefully and exit.

Options:
  --port N               UDP port to bind, 1-65535, or 0 for any free one (default 0)
  --host ADDR            address to bind (default 127.0.0.1)
  --connect HOST:PORT    peer to join through; repeatable; IPv6 as [::1]:8080
  --period S             seconds between broadcasts of --message and between gossip
                         rounds; > 0, decimals allowed (default 1)
  --message TEXT         what to broadcast every period (default "Hello!"; "" for nothing)
  --profile NAME         protocol settings: local, lan or wan (default lan)
  --mode MODE            epidemic (gossip to a few per round) or mesh (send to every
                         peer) (default: the profile's, epidemic)
  --advertise HOST:PORT  address the others reach this node at (default: the bound one;
                         127.0.0.1 when binding 0.0.0.0)
  --json                 print one JSON object per line per event, nothing else
  --log-level LEVEL      library logs on stderr: trace, debug, info, warning, error or
                         fatal (default info)
  --wire FORMAT          wire format: native (default) or seed (the original program's;
                         no keys or label)
  --key BASE64           encryption key (16, 24 or 32 bytes); repeatable, the first is
                         primary
  --key-file PATH        file with one key a line (needs --allow-read)
  --label NAME           cluster label (at most 255 bytes)
  -h, --help             print this and exit
  -V, --version          print the version and exit

Commands:
  keygen                 print a new random key (32 bytes, base64) and exit

Environment:
  PEER_KEY               keys (comma separated), used when no --key or --key-file is given

Exit codes: 0 after SIGINT/SIGTERM, 1 runtime error, 2 usage error.`;

/**
 * A bad command line. Its message is one line, without the `peer: ` prefix.
 *
 * @example
 * ```ts
 * import { parseCli, UsageError } from "@gossip/peer/cli";
 * try {
 *   parseCli(["--port", "70000"]);
 * } catch (e) {
 *   console.assert(e instanceof UsageError);
 * }
 * ```
 */
export class UsageError extends Error {
  /** Makes one with a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The log levels `--log-level` takes, most verbose first. */
const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];
const PROFILES: readonly ProfileName[] = ["local", "lan", "wan"];
const MODES: readonly ("epidemic" | "mesh")[] = ["epidemic", "mesh"];
const WIRES: readonly ("native" | "seed")[] = ["native", "seed"];
const KEY_SIZES: readonly number[] = [16, 24, 32];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** `setInterval` cannot wait longer than 2^31-1 ms; a day is plenty. */
const MAX_PERIOD = 86_400;

/**
 * A parsed command line.
 *
 * @example
 * ```ts
 * import { type CliOptions, parseCli } from "@gossip/peer/cli";
 * const options: CliOptions = parseCli(["--port", "8080"]);
 * console.assert(options.port === 8080 && options.period === 1);
 * ```
 */
export interface CliOptions {
  /** What to do: run a node (the default), print help or the version, or make a key. */
  command: "run" | "help" | "version" | "keygen";
  /** `--host`: the address to bind, without brackets (default `127.0.0.1`). */
  hostname: string;
  /** `--port`: 0 to 65535; 0 (default) binds any free port. */
  port: number;
  /** `--period` in seconds (default 1). */
  period: number;
  /** `--connect`, in order. */
  seeds: string[];
  /** `--message` (default `Hello!`); empty: nothing is broadcast periodically. */
  message: string;
  /** `--log-level` (default `info`). */
  logLevel: "trace" | "debug" | "info" | "warning" | "error" | "fatal";
  /** `--json`. */
  json: boolean;
  /** `--profile`, if given. */
  profile?: "local" | "lan" | "wan";
  /** `--mode`, if given. */
  mode?: "epidemic" | "mesh";
  /** `--advertise`, if given. */
  advertise?: string;
  /** `--wire`, if given. */
  wire?: "native" | "seed";
  /** `--key` values, in order (checked to be base64 of 16, 24 or 32 bytes). */
  keys: string[];
  /** `--key-file`, if given (read when the node starts). */
  keyFile?: string;
  /** `--label`, if given and not empty. */
  label?: string;
}

const OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  connect: { type: "string", multiple: true },
  period: { type: "string" },
  message: { type: "string" },
  profile: { type: "string" },
  mode: { type: "string" },
  advertise: { type: "string" },
  json: { type: "boolean" },
  "log-level": { type: "string" },
  wire: { type: "string" },
  key: { type: "string", multiple: true },
  "key-file": { type: "string" },
  label: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const satisfies ParseArgsOptionsConfig;

/**
 * Parses and checks a command line (without the program name). Throws
 * {@link UsageError} with a one-line message for unknown flags, missing
 * values, bad numbers or addresses, and positional arguments. Reads no files
 * and no environment: `--key-file` and `PEER_KEY` are read by {@link main}.
 *
 * @param args The arguments, e.g. `Deno.args`.
 * @returns The options, with defaults filled in.
 * @throws {UsageError} When the command line is not valid.
 * @example
 * ```ts
 * import { parseCli } from "@gossip/peer/cli";
 * const o = parseCli(["--period", "0.5", "--connect", "127.0.0.1:8080", "--connect", "[::1]:8081"]);
 * console.assert(o.period === 0.5 && o.seeds.length === 2 && o.port === 0);
 * ```
 */
export function parseCli(args: string[]): CliOptions {
  let command: CliOptions["command"] = "run";
  let rest = args;
  if (args[0] === "keygen") {
    command = "keygen";
    rest = args.slice(1);
  }
  let values;
  try {
    values = parseArgs({
      args: joinNegativeValues(rest),
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new UsageError(describeParseError(e));
  }
  const options: CliOptions = {
    command,
    hostname: "127.0.0.1",
    port: 0,
    period: 1,
    seeds: [],
    message: "Hello!",
    logLevel: "info",
    json: values.json ?? false,
    keys: [],
  };
  if (values.help) return { ...options, command: "help" };
  if (values.version) return { ...options, command: "version" };
  if (command === "keygen") {
    if (rest.length > 0) throw new UsageError(`keygen takes no options (got ${rest[0]})`);
    return options;
  }

  if (values.port !== undefined) {
    const v = values.port;
    if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) {
      throw new UsageError(
        `--port must be an integer from 0 to 65535 (0: any free port), got "${v}"`,
      );
    }
    options.port = Number(v);
  }
  if (values.period !== undefined) {
    const v = values.period;
    const n = Number(v);
    if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(v) || !(n > 0) || n > MAX_PERIOD) {
      throw new UsageError(
        `--period must be a number of seconds above 0 and at most ${MAX_PERIOD}, got "${v}"`,
      );
    }
    options.period = n;
  }
  if (values.host !== undefined) {
    let v = values.host;
    if (v.startsWith("[") && v.endsWith("]")) v = v.slice(1, -1);
    if (v === "" || /\s/.test(v)) throw new UsageError(`--host must be an address, got "${v}"`);
    options.hostname = v;
  }
  for (const seed of values.connect ?? []) {
    options.seeds.push(checkAddress("--connect", seed));
  }
  if (values.advertise !== undefined) {
    options.advertise = checkAddress("--advertise", values.advertise);
  }
  if (values.message !== undefined) options.message = values.message;
  if (values["log-level"] !== undefined) {
    options.logLevel = choice("--log-level", values["log-level"], LOG_LEVELS);
  }
  if (values.profile !== undefined) {
    options.profile = choice("--profile", values.profile, PROFILES);
  }
  if (values.mode !== undefined) options.mode = choice("--mode", values.mode, MODES);
  if (values.wire !== undefined) options.wire = choice("--wire", values.wire, WIRES);
  for (const [i, key] of (values.key ?? []).entries()) {
    const problem = keyProblem(key);
    if (problem) throw new UsageError(`--key (number ${i + 1}): ${problem}`);
    options.keys.push(key);
  }
  if (values["key-file"] !== undefined) {
    if (values["key-file"] === "") throw new UsageError(`--key-file needs a path`);
    options.keyFile = values["key-file"];
  }
  if (values.label !== undefined) {
    const bytes = new TextEncoder().encode(values.label).length;
    if (bytes > 255) {
      throw new UsageError(`--label must be at most 255 bytes of UTF-8, got ${bytes}`);
    }
    if (bytes > 0) options.label = values.label;
  }
  if (options.wire === "seed" && (options.keys.length > 0 || options.keyFile || options.label)) {
    throw new UsageError(`--wire seed cannot be used with --key, --key-file or --label`);
  }
  return options;
}

/** Value-taking long options, for {@link joinNegativeValues}. */
const VALUE_FLAGS = new Set(
  Object.entries(OPTIONS).filter(([, o]) => o.type === "string").map(([name]) => `--${name}`),
);

/**
 * `parseArgs` calls `--period -1` ambiguous; make it `--period=-1` so that the
 * number check gives the better message.
 */
function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    if (VALUE_FLAGS.has(a) && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Turns a `parseArgs` error into one short line. */
function describeParseError(e: unknown): string {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? "";
  const flag = quoted.split(" ")[0];
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${quoted}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument "${quoted}" (peer takes only options)`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (message.includes("does not take an argument")) return `option ${flag} takes no value`;
      if (message.includes("ambiguous")) {
        return `option ${flag} needs a value (for one that starts with "-", write ${flag}=VALUE)`;
      }
      return `option ${flag} needs a value`;
    default:
      return message.split("\n")[0];
  }
}

function checkAddress(flag: string, text: string): string {
  let port: number;
  try {
    port = parseAddress(text).port;
  } catch (e) {
    throw new UsageError(`${flag}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (port === 0) throw new UsageError(`${flag}: "${text}" needs a port from 1 to 65535`);
  return text;
}

function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as T;
}

/** Why `text` is not a key (base64 of 16, 24 or 32 bytes), or undefined. Never repeats it. */
function keyProblem(text: string): string | undefined {
  if (!BASE64.test(text)) return "a key must be base64 of 16, 24 or 32 bytes (not valid base64)";
  const length = atob(text).length;
  if (!KEY_SIZES.includes(length)) {
    return `a key must be base64 of 16, 24 or 32 bytes (got ${length})`;
  }
  return undefined;
}

/**
 * Where {@link main} reads and writes; every field is optional and defaults
 * to the process's own.
 *
 * @example Capture the output
 * ```ts
 * import type { CliIo } from "@gossip/peer/cli";
 * const lines: string[] = [];
 * const io: CliIo = { stdout: (line) => lines.push(line), stdin: null };
 * ```
 */
export interface CliIo {
  /** Writes one line of output (no newline included). Default: standard output. */
  stdout?: (line: string) => void;
  /** Writes one line of diagnostics. Default: standard error. */
  stderr?: (line: string) => void;
  /** Lines to broadcast; `null` for none. Default: standard input. */
  stdin?: ReadableStream<Uint8Array> | null;
  /** Reads an environment variable (`PEER_KEY`). Default: `Deno.env`, if permitted. */
  env?: (name: string) => string | undefined;
  /**
   * Stops the node (it leaves gracefully and `main` resolves to 0) when
   * aborted. When given, no SIGINT/SIGTERM listeners are installed.
   */
  signal?: AbortSignal;
  /** Whether to configure LogTape (category `["peer"]` to stderr). Default `true`. */
  logging?: boolean;
}

/**
 * Runs the command line: parses `args`, starts the node, prints its events,
 * broadcasts, and on SIGINT/SIGTERM (or `io.signal`) leaves gracefully.
 * Resolves to the exit code: 0 after a signal (or for `--help`,
 * `--version`, `keygen`), 1 for a runtime error, 2 for a usage error. It
 * never calls `Deno.exit` itself.
 *
 * @param args The arguments without the program name, e.g. `Deno.args`.
 * @param io Where to read and write; defaults to the process's streams.
 * @returns The exit code.
 * @example
 * ```ts
 * import { main } from "@gossip/peer/cli";
 * const lines: string[] = [];
 * const code = await main(["--version"], { stdout: (l) => lines.push(l) });
 * console.assert(code === 0 && lines[0].startsWith("peer "));
 * ```
 */
export async function main(args: string[], io: CliIo = {}): Promise<number> {
  const out = io.stdout ?? lineWriter(Deno.stdout);
  const err = io.stderr ?? lineWriter(Deno.stderr);
  let options: CliOptions;
  try {
    options = parseCli(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`peer: ${e.message}`);
    err(USAGE);
    return 2;
  }
  switch (options.command) {
    case "help":
      out(USAGE);
      return 0;
    case "version":
      out(`peer ${VERSION}`);
      return 0;
    case "keygen":
      out(toBase64(crypto.getRandomValues(new Uint8Array(32))));
      return 0;
  }
  return await run(options, io, out, err);
}

/** An expected runtime failure: printed as one line, exit code 1. */
class RuntimeError extends Error {}

async function run(
  options: CliOptions,
  io: CliIo,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  let keys: string[];
  try {
    keys = await resolveKeys(options, io.env ?? readEnv);
  } catch (e) {
    if (!(e instanceof RuntimeError)) throw e;
    err(`peer: ${e.message}`);
    return 1;
  }
  const logging = io.logging ?? true;
  if (logging) await configureLogging(options.logLevel);
  try {
    const start: GossipNodeOptions = {
      hostname: options.hostname,
      port: options.port,
      seeds: options.seeds,
      period: options.period * 1000,
    };
    if (options.profile) start.profile = options.profile;
    if (options.mode) start.mode = options.mode;
    if (options.advertise) start.advertise = options.advertise;
    if (options.wire) start.wire = options.wire;
    if (keys.length > 0) start.keys = keys;
    if (options.label) start.label = options.label;

    if (typeof (Deno as { listenDatagram?: unknown }).listenDatagram !== "function") {
      err(
        'peer: UDP needs the unstable net API: run with --unstable-net (or "unstable": ["net"] in deno.json)',
      );
      return 1;
    }
    let node: GossipNode;
    try {
      node = await GossipNode.start(start);
    } catch (e) {
      err(`peer: ${describeStartError(e, options)}`);
      return 1;
    }
    const print = printer(options.json, out);
    watch(node, print);
    const stop = stopSignal(io.signal);
    print({ event: "listening", address: node.address }, `Listening on ${node.address}`);

    const send = (text: string) => {
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
    const timer = options.message === ""
      ? undefined
      : setInterval(() => send(options.message), options.period * 1000);
    const stdin = io.stdin === undefined ? Deno.stdin.readable : io.stdin;
    const lines = stdin ? readLines(stdin, send) : undefined;

    const why = await stop.stopped;
    clearInterval(timer);
    lines?.cancel();
    print({ event: "leaving", reason: why }, `Leaving (${why})`);
    let timeout: ReturnType<typeof setTimeout> | undefined;
    const slow = new Promise<"slow">((resolve) =>
      timeout = setTimeout(() => resolve("slow"), 5000)
    );
    const result = await Promise.race([node.leave().then(() => "done" as const), slow]);
    clearTimeout(timeout);
    if (result === "slow") {
      err("peer: leaving took over 5 s; closing without waiting");
      await node.close();
    }
    return 0;
  } finally {
    if (logging) await dispose();
  }
}

/** Reads `PEER_KEY` only when env access is granted (no permission prompt). */
function readEnv(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return undefined;
    }
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** `--key` values, then the key file's, or else `PEER_KEY`'s. */
async function resolveKeys(
  options: CliOptions,
  env: (name: string) => string | undefined,
): Promise<string[]> {
  const keys = [...options.keys];
  const path = options.keyFile;
  if (path !== undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        throw new RuntimeError(`no permission to read key file ${path}: run with --allow-read`);
      }
      if (e instanceof Deno.errors.NotFound) throw new RuntimeError(`key file ${path} not found`);
      throw new RuntimeError(`cannot read key file ${path}: ${oneLine(e)}`);
    }
    let found = 0;
    for (const [i, raw] of text.split("\n").entries()) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const problem = keyProblem(line);
      if (problem) throw new RuntimeError(`key file ${path}, line ${i + 1}: ${problem}`);
      keys.push(line);
      found++;
    }
    if (found === 0) throw new RuntimeError(`key file ${path} holds no key`);
  }
  if (keys.length === 0) {
    const fromEnv = (env("PEER_KEY") ?? "").split(/[\s,]+/).filter((k) => k !== "");
    for (const [i, key] of fromEnv.entries()) {
      const problem = keyProblem(key);
      if (problem) throw new RuntimeError(`PEER_KEY (key number ${i + 1}): ${problem}`);
      keys.push(key);
    }
  }
  return keys;
}

async function configureLogging(level: LogLevel): Promise<void> {
  await configure({
    reset: true,
    sinks: {
      stderr: getStreamSink(Deno.stderr.writable, {
        closeStream: false,
        formatter: getTextFormatter({ value: "bare" }),
      }),
    },
    loggers: [
      { category: ["peer"], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/** One line naming the cause (and the fix) of a failure to start. */
function describeStartError(e: unknown, options: CliOptions): string {
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
    const message = oneLine(e);
    return message.includes("--allow-net") ? message : `${message} (run with --allow-net)`;
  }
  if (
    e instanceof Deno.errors.AddrInUse || e instanceof Deno.errors.AddrNotAvailable ||
    e instanceof TypeError || e instanceof RangeError
  ) {
    return oneLine(e);
  }
  const where = formatAddress(options.hostname, options.port);
  return `cannot start on ${where}: ${oneLine(e)}`;
}

function oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split("\n").map((l) => l.trim()).filter((l) => l !== "").join("; ");
}

type Print = (event: Record<string, unknown>, human: string) => void;

function printer(json: boolean, out: (line: string) => void): Print {
  return json ? (event) => out(JSON.stringify(event)) : (_event, human) => out(human);
}

const decoder = new TextDecoder();

/** Prints the node's events. */
function watch(node: GossipNode, print: Print): void {
  node.addEventListener("joined", ({ detail: d }) => {
    print(
      { event: "joined", seed: d.seed, members: d.members },
      `Joined via ${d.seed} (${d.members} members)`,
    );
  });
  node.addEventListener("join", ({ detail: d }) => {
    print(
      { event: "join", address: d.address, incarnation: d.incarnation },
      `Peer joined: ${d.address}`,
    );
  });
  node.addEventListener("suspect", ({ detail: d }) => {
    print(
      { event: "suspect", address: d.address, incarnation: d.incarnation, from: d.from },
      `Peer suspected: ${d.address}`,
    );
  });
  node.addEventListener("alive", ({ detail: d }) => {
    print(
      { event: "alive", address: d.address, incarnation: d.incarnation },
      `Peer alive again: ${d.address}`,
    );
  });
  node.addEventListener("dead", ({ detail: d }) => {
    print(
      { event: "dead", address: d.address, incarnation: d.incarnation, from: d.from },
      `Peer dead: ${d.address}`,
    );
  });
  node.addEventListener("leave", ({ detail: d }) => {
    print(
      { event: "leave", address: d.address, incarnation: d.incarnation },
      `Peer left: ${d.address}`,
    );
  });
  node.addEventListener("message", ({ detail: d }) => {
    const text = decoder.decode(d.payload);
    print(
      { event: "message", from: d.from, via: d.via, id: d.id, hops: d.hops, text },
      `Received message [${printable(text)}] from ${d.from}`,
    );
  });
}

/** Control characters as escapes, so that one event stays one line and cannot drive the terminal. */
function printable(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const escaped = JSON.stringify(c).slice(1, -1);
    return escaped.length > 1 ? escaped : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/** Resolves with the signal's name on the first SIGINT/SIGTERM (or abort); listeners removed then. */
function stopSignal(abort?: AbortSignal): { stopped: Promise<string> } {
  if (abort) {
    return {
      stopped: new Promise((resolve) => {
        if (abort.aborted) resolve("abort");
        else abort.addEventListener("abort", () => resolve("abort"), { once: true });
      }),
    };
  }
  return {
    stopped: new Promise((resolve) => {
      const installed: [Deno.Signal, () => void][] = [];
      for (const name of ["SIGINT", "SIGTERM"] as const) {
        const handler = () => {
          // A second signal now gets the default action: a stuck leave can still be interrupted.
          for (const [n, h] of installed) Deno.removeSignalListener(n, h);
          resolve(name);
        };
        try {
          Deno.addSignalListener(name, handler);
          installed.push([name, handler]);
        } catch {
          // Not every platform has SIGTERM (Windows); SIGINT is enough there.
        }
      }
    }),
  };
}

/**
 * Calls `onLine` for each non-empty line; EOF just ends it (the node keeps
 * running). `cancel()` stops reading without waiting for a pending read.
 */
function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): { cancel(): void } {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let cancelled = false;
  (async () => {
    let buffer = "";
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let nl;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, "");
          buffer = buffer.slice(nl + 1);
          if (line !== "" && !cancelled) onLine(line);
        }
      }
      const last = buffer.replace(/\r$/, "");
      if (last !== "" && !cancelled) onLine(last);
    } catch {
      // Standard input went away: keep running without it.
    }
  })();
  return {
    cancel() {
      cancelled = true;
      reader.cancel().catch(() => {});
    },
  };
}

const encoder = new TextEncoder();

function lineWriter(file: { writeSync(p: Uint8Array): number }): (line: string) => void {
  return (line) => {
    let bytes = encoder.encode(line + "\n");
    try {
      while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
    } catch {
      // The reader went away (e.g. a closed pipe); nothing better to do.
    }
  };
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    console.error(`peer: unexpected error: ${e instanceof Error ? e.stack ?? e.message : e}`);
    code = 1;
  }
  Deno.exit(code);
}
