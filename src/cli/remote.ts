/**
 * The commands that ask a running node, through the HTTP endpoint it serves
 * with `--http`: `peer members --http ADDR` prints its member table, and
 * `peer monitor --http ADDR` prints its member events as they come until
 * interrupted. Nothing answering, or something that is not a peer, is one
 * line on stderr and exit code 1.
 *
 * @module
 */

import { SseParser } from "../http/sse.ts";
import { oneLine, RuntimeError } from "./errors.ts";
import type { CliOptions } from "./flags.ts";
import type { Io } from "./io.ts";
import { type Print, printable, printer } from "./output.ts";
import { isPermissionError, offSignal, onSignal, type StopSignal } from "./process.ts";

/** How long to wait for a node to answer (the stream itself has no limit). */
const ANSWER_TIMEOUT = 5000;

/** A member as `/members` returns it. */
interface RemoteMember {
  address: string;
  state: string;
  incarnation: number;
  tags?: Record<string, string>;
}

/**
 * `peer members --http ADDR`: the member table, one member a line (address,
 * state, incarnation, tags), or the JSON array with `--json`.
 *
 * @param options The parsed command line (`http` is set).
 * @param io Where to write.
 * @returns 0.
 * @throws {RuntimeError} When nothing answers or the answer is not a member list.
 */
export async function members(options: CliOptions, io: Io): Promise<number> {
  const url = `http://${options.http}/members`;
  const response = await get(url, AbortSignal.timeout(ANSWER_TIMEOUT));
  let list: unknown;
  try {
    list = await response.json();
  } catch (e) {
    throw new RuntimeError(`${url} did not answer with JSON (${oneLine(e)})`);
  }
  if (!Array.isArray(list) || !list.every(isMember)) {
    throw new RuntimeError(`${url} did not answer with a member list: is it a peer's --http?`);
  }
  if (options.json) {
    io.stdout(JSON.stringify(list));
    return 0;
  }
  const rows = list.map((m) => [
    printable(m.address),
    printable(m.state),
    String(m.incarnation),
    Object.entries(m.tags ?? {}).map(([k, v]) => printable(`${k}=${v}`)).join(","),
  ]);
  for (const line of table([["ADDRESS", "STATE", "INCARNATION", "TAGS"], ...rows])) {
    io.stdout(line);
  }
  return 0;
}

/**
 * `peer monitor --http ADDR`: the node's member events as lines (as a running
 * peer prints them, or as JSON with `--json`), until SIGINT or SIGTERM (or
 * `io.signal`).
 *
 * @param options The parsed command line (`http` is set).
 * @param io Where to write; `io.signal` stops it.
 * @returns 0 when interrupted.
 * @throws {RuntimeError} When nothing answers, or the node stops streaming.
 */
export async function monitor(options: CliOptions, io: Io): Promise<number> {
  const url = `http://${options.http}/events`;
  // try/finally, not `using`: Node.js 20 cannot parse it (see `deno task bundle`).
  const stop = interruption(io.signal);
  try {
    return await follow(url, options, io, stop.signal);
  } finally {
    stop[Symbol.dispose]();
  }
}

/** Reads the event stream at `url` and prints it until `stop` aborts. */
async function follow(
  url: string,
  options: CliOptions,
  io: Io,
  stop: AbortSignal,
): Promise<number> {
  const answered = new AbortController();
  const timer = setTimeout(
    () => answered.abort(new DOMException("no answer", "TimeoutError")),
    ANSWER_TIMEOUT,
  );
  let response: Response;
  try {
    response = await get(url, AbortSignal.any([stop, answered.signal]));
  } catch (e) {
    if (stop.aborted) return 0;
    throw e;
  } finally {
    clearTimeout(timer);
  }
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) {
    await response.body?.cancel();
    throw new RuntimeError(`${url} is not an event stream: is it a peer's --http?`);
  }
  const print = printer(options.json, io.stdout);
  const parser = new SseParser();
  try {
    for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
      for (const { event, data } of parser.push(chunk)) show(print, event, data, url);
    }
  } catch (e) {
    if (stop.aborted) return 0;
    throw new RuntimeError(`lost the event stream from ${url}: ${oneLine(e)}`);
  }
  if (stop.aborted) return 0;
  throw new RuntimeError(`the node at ${url} ended the event stream (it stopped?)`);
}

