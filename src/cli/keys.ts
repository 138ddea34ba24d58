/**
 * Keys on the `peer` command line: `peer keygen`, and the keys a node starts
 * with, from `--key`, `--key-file` or `PEER_KEY`. No message ever repeats a
 * key.
 *
 * @module
 */

import { oneLine, RuntimeError } from "./errors.ts";
import type { CliOptions } from "./flags.ts";
import type { Io } from "./io.ts";

/**
 * `peer keygen`: prints a new random 32-byte key as base64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keygen } from "./keys.ts";
 * import { resolveIo } from "./io.ts";
 * const lines: string[] = [];
 * assert.equal(keygen(resolveIo({ stdout: (l) => lines.push(l) })), 0);
 * assert.equal(atob(lines[0]).length, 32);
 * ```
 */
export function keygen(io: Io): number {
  io.stdout(toBase64(crypto.getRandomValues(new Uint8Array(32))));
  return 0;
}

/**
 * The keys a node starts with: the `--key` values, then the key file's (blank
 * lines and `#` comments skipped), or, when neither gives one, `PEER_KEY`'s
 * (comma or space separated).
 *
 * @param options The parsed command line (its `--key` values are already checked).
 * @param env Reads `PEER_KEY`.
 * @returns The keys, primary first; empty for none.
 * @throws {RuntimeError} When the key file cannot be read, holds no key or a
 * bad one, or `PEER_KEY` holds a bad one.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCli } from "@gossip/peer/cli";
 * import { resolveKeys } from "./keys.ts";
 * const key = "AAECAwQFBgcICQoLDA0ODw==";
 * assert.deepEqual(await resolveKeys(parseCli([]), () => `${key}, ${key}`), [key, key]);
 * assert.deepEqual(await resolveKeys(parseCli(["--key", key]), () => "ignored"), [key]);
 * ```
 */
export async function resolveKeys(
  options: CliOptions,
  env: (name: string) => string | undefined,
): Promise<string[]> {
  const keys = [...options.keys];
  if (options.keyFile !== undefined) keys.push(...await readKeyFile(options.keyFile));
  if (keys.length === 0) {
    const fromEnv = (env("PEER_KEY") ?? "").split(/[\s,]+/).filter((k) => k !== "");
    for (const [i, key] of fromEnv.entries()) {
      checkKey(key, `PEER_KEY (key number ${i + 1})`);
      keys.push(key);
    }
  }
  return keys;
}

/** The keys in the file at `path`, one a line; at least one. */
async function readKeyFile(path: string): Promise<string[]> {
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
  const keys: string[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    checkKey(line, `key file ${path}, line ${i + 1}`);
    keys.push(line);
  }
  if (keys.length === 0) throw new RuntimeError(`key file ${path} holds no key`);
  return keys;
}

/** Throws a {@link RuntimeError} saying where `key` came from and what is wrong with it. */
function checkKey(key: string, where: string): void {
  const problem = keyProblem(key);
  if (problem) throw new RuntimeError(`${where}: ${problem}`);
}

const KEY_SIZES: readonly number[] = [16, 24, 32];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Why `text` is not a key (base64 of 16, 24 or 32 bytes), or undefined. Never repeats it. */
export function keyProblem(text: string): string | undefined {
  if (!BASE64.test(text)) return "a key must be base64 of 16, 24 or 32 bytes (not valid base64)";
  const length = atob(text).length;
  if (!KEY_SIZES.includes(length)) {
    return `a key must be base64 of 16, 24 or 32 bytes (got ${length})`;
  }
  return undefined;
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
