/**
 * A server-sent-events client for the tests: reads `/events` with fetch,
 * keeps every event, and wakes `waitFor` on each chunk, so that tests wait
 * on what the stream says (never on a timer).
 */

import assert from "node:assert/strict";
import { type SseEvent, SseParser } from "../src/http/mod.ts";
import { notify, waitFor } from "./helpers.ts";

/** One `/events` reader; dispose it to disconnect. */
export class SseClient implements AsyncDisposable {
  /** Every event received so far, in order. */
  readonly events: SseEvent[] = [];
  /** Set when the stream ended (by the server, or an error). */
  ended: string | undefined;
  #abort = new AbortController();
  #pump: Promise<void>;

  private constructor(response: Response) {
    const parser = new SseParser();
    this.#pump = (async () => {
      try {
        for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
          this.events.push(...parser.push(chunk));
          notify();
        }
        this.ended = "end of stream";
      } catch (e) {
        this.ended = String(e);
      }
      notify();
    })();
  }

  /** Connects to `url` (a server's `/events`) and checks the response is an event stream. */
  static async open(url: string): Promise<SseClient> {
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const client = new SseClient(response);
    client.#abort = controller;
    return client;
  }

  /** The events parsed as JSON data, with their type. */
  parsed(from = 0): { event: string; data: Record<string, unknown> }[] {
    return this.events.slice(from).map((e) => ({ event: e.event, data: JSON.parse(e.data) }));
  }

  /**
   * Waits for an event (at index `from` or later) that `match` accepts and
   * returns it, parsed; throws after `timeout` ms or if the stream ends first.
   */
  async wait(
    match: (event: string, data: Record<string, unknown>) => boolean,
    what: string,
    { from = 0, timeout = 10_000 } = {},
  ): Promise<{ event: string; data: Record<string, unknown>; index: number }> {
    let found: { event: string; data: Record<string, unknown>; index: number } | undefined;
    const look = () => {
      const i = this.parsed(from).findIndex((e) => match(e.event, e.data));
      if (i >= 0) found = { ...this.parsed(from)[i], index: from + i };
      return found !== undefined || this.ended !== undefined;
    };
    await waitFor(look, { what, timeout });
    if (!found) throw new Error(`stream ended (${this.ended}) while waiting for ${what}`);
    return found;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#abort.abort();
    await this.#pump;
  }
}
