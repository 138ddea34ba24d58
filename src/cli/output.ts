/**
 * What the `peer` command line prints: each node event as one line, either
 * human text or (with `--json`) one JSON object, and the line writer that puts
 * lines on standard output or standard error.
 *
 * @module
 */

import type { GossipNode } from "../node.ts";

/** Writes one line (the newline is the writer's). */
export type WriteLine = (line: string) => void;

/**
 * Prints one event: `event` as a JSON object with `--json`, else the `human`
 * line. Both describe the same thing; the JSON one is the stable interface.
 */
export type Print = (event: Record<string, unknown>, human: string) => void;

/**
 * A {@link Print} that writes JSON lines (`json`) or human lines to `out`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { printer } from "./output.ts";
 * const lines: string[] = [];
 * printer(true, (l) => lines.push(l))({ event: "leaving", reason: "SIGINT" }, "Leaving (SIGINT)");
 * printer(false, (l) => lines.push(l))({ event: "leaving", reason: "SIGINT" }, "Leaving (SIGINT)");
 * assert.deepEqual(lines, ['{"event":"leaving","reason":"SIGINT"}', "Leaving (SIGINT)"]);
 * ```
 */
export function printer(json: boolean, out: WriteLine): Print {
  return json ? (event) => out(JSON.stringify(event)) : (_event, human) => out(human);
}

const decoder = new TextDecoder();

/** Prints the node's membership changes and the messages it delivers, as they come. */
export function watch(node: GossipNode, print: Print): void {
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
  node.addEventListener("tag", ({ detail: d }) => {
    print(
      d.value === undefined
        ? { event: "tag", address: d.address, key: d.key }
        : { event: "tag", address: d.address, key: d.key, value: d.value },
      d.value === undefined
        ? `Tag of ${d.address}: ${printable(d.key)} deleted`
        : `Tag of ${d.address}: ${printable(d.key)}=${printable(d.value)}`,
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

/**
 * `text` with control characters as escapes, so that one event stays one
 * line and a message cannot drive the terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { printable } from "./output.ts";
 * assert.equal(printable("a\nb\u001b[2J"), "a\\nb\\u001b[2J");
 * ```
 */
export function printable(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const escaped = JSON.stringify(c).slice(1, -1);
    return escaped.length > 1 ? escaped : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

const encoder = new TextEncoder();

/**
 * A {@link WriteLine} for a file such as `Deno.stdout`: writes each whole line
 * synchronously, and ignores a reader that went away (a closed pipe).
 */
export function lineWriter(file: { writeSync(p: Uint8Array): number }): WriteLine {
  return (line) => {
    let bytes = encoder.encode(line + "\n");
    try {
      while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
    } catch {
      // The reader went away (e.g. a closed pipe); nothing better to do.
    }
  };
}