/**
 * An abort signal for SIGINT and SIGTERM (or `given` instead, when there is
 * one); disposing it removes the signal listeners.
 */
function interruption(given?: AbortSignal): { signal: AbortSignal } & Disposable {
  if (given) return { signal: given, [Symbol.dispose]: () => {} };
  const controller = new AbortController();
  const stop = () => controller.abort();
  const installed: StopSignal[] = [];
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    try {
      onSignal(name, stop);
      installed.push(name);
    } catch {
      // Not every platform has SIGTERM (Windows); SIGINT is enough there.
    }
  }
  return {
    signal: controller.signal,
    [Symbol.dispose]: () => {
      for (const name of installed) offSignal(name, stop);
    },
  };
}

/** Prints one event from `/events` as a line; snapshots and unknown events are skipped. */
function show(print: Print, type: string, data: string, url: string): void {
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(data);
  } catch {
    return;
  }
  const address = printable(String(d.address));
  const incarnation = d.incarnation;
  switch (type) {
    case "hello": {
      const count = Array.isArray(d.members) ? d.members.length : 0;
      return print(
        { event: "monitoring", address: d.address, url, members: count },
        `Monitoring ${address} at ${url} (${count} members)`,
      );
    }
    case "joined":
      return print(
        { event: "joined", seed: d.seed, members: d.members },
        `Joined via ${printable(String(d.seed))} (${d.members} members)`,
      );
    case "join":
      return print({ event: type, address: d.address, incarnation }, `Peer joined: ${address}`);
    case "alive":
      return print(
        { event: type, address: d.address, incarnation },
        `Peer alive again: ${address}`,
      );
    case "leave":
      return print({ event: type, address: d.address, incarnation }, `Peer left: ${address}`);
    case "suspect":
      return print(
        { event: type, address: d.address, incarnation, from: d.from },
        `Peer suspected: ${address}`,
      );
    case "dead":
      return print(
        { event: type, address: d.address, incarnation, from: d.from },
        `Peer dead: ${address}`,
      );
    case "tag": {
      const key = printable(String(d.key));
      const human = typeof d.value === "string"
        ? `Tag of ${address}: ${key}=${printable(d.value)}`
        : `Tag of ${address}: ${key} deleted`;
      return print({ event: "tag", address: d.address, key: d.key, value: d.value }, human);
    }
  }
}

/** GETs `url`; a failure to connect or a status other than 200 is a one-line {@link RuntimeError}. */
async function get(url: string, signal: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (e) {
    if (signal.aborted) {
      if ((signal.reason as Error)?.name !== "TimeoutError") throw e;
      throw new RuntimeError(`no answer from ${url} within ${ANSWER_TIMEOUT / 1000} s`);
    }
    throw new RuntimeError(describeFetchError(e, url));
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new RuntimeError(
      `${url} answered ${response.status} ${response.statusText}: is it a peer's --http?`,
    );
  }
  return response;
}

function describeFetchError(e: unknown, url: string): string {
  if (isPermissionError(e)) return `${oneLine(e)} (run with --allow-net)`;
  // Node.js says "fetch failed" and puts the reason in `cause`.
  const inner = (e as { cause?: { code?: string; message?: string } }).cause;
  const message = [oneLine(e), inner?.code, inner?.message].filter(Boolean).join(" ");
  const refused = /connection refused|ECONNREFUSED/i.test(message);
  const cause = refused ? "connection refused" : oneLine(e);
  return `nothing answers at ${url} (${cause}): is a peer running there with --http?`;
}

function isMember(m: unknown): m is RemoteMember {
  const r = m as RemoteMember;
  return typeof r === "object" && r !== null && typeof r.address === "string" &&
    typeof r.state === "string" && typeof r.incarnation === "number" &&
    (r.tags === undefined || (typeof r.tags === "object" && r.tags !== null));
}

/** Rows as lines of left-aligned columns, two spaces apart; the last column is not padded. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i])).join("  ").trimEnd()
  );
}
