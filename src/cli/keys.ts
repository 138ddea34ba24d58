/**
 * Keys on the `peer` command line: `peer keygen`, and the keys a node starts
 * with, from `--key`, `--key-file` or `PEER_KEY`. Keys are parsed by the
 * keyring's `parseKey`, so the command line accepts exactly what the node does,
 * and no message ever repeats a key.
 *
 * @module
 */

import { generateKey, parseKey } from "../net/keyring.ts";
import { oneLine, RuntimeError } from "./errors.ts";
import type { CliOptions } from "./flags.ts";
import type { Io } from "./io.ts";
import { isNamed, isPermissionError, readTextFile } from "./process.ts";

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
  io.stdout(generateKey());
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
    text = await readTextFile(path);
  } catch (e) {
    if (isPermissionError(e)) {
      throw new RuntimeError(`no permission to read key file ${path}: run with --allow-read`);
    }
    if (isNamed(e, "NotFound")) throw new RuntimeError(`key file ${path} not found`);
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
  try {
    parseKey(key);
  } catch (e) {
    throw new RuntimeError(`${where}: ${oneLine(e)}`);
  }
}
