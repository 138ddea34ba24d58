/**
 * A small HTTP/1.1 server for a read-only endpoint, on a plain TCP listener,
 * so that every connection is ours to close: one request per connection
 * (`Connection: close`), a bounded request head read within a deadline, and
 * responses that are either whole bodies or a stream the caller feeds.
 *
 * `Deno.serve` was the first choice; it cannot drop a client that stopped
 * reading (its writes wait on the socket, and a graceful shutdown waits for
 * them), so a stalled event-stream client could hold a connection, and a
 * shutdown, forever. Here a dropped or shut-down connection is closed at once.
 *
 * @module
 */

/** A request, as far as a read-only endpoint needs it. */
export interface HttpRequest {
  /** The method, as sent (`GET`, `HEAD`, ...). */
  method: string;
  /** The path, without the query. */
  path: string;
  /** The `Host` header (or the authority of an absolute target), lower-cased. */
  host: string;
}

/** A whole response. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The body (not sent for HEAD). */
  body?: string;
  /**
   * Instead of a body: called once the head is sent, to stream the body
   * (HEAD requests get the head only); the connection is closed when it
   * resolves.
   */
  stream?: (io: StreamIo) => Promise<void>;
}

/** What a streaming response gets. */
export interface StreamIo {
  /** Writes bytes; rejects once the connection is gone. */
  write(bytes: Uint8Array): Promise<void>;
  /** Resolves when the client closes its side, or the connection fails. */
  closed: Promise<void>;
  /** Closes the connection now (a pending write rejects). */
  cut(): void;
}

/** Limits of the server. */
export interface Http1Options {
  hostname: string;
  port: number;
  /** Connections at once; more are closed as soon as accepted. */
  maxConnections: number;
  /** What to do with a request. */
  handle: (request: HttpRequest) => HttpResponse;
  /** An unexpected failure while serving (a bug, not a client going away). */
  onError: (error: unknown) => void;
  /** Milliseconds a client has to send its request head (default 10 s). */
  headTimeout?: number;
}

/** Bytes of a request head at most (request line and headers). */
const MAX_HEAD = 8 * 1024;
/** Time to send a whole request head, and to linger after a response. */
const HEAD_TIMEOUT = 10_000;
const LINGER = 2_000;

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A running server: its address, and a shutdown that closes every connection. */
export class Http1Server {
  readonly addr: Deno.NetAddr;
  readonly finished: Promise<void>;
  #listener: Deno.TcpListener;
  #options: Http1Options;
  #connections = new Set<Deno.TcpConn>();
  #tasks = new Set<Promise<void>>();
  #closing = false;

  /**
   * Binds (throws `Deno.errors.AddrInUse` and the like) and starts accepting.
   * Deno only: elsewhere (Node.js, Bun) it throws an error named `NotSupported`.
   */
  constructor(options: Http1Options) {
    this.#options = options;
    const deno = (globalThis as { Deno?: typeof Deno }).Deno;
    if (typeof deno?.listen !== "function") {
      throw Object.assign(
        new Error("the HTTP endpoint runs on Deno only (it binds with Deno.listen)"),
        {
          name: "NotSupported",
        },
      );
    }
    this.#listener = deno.listen({ hostname: options.hostname, port: options.port });
    this.addr = this.#listener.addr;
    this.finished = this.#accept();
  }

