/**
 * Server-sent events, both ways: {@link sseFrame} writes one event as the
 * `text/event-stream` format has it, and {@link SseParser} reads a stream of
 * them back (for the command line's `monitor` and for tests; browsers have
 * `EventSource`).
 *
 * @module
 */

/**
 * One server-sent event: its type and its data (JSON text on `/events`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { SseEvent } from "@gossip/peer/http";
 * const e: SseEvent = { event: "join", data: '{"address":"127.0.0.1:8081","incarnation":0}' };
 * assert.equal(JSON.parse(e.data).address, "127.0.0.1:8081");
 * ```
 */
export interface SseEvent {
  /** The event type (`message` when the stream names none). */
  event: string;
  /** The data lines, joined by line feeds. */
  data: string;
}

/**
 * One event in the `text/event-stream` format: an `event:` line, one `data:`
 * line per line of `data`, and a blank line.
 *
 * @param event The event type (line breaks are removed).
 * @param data The data; line breaks become separate `data:` lines.
 * @returns The frame's text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sseFrame } from "@gossip/peer/http";
 * assert.equal(sseFrame("join", '{"a":1}'), 'event: join\ndata: {"a":1}\n\n');
 * ```
 */
export function sseFrame(event: string, data: string): string {
  const type = event.replace(/[\r\n]/g, "");
  const lines = data.split(/\r\n|\r|\n/).map((l) => `data: ${l}\n`).join("");
  return `event: ${type}\n${lines}\n`;
}

/**
 * Reads server-sent events from text chunks as they arrive: feed it chunks
 * with {@link SseParser.push}, get whole events back. Comments, `id:` and
 * `retry:` lines are skipped; an event without data is not dispatched (as in
 * browsers).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SseParser } from "@gossip/peer/http";
 * const parser = new SseParser();
 * assert.deepEqual(parser.push("event: join\ndata: {\"a\""), []);
 * assert.deepEqual(parser.push(":1}\n\n: comment\n\n"), [{ event: "join", data: '{"a":1}' }]);
 * ```
 */
export class SseParser {
  #buffer = "";
  #event = "";
  #data: string[] = [];

  /** Takes the next chunk of text; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      // A lone CR at the end may be the first half of CRLF: wait for more.
      if (!match || (match[0] === "\r" && match.index === this.#buffer.length - 1)) break;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      const event = this.#line(line);
      if (event) out.push(event);
    }
    return out;
  }

  #line(line: string): SseEvent | undefined {
    if (line === "") {
      const event = this.#data.length > 0
        ? { event: this.#event || "message", data: this.#data.join("\n") }
        : undefined;
      this.#event = "";
      this.#data = [];
      return event;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#event = value;
    else if (field === "data") this.#data.push(value);
    return undefined;
  }
}
