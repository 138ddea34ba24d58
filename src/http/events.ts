/**
 * The `/events` stream's hub: it listens to a node's member events once and
 * fans each out, encoded once, to every connected client, with a counters
 * snapshot every `interval` ms. It keeps the last five minutes of the
 * counters the page charts (compactly), so that a page opened now starts
 * with a history.
 *
 * Each client has a bounded buffer: the frames its connection has not yet
 * taken, up to `clientBuffer` bytes. A client that falls further behind (a
 * slow reader, or one that vanished without closing its connection) is
 * disconnected at once and its buffer freed; a browser's `EventSource` then
 * reconnects and starts again from a fresh `hello`. So no client can make
 * the node hold more than one buffer's worth of events for it (plus the one
 * frame being written, and a first `hello` that may be larger).
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

/**
 * One client of the stream: the frames waiting for it (at most `limit`
 * bytes, the first one excepted), taken one at a time by its writer.
 */
export class Subscription {
  #queue: Uint8Array[] = [];
  #bytes = 0;
  #wake: (() => void) | undefined;
  #ended = false;
  #cut: () => void;
  #limit: number;
  #onEnd: (sub: Subscription) => void;

  /** @internal Made by {@link EventHub.open}. */
  constructor(limit: number, cut: () => void, onEnd: (sub: Subscription) => void) {
    this.#limit = limit;
    this.#cut = cut;
    this.#onEnd = onEnd;
  }

  /** Bytes waiting now. */
  get queued(): number {
    return this.#bytes;
  }

  /**
   * Queues `frame` if it fits (always, when nothing is waiting and `first`):
   * returns false, queueing nothing, when the client is that far behind.
   */
  offer(frame: Uint8Array, first = false): boolean {
    if (this.#ended) return true;
    if (!first && this.#bytes + frame.byteLength > this.#limit) return false;
    this.#queue.push(frame);
    this.#bytes += frame.byteLength;
    this.#wake?.();
    return true;
  }

  /** The next frame to write, when there is one; `undefined` once ended. */
  async next(): Promise<Uint8Array | undefined> {
    while (this.#queue.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = undefined;
    }
    if (this.#ended) return undefined;
    const frame = this.#queue.shift()!;
    this.#bytes -= frame.byteLength;
    return frame;
  }

  /**
   * Ends it: what waits is discarded, the writer's `next()` gives
   * `undefined`, and with `cut` the connection is closed at once (a write
   * stuck on a client that does not read is abandoned).
   */
  end(cut = false): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#queue = [];
    this.#bytes = 0;
    this.#wake?.();
    this.#onEnd(this);
    if (cut) this.#cut();
  }
}

const encoder = new TextEncoder();

/** Fans a node's events out to server-sent-event streams; see the module documentation. */
export class EventHub {
  #node: GossipNode;
  #options: EventHubOptions;
  #clients = new Set<Subscription>();
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

  /** Whether another client would be taken now. */
  get full(): boolean {
    return this.#closed || this.#clients.size >= this.#options.maxClients;
  }

  /**
   * A new client, its first frame (`hello`: this node, every member, a
   * snapshot and the history) already queued; `undefined` when `maxClients`
   * are connected or the hub is closed. `cut` closes its connection: the hub
   * calls it when the client falls `clientBuffer` bytes behind, or at
   * {@link EventHub.close}. Its writer ends it when the client goes away.
   */
  open(cut: () => void): Subscription | undefined {
    if (this.full) return undefined;
    const sub = new Subscription(this.#options.clientBuffer, cut, (s) => this.#clients.delete(s));
    this.#clients.add(sub);
    // The first frame may exceed the buffer (a large member table): it is
    // queued whole, and the client is held to the limit from then on.
    sub.offer(encoder.encode(`retry: 1000\n\n${this.#hello()}`), true);
    return sub;
  }

  /** Ends every client (closing its connection), stops listening to the node. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [type, listener] of this.#listeners) {
      this.#node.removeEventListener(type, listener);
    }
    for (const sub of [...this.#clients]) sub.end(true);
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

  /** Queues `frame` (shared, never modified) for every client that has room; cuts the rest. */
  #broadcast(frame: Uint8Array): void {
    for (const sub of [...this.#clients]) {
      if (!sub.offer(frame)) {
        this.#dropped++;
        sub.end(true);
      }
    }
  }
}
