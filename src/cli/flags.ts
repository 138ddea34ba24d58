/**
 * The `peer` command line's flags: the flag table, the usage text, and
 * {@link parseCli}, which turns arguments into {@link CliOptions} or throws a
 * one-line {@link UsageError}. It reads no files and no environment.
 *
 * A new flag goes in three places here: {@link USAGE}, the `FLAGS` table and
 * the checks in {@link parseCli} (plus a field of {@link CliOptions}). A new
 * command goes in `COMMANDS` and in the command union of {@link CliOptions}.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { parseAddress } from "../address.ts";
import { parseKey } from "../net/keyring.ts";

/**
 * The usage text `--help` prints (and usage errors print after their message).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { USAGE } from "@gossip/peer/cli";
 * assert.ok(USAGE.startsWith("Usage: peer [options]\n"));
 * assert.ok(USAGE.includes("--connect HOST:PORT"));
 * ```
 */
export const USAGE: string = `Usage: peer [options]
       peer keygen
       peer members --http HOST:PORT [--json]
       peer monitor --http HOST:PORT [--json]

Starts a gossip peer on UDP, prints what happens to it, and broadcasts a message
every period and every line typed on standard input. SIGINT or SIGTERM makes it
leave the cluster gracefully and exit.

Options:
  --port N               UDP port to bind, 1-65535, or 0 for any free one (default 0)
  --host ADDR            address to bind (default 127.0.0.1)
  --connect HOST:PORT    peer to join through; repeatable; IPv6 as [::1]:8080
  --period S             seconds between broadcasts of --message; > 0, decimals allowed
                         (default 1); gossip rounds follow --profile
  --message TEXT         what to broadcast every period (default "Hello!"; "" for nothing)
  --profile NAME         protocol settings: local, lan or wan (default lan)
  --mode MODE            tree (push along a spanning tree, announce ids elsewhere),
                         epidemic (gossip to a few per round) or mesh (send to every
                         peer) (default: the profile's, tree)
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
  --tag KEY=VALUE        a tag of this node, replicated to every member; repeatable
                         (key 1-255 bytes, value at most 1024; native wire only)
  --http HOST:PORT       serve /members, /metrics, /events and a live page over HTTP
                         (port 0: any free one; bind 0.0.0.0 to serve other hosts)
  -h, --help             print this and exit
  -V, --version          print the version and exit

Commands:
  keygen                 print a new random key (32 bytes, base64) and exit
  members --http ADDR    print the members of the node serving HTTP at ADDR
  monitor --http ADDR    print the member events of that node as they come, until
                         interrupted

Environment:
  PEER_KEY               keys (comma separated), used when no --key or --key-file is given

Exit codes: 0 after SIGINT/SIGTERM, 1 runtime error, 2 usage error.`;

/**
 * A bad command line. Its message is one line, without the `peer: ` prefix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCli, UsageError } from "@gossip/peer/cli";
 * assert.throws(
 *   () => parseCli(["--port", "70000"]),
 *   (e: unknown) => e instanceof UsageError && e.message.startsWith("--port must be"),
 * );
 * ```
 */
