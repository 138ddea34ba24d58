/**
 * The seed-compatible engine: a {@link SeedProtocol} speaks the plain-text
 * wire format of the original peer program (see {@link encodeSeed}), so a
 * node can join a network of original peers, let them join it, and gossip
 * with them in both directions.
 *
 * The format has four frames and nothing else, so everything it cannot
 * carry is off:
 *
 * - no failure detection (no probes, no suspicion, no incarnations: every
 *   member is `alive` at incarnation 0 for as long as the node runs);
 * - no leave (a peer that goes away stays in the table);
 * - no relaying, no de-duplication: the topology is a full mesh and every
 *   message is sent directly to every known peer, once;
 * - payloads are UTF-8 text (GOSP carries text).
 *
 * Like the native engine it is sans-IO: datagrams come in through
 * {@link SeedProtocol.receive}, go out through its environment's `send`,
 * and its only timer (the INIT retry) is scheduled through the environment.
 *
 * @module
 */

import type { Engine, EngineEnv, Member, Timer } from "../engine.ts";
import { emptyEngineMetrics, type EngineMetrics } from "../metrics.ts";
import { CodecError } from "../wire/error.ts";
import { MAX_UDP_PAYLOAD } from "../wire/codec.ts";
import { decodeSeed, encodeSeed, type SeedMessage } from "../wire/seed.ts";

/** The settings the seed engine uses (a `ProtocolConfig` has them all). */
export interface SeedConfig {
  /** First delay between INIT retries; doubles up to `joinRetryMax`. */
  joinRetryInterval: number;
  /** Largest delay between INIT retries. */
  joinRetryMax: number;
  /** Largest datagram sent; an INFO lists as many peers as fit. */
  maxDatagramSize: number;
}

/** The seed engine's only timer: send INIT again. */
export type SeedTimer = { readonly name: "join" };

/** Bytes of a seed tag (`INIT`, `INFO`, `CONN`, `GOSP`). */
const TAG_SIZE = 4;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const textEncoder = new TextEncoder();

/** What the engine knows about one peer. */
interface SeedPeer {
  /** Clock time (ms) it was added. */
  since: number;
  /** Whether its address can be listed in an INFO frame (a seed `ip:port`). */
  listable: boolean;
}

/** True when `address` is something an INFO frame can carry. */
function isListable(address: string): boolean {
  try {
    encodeSeed({ type: "info", peers: [address] }, Number.MAX_SAFE_INTEGER);
    return true;
  } catch {
    return false;
  }
}

/**
 * The protocol state machine for one node speaking the original plain-text
 * format (`INIT`, `INFO`, `CONN`, `GOSP`).
 *
 * - {@link SeedProtocol.start} sends `INIT` to every seed and repeats it,
 *   with the delay doubling from `config.joinRetryInterval` up to
 *   `config.joinRetryMax`, until an `INFO` arrives from anyone.
 * - `INIT` from X: X becomes a peer (a `join` event if new) and is answered
 *   with `INFO` listing the peers known before X (never X, never this node),
 *   in the order they were added, as many as fit `config.maxDatagramSize`.
 * - `INFO` from X: every listed peer and X become peers (a `join` event for
 *   each new one), each newly listed peer gets a `CONN`, and the first `INFO`
 *   completes the join (one `joined` event).
 * - `CONN` from X: X becomes a peer (repeats are harmless).
 * - `GOSP` from X: a `message` event `{ from: X, via: X, hops: 0 }` with the
 *   text as UTF-8 bytes and a local id. X is not added as a peer (the
 *   original does not either); the message is still delivered and counted.
 *
 * What the format cannot carry is off: no probes, no incarnations (always 0),
 * no leave, no relaying. Trailing NUL bytes and newlines on incoming frames
 * are tolerated; anything else that does not decode is dropped as
 * `malformed`.
 */
export class SeedProtocol implements Engine {
  /** Settings (only the join retry and the datagram size are used). */
  readonly config: SeedConfig;