  /** Stops accepting, closes every connection, and resolves when all is done. */
  async shutdown(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      try {
        this.#listener.close();
      } catch {
        // Closed already.
      }
      for (const conn of this.#connections) close(conn);
    }
    await this.finished;
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        break; // the listener was closed
      }
      if (this.#closing || this.#connections.size >= this.#options.maxConnections) {
        close(conn);
        continue;
      }
      this.#connections.add(conn);
      const task: Promise<void> = this.#serve(conn)
        .catch((e) => {
          if (!gone(e)) this.#options.onError(e);
        })
        .finally(() => {
          close(conn);
          this.#connections.delete(conn);
          this.#tasks.delete(task);
        });
      this.#tasks.add(task);
    }
    while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    const head = await readHead(conn, this.#options.headTimeout ?? HEAD_TIMEOUT);
    if (typeof head === "number") {
      return await this.#finish(conn, simple(head, `${REASONS[head]}\n`), false);
    }
    const request = parseHead(head);
    if (!request) return await this.#finish(conn, simple(400, "bad request\n"), false);
    let response: HttpResponse;
    try {
      response = this.#options.handle(request);
    } catch (e) {
      this.#options.onError(e);
      response = simple(500, "internal error\n");
    }
    await this.#finish(conn, response, request.method === "HEAD");
  }

  /** Sends `response` on `conn`, then lets the client close first (a lingering close). */
  async #finish(conn: Deno.TcpConn, response: HttpResponse, head: boolean): Promise<void> {
    const bytes = encoder.encode(response.body ?? "");
    const headers: Record<string, string> = { ...response.headers, connection: "close" };
    if (!response.stream) headers["content-length"] = String(bytes.length);
    let text = `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? "Unknown"}\r\n`;
    for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
    await writeAll(conn, encoder.encode(text + "\r\n"));
    if (response.stream && !head) {
      const closed = untilClosed(conn);
      try {
        await response.stream({
          write: (b) => writeAll(conn, b),
          closed,
          cut: () => close(conn),
        });
      } finally {
        close(conn);
        await closed;
      }
      return;
    }
    if (bytes.length > 0 && !head) await writeAll(conn, bytes);
    // Half-close, then read what the client still sends (a body we did not
    // want) until it closes: closing with unread data would reset the
    // connection, and the client could lose the response.
    await conn.closeWrite();
    await untilClosed(conn, LINGER);
  }
}

/** Reads a request head (up to the blank line): its text, or an error status. */
async function readHead(conn: Deno.TcpConn, timeout: number): Promise<string | number> {
  const buffer = new Uint8Array(MAX_HEAD);
  let length = 0;
  const timer = setTimeout(() => close(conn), timeout);
  try {
    for (;;) {
      const n = await conn.read(buffer.subarray(length));
      if (n === null) return 400;
      length += n;
      const text = decoder.decode(buffer.subarray(0, length));
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) return text.slice(0, end);
      if (length === buffer.length) return 431;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The method, path and host of a request head, or `undefined` if it is not HTTP/1.x. */
function parseHead(head: string): HttpRequest | undefined {
  const [line, ...fields] = head.split("\r\n");
  const m = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(line);
  if (!m) return undefined;
  const [, method, target, minor] = m;
  let host: string | undefined;
  for (const field of fields) {
    const colon = field.indexOf(":");
    if (colon <= 0) return undefined;
    if (field.slice(0, colon).trim().toLowerCase() === "host") {
      if (host !== undefined) return undefined; // two Host headers
      host = field.slice(colon + 1).trim().toLowerCase();
    }
  }
  let path: string;
  if (target.startsWith("/")) {
    path = target.split("?")[0];
  } else {
    try {
      const url = new URL(target);
      path = url.pathname;
      host = url.host;
    } catch {
      return undefined;
    }
  }
  if (host === undefined && minor === "1") return undefined;
  return { method, path, host: host ?? "" };
}

function simple(status: number, body: string): HttpResponse {
  return { status, headers: { "content-type": "text/plain; charset=utf-8" }, body };
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
}

/** Resolves when the client closes its side (or the connection fails), or after `ms`. */
async function untilClosed(conn: Deno.TcpConn, ms?: number): Promise<void> {
  const timer = ms === undefined ? undefined : setTimeout(() => close(conn), ms);
  const scratch = new Uint8Array(1024);
  try {
    while (await conn.read(scratch) !== null) { /* discard */ }
  } catch {
    // Reset, or closed by us.
  } finally {
    clearTimeout(timer);
  }
}

function close(conn: Deno.TcpConn): void {
  try {
    conn.close();
  } catch {
    // Closed already.
  }
}

/** The errors that only say a connection went away (or that we closed it). */
const GONE = new Set([
  "BadResource",
  "ConnectionReset",
  "BrokenPipe",
  "Interrupted",
  "NotConnected",
  "ConnectionAborted",
]);

function gone(e: unknown): boolean {
  return e instanceof Error && GONE.has(e.name);
}