export class UsageError extends Error {
  /** Makes one with a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A parsed command line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CliOptions, parseCli } from "@gossip/peer/cli";
 * const options: CliOptions = parseCli(["--port", "8080"]);
 * assert.equal(options.command, "run");
 * assert.equal(options.port, 8080);
 * assert.equal(options.period, 1);
 * ```
 */
export interface CliOptions {
  /**
   * What to do: run a node (the default), print help or the version, make a
   * key, or ask a running node (`--http`) for its members or its events.
   */
  command: "run" | "help" | "version" | "keygen" | "members" | "monitor";
  /** `--host`: the address to bind, without brackets (default `127.0.0.1`). */
  hostname: string;
  /** `--port`: 0 to 65535; 0 (default) binds any free port. */
  port: number;
  /**
   * `--period` in seconds (default 1): how often `--message` is broadcast.
   * The protocol's gossip rounds follow the profile, not this.
   */
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
  mode?: "tree" | "epidemic" | "mesh";
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
  /** `--tag KEY=VALUE` values, by key (a later one for the same key wins). */
  tags: Record<string, string>;
  /**
   * `--http`, as `HOST:PORT`: where a node serves HTTP (port 0: any), or,
   * for `members` and `monitor`, the node to ask (an `http://` prefix is
   * accepted and removed).
   */
  http?: string;
}

type Command = CliOptions["command"];

/** Commands named by the first argument; without one, `peer` runs a node. */
const COMMANDS: readonly Command[] = ["keygen", "members", "monitor"];
/** The flags the commands that ask a running node take. */
const CLIENT_FLAGS = new Set(["http", "json", "help"]);

/** The log levels `--log-level` takes, most verbose first. */
const LOG_LEVELS: readonly CliOptions["logLevel"][] = [
  "trace",
  "debug",
  "info",
  "warning",
  "error",
  "fatal",
];
const PROFILES: readonly NonNullable<CliOptions["profile"]>[] = ["local", "lan", "wan"];
const MODES: readonly NonNullable<CliOptions["mode"]>[] = ["tree", "epidemic", "mesh"];
const WIRES: readonly NonNullable<CliOptions["wire"]>[] = ["native", "seed"];
/** `setInterval` cannot wait longer than 2^31-1 ms; a day is plenty. */
const MAX_PERIOD = 86_400;

/** Every flag `parseArgs` knows; {@link parseCli} checks their values. */
const FLAGS = {
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
  tag: { type: "string", multiple: true },
  http: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const satisfies ParseArgsOptionsConfig;

/**
 * Parses and checks a command line (without the program name). Throws
 * {@link UsageError} with a one-line message for unknown flags, missing
 * values, bad numbers, addresses or keys, and positional arguments. Reads no
 * files and no environment: `--key-file` and `PEER_KEY` are read by `main`.
 *
 * @param args The arguments, e.g. `Deno.args`.
 * @returns The options, with defaults filled in.
 * @throws {UsageError} When the command line is not valid.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCli } from "@gossip/peer/cli";
 * const o = parseCli(["--period", "0.5", "--connect", "127.0.0.1:8080", "--connect", "[::1]:8081"]);
 * assert.equal(o.period, 0.5);
 * assert.deepEqual(o.seeds, ["127.0.0.1:8080", "[::1]:8081"]);
 * assert.equal(o.port, 0);
 * assert.equal(parseCli(["keygen"]).command, "keygen");
 * ```
 */
export function parseCli(args: string[]): CliOptions {
  const named = COMMANDS.find((c) => c === args[0]);
  const command: Command = named ?? "run";
  const rest = named ? args.slice(1) : args;
  let values;
  try {
    values = parseArgs({
      args: joinNegativeValues(rest),
      options: FLAGS,
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
    tags: {},
  };
  if (values.help) return { ...options, command: "help" };
  if (values.version) return { ...options, command: "version" };
  if (command === "keygen") {
    if (rest.length > 0) throw new UsageError(`keygen takes no options (got ${rest[0]})`);
    return options;
  }
  if (command === "members" || command === "monitor") {
    const other = Object.keys(values).find((flag) => !CLIENT_FLAGS.has(flag));
    if (other) throw new UsageError(`${command} takes only --http and --json (got --${other})`);
    if (values.http === undefined) {
      throw new UsageError(`${command} needs --http HOST:PORT (the address a peer serves HTTP on)`);
    }
    options.http = checkAddress(
      "--http",
      values.http.replace(/^http:\/\//i, "").replace(/\/$/, ""),
    );
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
    try {
      parseKey(key);
    } catch (e) {
      throw new UsageError(`--key (number ${i + 1}): ${messageOf(e)}`);
    }
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
  for (const tag of values.tag ?? []) {
    const eq = tag.indexOf("=");
    if (eq <= 0) throw new UsageError(`--tag must be KEY=VALUE with a non-empty key, got "${tag}"`);
    const key = tag.slice(0, eq), value = tag.slice(eq + 1);
    const keyBytes = new TextEncoder().encode(key).length;
    const valueBytes = new TextEncoder().encode(value).length;
    if (keyBytes > 255) {
      throw new UsageError(`--tag key must be at most 255 bytes, got ${keyBytes}`);
    }
    if (valueBytes > 1024) {
      throw new UsageError(`--tag value must be at most 1024 bytes, got ${valueBytes}`);
    }
    options.tags[key] = value;
  }
  if (values.http !== undefined) {
    try {
      parseAddress(values.http);
    } catch (e) {
      throw new UsageError(`--http: ${messageOf(e)}`);
    }
    options.http = values.http;
  }
  if (options.wire === "seed" && (options.keys.length > 0 || options.keyFile || options.label)) {
    throw new UsageError(`--wire seed cannot be used with --key, --key-file or --label`);
  }
  if (options.wire === "seed" && Object.keys(options.tags).length > 0) {
    throw new UsageError(`--wire seed cannot carry --tag`);
  }
  return options;
}

/** Value-taking long flags, for {@link joinNegativeValues}. */
const VALUE_FLAGS = new Set(
  Object.entries(FLAGS).filter(([, o]) => o.type === "string").map(([name]) => `--${name}`),
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
  const message = messageOf(e);
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

/** `text` if it is `HOST:PORT` with a port from 1 to 65535, else a {@link UsageError}. */
function checkAddress(flag: string, text: string): string {
  let port: number;
  try {
    port = parseAddress(text).port;
  } catch (e) {
    throw new UsageError(`${flag}: ${messageOf(e)}`);
  }
  if (port === 0) throw new UsageError(`${flag}: "${text}" needs a port from 1 to 65535`);
  return text;
}

/** `value` if `allowed` holds it, else a {@link UsageError} listing them. */
function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as T;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
