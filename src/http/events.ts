/**
 * The `/events` stream's hub: it listens to a node's member events once and
 * fans each out, encoded once, to every connected client, with a counters
 * snapshot every `interval` ms. It keeps the last five minutes of the
 * counters the page charts (compactly), so that a page opened now starts
 * with a history.
 *
 * Each client has a bounded buffer: what the client has not yet taken, up to
 * `clientBuffer` bytes. A client that falls further behind (a slow reader, or
 * one that vanished without closing its connection) is disconnected and its
 * buffer freed; a browser's `EventSource` then reconnects and starts again
 * from a fresh `hello`. So no client can make the node hold more than one
 * buffer's worth of events for it.
 *
 * @module
 */

import type { NodeMetrics } from "../metrics.ts";
import type { GossipNode } from "../node.ts";
import { sseFrame } from "./sse.ts";

/** The node events streamed one by one (drops and messages only as counts, in snapshots). */
export const STREAMED_EVENTS: readonly string[] = [
  "join",
  "joined",
  "suspect",
  "alive",
  "dead",
  "leave",
  "tag",
];

/** How far back the history in `hello` goes. */
export const HISTORY_MS = 5 * 60 * 1000;
/** At most this many history entries, whatever the interval. */
const MAX_HISTORY = 3600;

/** What the history keeps of each snapshot: what the page charts, drops only when not zero. */
interface HistoryEntry {
  time: number;
  metrics: {
    delivered: number;
    broadcasts: number;
    bytesSent: number;
    bytesReceived: number;
    dropped: Record<string, number>;
  };
}

/** Settings of an {@link EventHub}. */
export interface EventHubOptions {
  /** Milliseconds between counters snapshots. */
  interval: number;
  /** Bytes a client may have waiting before it is disconnected. */
  clientBuffer: number;
  /** Clients at once; more are refused. */
  maxClients: number;
}

/** Why a client's stream was cut: it fell behind (an expected end, not a fault). */
export class ClientTooSlow extends Error {
  /** Makes one. */
  constructor() {
    super("event-stream client too slow: its buffer is full");
    this.name = "ClientTooSlow";
  }
}

/** Why streams were cut when the server stopped with events still queued for them. */
export class ServerClosing extends Error {
  /** Makes one. */
  constructor() {
    super("server closing");
    this.name = "ServerClosing";
  }
}

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
}

const encoder = new TextEncoder();

/** Fans a node's events out to server-sent-event streams; see the module documentation. */
export class EventHub {
  #node: GossipNode;
  #options: EventHubOptions;
  #clients = new Set<Client>();
  #dropped = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #history: HistoryEntry[] = [];
  #listeners: [string, (e: Event) => void][] = [];
  #closed = false;

  constructor(node: GossipNode, options: EventHubOptions) {
    this.#node = node;
    this.#options = options;
    for (const type of STREAMED_EVENTS) {
      const listener = (e: Event) => this.#event(type, (e as CustomEvent).detail);
      node.addEventListener(type, listener);
      this.#listeners.push([type, listener]);
    }
    this.#record(this.snapshot());
    this.#timer = setInterval(() => this.#tick(), options.interval);
  }

  /** Clients connected now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Clients disconnected so far because their buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * A new client's stream, starting with a `hello` event (this node, every
   * member and a first snapshot); `undefined` when `maxClients` are
   * connected or the hub is closed. The client is removed when the stream is
   * cancelled or `ended` settles (the response is over, or the connection
   * went away).
   */
  open(ended?: Promise<unknown>): ReadableStream<Uint8Array> | undefined {
    if (this.#closed || this.#clients.size >= this.#options.maxClients) return undefined;
    let client: Client | undefined;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          client = { controller };
        },
        cancel: () => this.#remove(client!),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: this.#options.clientBuffer }),
    );
    this.#clients.add(client!);
    const remove = () => this.#remove(client!);
    ended?.then(remove, remove);
    // The first event may exceed the buffer (a large member table): it is
    // enqueued whole, and the client is held to the limit from then on.
    client!.controller.enqueue(encoder.encode(`retry: 1000\n\n${this.#hello()}`));
    return stream;
  }

  /** Ends every stream (cleanly where nothing is pending), stops listening to the node. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [type, listener] of this.#listeners) {
      this.#node.removeEventListener(type, listener);
    }
    for (const client of [...this.#clients]) {
      const idle = client.controller.desiredSize === this.#options.clientBuffer;
      this.#remove(client, idle ? undefined : new ServerClosing());
    }
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** A counters snapshot: the time, members by state and the node's metrics. */
  snapshot(): { time: number; metrics: NodeMetrics; [key: string]: unknown } {
    const members: Record<string, number> = { alive: 0, suspect: 0, dead: 0, left: 0 };
    for (const m of this.#node.members()) members[m.state] = (members[m.state] ?? 0) + 1;
    return {
      time: Date.now(),
      members,
      metrics: this.#node.metrics(),
      clients: this.#clients.size,
    };
  }

  #hello(): string {
    const hello = {
      address: this.#node.address,
      incarnation: this.#node.incarnation,
      interval: this.#options.interval,
      members: this.#node.members(),
      snapshot: this.snapshot(),
      history: this.#history,
    };
    return sseFrame("hello", JSON.stringify(hello));
  }

  #event(type: string, detail: unknown): void {
    if (this.#clients.size === 0) return;
    const data = JSON.stringify({ ...(detail as object), time: Date.now() });
    this.#broadcast(encoder.encode(sseFrame(type, data)));
  }

  /** Every `interval`: a snapshot into the history, and to every client. */
  #tick(): void {
    const snapshot = this.snapshot();
    this.#record(snapshot);
    if (this.#clients.size === 0) return;
    this.#broadcast(encoder.encode(sseFrame("metrics", JSON.stringify(snapshot))));
  }

  #record({ time, metrics: m }: { time: number; metrics: NodeMetrics }): void {
    const dropped: Record<string, number> = {};
    for (const [reason, n] of Object.entries(m.dropped)) if (n > 0) dropped[reason] = n;
    const { delivered, broadcasts, bytesSent, bytesReceived } = m;
    this.#history.push({
      time,
      metrics: { delivered, broadcasts, bytesSent, bytesReceived, dropped },
    });
    const keep = Math.min(MAX_HISTORY, Math.ceil(HISTORY_MS / this.#options.interval) + 1);
    if (this.#history.length > keep) this.#history.splice(0, this.#history.length - keep);
  }

  /** Enqueues `frame` (shared, never modified) for every client that has room; drops the rest. */
  #broadcast(frame: Uint8Array): void {
    for (const client of this.#clients) {
      const room = client.controller.desiredSize ?? 0;
      if (frame.byteLength > room) {
        this.#dropped++;
        this.#remove(client, new ClientTooSlow());
      } else {
        client.controller.enqueue(frame);
      }
    }
  }

  /** Forgets a client; ends its stream, discarding what it had not taken when `error` is given. */
  #remove(client: Client, error?: Error): void {
    if (!this.#clients.delete(client)) return;
    try {
      if (error) client.controller.error(error);
      else client.controller.close();
    } catch {
      // Already cancelled by the reader.
    }
  }
}