  #env: EngineEnv<SeedTimer>;
  #seeds: string[];
  #peers = new Map<string, SeedPeer>();
  #metrics: EngineMetrics = emptyEngineMetrics();
  #state: "new" | "running" | "stopped" = "new";
  #joined = false;
  /** Set by leave(): INIT is not retried any more. */
  #left = false;
  #joinDelay: number;
  #nextId = 1;

  /**
   * Creates the engine for `env.self`, joining through `seeds` once started.
   * A seed equal to `env.self` is ignored.
   */
  constructor(env: EngineEnv<SeedTimer>, config: SeedConfig, seeds: readonly string[] = []) {
    this.#env = env;
    this.config = config;
    this.#seeds = [...new Set(seeds)].filter((s) => s !== env.self);
    this.#joinDelay = config.joinRetryInterval;
  }

  /** This node's address. */
  get self(): string {
    return this.#env.self;
  }

  /** Always 0: the seed format has no incarnations. */
  get incarnation(): number {
    return 0;
  }

  /** Whether an INFO answer has arrived (or the node was started without seeds). */
  get joined(): boolean {
    return this.#joined;
  }

  /** A snapshot of the counters. */
  metrics(): EngineMetrics {
    const m = this.#metrics;
    return { ...m, dropped: { ...m.dropped } };
  }

  /** Starts the join: without seeds the node is joined at once. Idempotent. */
  start(): void {
    if (this.#state !== "new") return;
    this.#state = "running";
    if (this.#seeds.length === 0) {
      this.#joined = true;
    } else {
      this.#sendInit();
    }
  }

  /** Stops: nothing more is sent or handled, and a pending INIT retry is ignored. */
  stop(): void {
    this.#state = "stopped";
  }

  /**
   * The seed format has no way to say "leaving": nothing is sent, and the
   * other peers keep this node in their tables. INIT is not retried any more;
   * call {@link SeedProtocol.stop} to stop the node.
   */
  leave(): void {
    this.#left = true;
  }

  /** The `join` timer: INIT again, unless an INFO came meanwhile. */
  fire(timer: Timer): void {
    if (timer.name === "join") this.#sendInit();
  }

  /** Known peers, in the order they were added, self excluded. */
  peers(): string[] {
    return [...this.#peers.keys()];
  }

  /** This node, then every peer: all `alive`, incarnation 0, `since` = time added, no tags. */
  members(): Member[] {
    const self: Member = { address: this.self, state: "alive", incarnation: 0, since: 0, tags: {} };
    const others: Member[] = [];
    for (const [address, peer] of this.#peers) {
      others.push({ address, state: "alive", incarnation: 0, since: peer.since, tags: {} });
    }
    return [self, ...others];
  }

  /** The seed format carries no tags: throws `TypeError`. */
  setTag(_key: string, _value: string): void {
    throw new TypeError("the seed wire format cannot carry tags");
  }

  /** The seed format carries no tags: throws `TypeError`. */
  deleteTag(_key: string): void {
    throw new TypeError("the seed wire format cannot carry tags");
  }

  /** Always `{}` for this node and its peers (the format has no tags); `undefined` for a stranger. */
  tags(address?: string): Record<string, string> | undefined {
    if (address === undefined || address === this.self || this.#peers.has(address)) return {};
    return undefined;
  }

  /**
   * Sends `payload` as `GOSP` + text directly to every known peer. Returns a
   * local id (the format carries none). Throws `Error` when the node is not
   * running, `TypeError` when the payload is not valid UTF-8 or ends in a
   * NUL or newline (which receivers strip), and `RangeError` when the frame
   * would exceed `config.maxDatagramSize`.
   */
  broadcast(payload: Uint8Array): number {
    if (this.#state !== "running") throw new Error("the node is not running");
    let text: string;
    try {
      text = utf8.decode(payload);
    } catch {
      throw new TypeError("a seed-mode message must be valid UTF-8 text");
    }
    const max = this.config.maxDatagramSize - TAG_SIZE;
    if (payload.length > max) {
      throw new RangeError(
        `message of ${payload.length} bytes is too large: at most ${max} bytes fit in a ${this.config.maxDatagramSize}-byte datagram`,
      );
    }
    let data: Uint8Array;
    try {
      data = encodeSeed({ type: "gosp", text });
    } catch (e) {
      throw new TypeError(
        `the seed format cannot carry this message: ${e instanceof Error ? e.message : e}`,
      );
    }
    const id = this.#takeId();
    this.#metrics.broadcasts++;
    for (const address of this.#peers.keys()) {
      this.#metrics.copiesSent++;
      this.#send(address, data);
    }
    return id;
  }

  /** Handles one datagram from `from`. Never throws for bad input: it is dropped and counted. */
  receive(from: string, data: Uint8Array): void {
    if (this.#state === "stopped") return this.#drop("closed", from, "node stopped");
    if (data.length > MAX_UDP_PAYLOAD) return this.#drop("oversized", from, `${data.length} bytes`);
    let message: SeedMessage;
    try {
      message = decodeSeed(data);
    } catch (e) {
      return this.#drop("malformed", from, e instanceof CodecError ? e.message : String(e));
    }
    if (from === this.self) return;
    switch (message.type) {
      case "init":
        return this.#onInit(from);
      case "info":
        return this.#onInfo(from, message.peers);
      case "conn":
        if (this.#state === "running") this.#add(from);
        return;
      case "gosp":
        return this.#onGosp(from, message.text);
    }
  }

  #drop(reason: "closed" | "oversized" | "malformed", from: string, detail: string): void {
    this.#metrics.dropped[reason]++;
    this.#env.emit("drop", { reason, from, detail });
  }

  // --- join -----------------------------------------------------------------

  #sendInit(): void {
    if (this.#joined || this.#left || this.#state !== "running") return;
    const init = encodeSeed({ type: "init" });
    for (const seed of this.#seeds) this.#send(seed, init);
    const delay = this.#joinDelay;
    this.#joinDelay = Math.min(this.#joinDelay * 2, this.config.joinRetryMax);
    this.#env.schedule({ name: "join" }, delay);
  }

  #onInit(from: string): void {
    if (this.#state !== "running") return;
    // The peers known before `from`: never `from` itself (a repeated INIT), never self.
    const listed: string[] = [];
    for (const [address, peer] of this.#peers) {
      if (address !== from && peer.listable) listed.push(address);
    }
    this.#add(from);
    this.#send(from, encodeSeed({ type: "info", peers: listed }, this.config.maxDatagramSize));
  }

  #onInfo(from: string, listed: string[]): void {
    if (this.#state !== "running") return;
    const conn = encodeSeed({ type: "conn" });
    for (const address of listed) {
      if (address === this.self || address === from) continue;
      if (this.#add(address)) this.#send(address, conn);
    }
    this.#add(from);
    if (!this.#joined) {
      this.#joined = true;
      this.#env.emit("joined", { seed: from, members: this.#peers.size });
    }
  }

  /** Adds a peer; returns whether it was new (and then emits `join`). */
  #add(address: string): boolean {
    if (address === this.self || this.#peers.has(address)) return false;
    this.#peers.set(address, { since: this.#env.now(), listable: isListable(address) });
    this.#env.emit("join", { address, incarnation: 0 });
    return true;
  }

  // --- messages -------------------------------------------------------------

  #onGosp(from: string, text: string): void {
    if (this.#state !== "running") return;
    this.#metrics.delivered++;
    this.#env.emit("message", {
      from,
      via: from,
      id: this.#takeId(),
      hops: 0,
      payload: textEncoder.encode(text),
    });
  }

  #takeId(): number {
    const id = this.#nextId;
    this.#nextId = (this.#nextId + 1) >>> 0;
    return id;
  }

  #send(to: string, data: Uint8Array): void {
    if (this.#state !== "stopped") this.#env.send(to, data);
  }
}
