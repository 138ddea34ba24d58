/**
 * {@link GossipNode}: a peer. It binds a transport, a clock and a protocol
 * engine together: datagrams from the transport and due timers go into the
 * engine, and what the engine sends, schedules and reports comes out here.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { formatAddress, parseAddress } from "./address.ts";
import { type Clock, systemClock, systemRandom } from "./clock.ts";
import { profile, type ProfileName, type ProtocolConfig, validateConfig } from "./core/config.ts";
import { Protocol } from "./core/protocol.ts";
import { checkTags } from "./core/tag_store.ts";
import type { Engine, EngineEnv, Member, Random } from "./engine.ts";
import type { GossipNodeEventMap } from "./events.ts";
import { GuardedListeners } from "./listeners.ts";
import {
  DROP_REASONS,
  type DropReason,
  emptyDrops,
  type NodeMetrics,
  type TrafficMetrics,
} from "./metrics.ts";
import { Keyring } from "./net/keyring.ts";
import { buildStack } from "./net/stack.ts";
import type { Transport } from "./net/transport.ts";
import { SeedProtocol } from "./seed/protocol.ts";
import { HostTimers } from "./timers.ts";
import { detectWire, type WireFormat } from "./wire/detect.ts";

const log = getLogger(["peer", "node"]);
const encoder = new TextEncoder();

/**
 * Options for {@link GossipNode.start}. Any {@link ProtocolConfig} field
 * may be given to override the chosen profile.
 *
 * @example
 * ```ts
 * import type { GossipNodeOptions } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const options: GossipNodeOptions = {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   seeds: ["127.0.0.1:8080"],
 *   profile: "wan",
 *   fanout: 4,
 * };
 * assert.equal(options.seeds?.length, 1);
 * ```
 */
export interface GossipNodeOptions extends Partial<ProtocolConfig> {
  /** Address to bind, default `127.0.0.1`. */
  hostname?: string;
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
  /** Peers to join through (`host:port`); empty or absent: this is the first node. */
  seeds?: string[];
  /** Settings profile, default `"lan"`; other fields override it. */
  profile?: ProfileName;
  /**
   * The address others reach this node at, when it differs from the bound one
   * (for example when binding `0.0.0.0`; then the default is `127.0.0.1`).
   */
  advertise?: string;
  /**
   * Use this transport instead of binding a UDP socket (for example one from
   * `MemoryNetwork` in `@gossip/peer/testing`).
   */
  transport?: Transport;
  /** Clock for time and timers, default the real one (tests pass a virtual one). */
  clock?: Clock;
  /**
   * Random source, default `Math.random`. A seeded one (tests, simulations)
   * also makes the join cookies reproducible.
   */
  random?: Random;
  /**
   * Wire format: `"native"` (default) or `"seed"`, the original plain-text
   * INIT/INFO/CONN/GOSP format, to talk with original peers (no failure
   * detection, leave, relaying or encryption in that mode).
   */
  wire?: "native" | "seed";
  /**
   * AES-GCM keys (base64 of 16, 24 or 32 bytes, or the bytes): the first seals,
   * all open. With keys every datagram is authenticated and encrypted.
   */
  keys?: (string | Uint8Array)[];
  /** Cluster label: nodes with different labels never talk (with or without keys). */
  label?: string;
  /**
   * This node's initial tags: string keys (1 to 255 bytes of UTF-8) and
   * values (at most 1,024 bytes), at most `maxTagBytes` in all. The native
   * wire format only.
   */
  tags?: Record<string, string>;
}

/**
 * A gossip peer. Start one with {@link GossipNode.start}; it binds a UDP
 * socket (or uses the given transport), joins through `seeds`, keeps the
 * member table with failure detection, and delivers broadcasts as `message`
 * events. A listener that throws is logged and does not stop the node.
 *
 * @example Two nodes on loopback
 * ```ts
 * import { GossipNode } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * await using a = await GossipNode.start({ port: 0 });
 * await using b = await GossipNode.start({ port: 0, seeds: [a.address] });
 * const joined = new Promise((resolve) => b.addEventListener("joined", resolve));
 * const heard = new Promise<string>((resolve) =>
 *   a.addEventListener("message", (e) => resolve(new TextDecoder().decode(e.detail.payload)))
 * );
 * await joined;
 * b.broadcast("hello");
 * assert.equal(await heard, "hello");
 * assert.deepEqual(a.peers(), [b.address]);
 * ```
 */
export class GossipNode extends EventTarget {
  /** The effective protocol settings. */
  readonly config: Readonly<ProtocolConfig>;
  #engine: Engine;
  #wire: WireFormat;
  #transport: Transport;
  #keyring: Keyring | undefined;
  #timers: HostTimers;
  #traffic: TrafficMetrics;
  /** Drops counted here, before the engine: transport and format detection. */
  #dropped = emptyDrops();
  #warnedSeed = new Set<string>();
  #listeners: GuardedListeners;
  #closed: Promise<void> | undefined;

  private constructor(
    init: {
      config: ProtocolConfig;
      wire: WireFormat;
      seeds: string[];
      self: string;
      transport: Transport;
      keyring: Keyring | undefined;
      clock: Clock;
      random: Random | undefined;
      traffic: TrafficMetrics;
      tags: Record<string, string>;
      clockGiven: boolean;
    },
  ) {
    super();
    this.#listeners = new GuardedListeners(
      this,
      (type, error) =>
        log.error("a listener for {type} events threw (the node goes on): {error}", {
          type,
          error: error instanceof Error ? error.stack ?? error.message : String(error),
        }),
    );
    const { config, wire, seeds, self, transport, clock, random } = init;
    this.config = config;
    this.#wire = wire;
    this.#transport = transport;
    this.#keyring = init.keyring;
    this.#traffic = init.traffic;
    this.#timers = new HostTimers(clock);
    const env: EngineEnv = {
      self,
      now: () => clock.now(),
      random: random ?? systemRandom,
      // An injected random source means a test or a simulation: keep it exact.
      unpredictable: random
        ? () => Math.floor(random.next() * 0x100000000) >>> 0
        : () => crypto.getRandomValues(new Uint32Array(1))[0],
      send: (to, data) => transport.send(to, data),
      schedule: (timer, delay) => this.#timers.after(delay, () => this.#engine.fire(timer)),
      emit: (type, detail) => this.#emit(type, detail),
    };
    // A restarted node starts a new tag generation, later than any before on
    // its address: wall time (an injected clock's time in tests and simulations).
    const generation = init.clockGiven ? Math.floor(clock.now()) : Date.now();
    this.#engine = wire === "seed"
      ? new SeedProtocol(env, config, seeds)
      : new Protocol(env, config, seeds, { generation, tags: init.tags });
  }

  /**
   * Binds, starts the protocol and begins joining. Resolves once bound (the
   * join goes on in the background: listen for `joined`, or poll `peers()`).
   * Throws `TypeError`/`RangeError` for bad options, `Deno.errors.AddrInUse`
   * when the port is taken (on Node.js and Bun an `Error` named `AddrInUse`).
   */
  static async start(options: GossipNodeOptions = {}): Promise<GossipNode> {
    const config = resolveConfig(options);
    const seeds = (options.seeds ?? []).map((s) => {
      parseAddress(s);
      return s;
    });
    const wire = options.wire ?? "native";
    if (wire !== "native" && wire !== "seed") {
      throw new TypeError(`wire must be "native" or "seed", got "${wire}"`);
    }
    const secured = (options.keys !== undefined && options.keys.length > 0) ||
      options.label !== undefined;
    if (wire === "seed" && secured) {
      throw new TypeError("keys and labels cannot be used with the seed wire format");
    }
    const tags = { ...options.tags };
    if (wire === "seed" && Object.keys(tags).length > 0) {
      throw new TypeError("tags cannot be used with the seed wire format");
    }
    checkTags(tags, config.maxTagBytes);
    const keyring = options.keys?.length ? await Keyring.create(options.keys) : undefined;
    const ref: { node?: GossipNode } = {};
    const { transport, traffic, overhead } = await buildStack({
      transport: options.transport,
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 0,
      keyring,
      label: options.label,
      onDrop: (reason, from) => {
        if (ref.node) {
          ref.node.#drop(reason === "seal" ? "decrypt" : reason, from, `${reason} failed`);
        }
      },
    });
    // Sealing adds bytes: keep whole datagrams under the configured size.
    config.maxDatagramSize -= overhead;
    let self: string;
    try {
      self = options.advertise ?? advertised(transport.address);
      parseAddress(self);
    } catch (e) {
      await transport.close();
      throw e;
    }
    const node = new GossipNode({
      config,
      wire,
      seeds,
      self,
      transport,
      keyring,
      clock: options.clock ?? systemClock,
      random: options.random,
      traffic,
      tags,
      clockGiven: options.clock !== undefined,
    });
    ref.node = node;
    transport.listen((from, data) => node.#receive(from, data));
    node.#engine.start();
    log.info("node {address} started ({wire} wire, {mode}, seeds: {seeds})", {
      address: self,
      wire,
      mode: config.mode,
      seeds: seeds.join(", ") || "none",
    });
    return node;
  }

  /** The address the other members know this node by, `host:port`. */
  get address(): string {
    return this.#engine.self;
  }

  /** The incarnation number (raised when refuting a suspicion). */
  get incarnation(): number {
    return this.#engine.incarnation;
  }

  /** Whether the node has been let in by a seed (always true without seeds). */
  get joined(): boolean {
    return this.#engine.joined;
  }

  /** Addresses of live peers (alive or suspect), self excluded. */
  peers(): string[] {
    return this.#engine.peers();
  }

  /** Every member this node knows of, in every state, itself first, with its tags. */
  members(): Member[] {
    return this.#engine.members();
  }

  /**
   * Sets one of this node's tags: it reaches every member in a few hops, as
   * membership updates do, and each sees a `tag` event. Keys are 1 to 255
   * bytes of UTF-8, values at most 1,024, and a node's tags at most
   * `maxTagBytes` in all: over a limit, `RangeError` and nothing changes.
   *
   * @example
   * ```ts
   * import { GossipNode } from "@gossip/peer";
   * import assert from "node:assert/strict";
   * await using a = await GossipNode.start({ port: 0, tags: { role: "db" } });
   * await using b = await GossipNode.start({ port: 0, seeds: [a.address] });
   * const tag = (key: string) =>
   *   new Promise<string>((resolve) =>
   *     b.addEventListener("tag", (e) => {
   *       if (e.detail.key === key) resolve(e.detail.value!);
   *     })
   *   );
   * assert.equal(await tag("role"), "db"); // learned on joining
   * const seen = tag("load");
   * a.setTag("load", "0.42");
   * assert.equal(await seen, "0.42");
   * assert.deepEqual(b.tags(a.address), { role: "db", load: "0.42" });
   * assert.throws(() => a.setTag("", "x"), RangeError);
   * ```
   */
  setTag(key: string, value: string): void {
    if (typeof value !== "string") {
      throw new TypeError(`a tag value is a string, got ${typeof value}`);
    }
    this.#engine.setTag(key, value);
  }

  /** Deletes one of this node's tags (the others see a `tag` event without a value). */
  deleteTag(key: string): void {
    this.#engine.deleteTag(key);
  }

  /**
   * This node's own tags, or, given an address, that member's as last
   * learned (`undefined` for an address that is not a member).
   */
  tags(address?: string): Record<string, string> | undefined {
    return this.#engine.tags(address);
  }

  /**
   * The keyring, when the node was started with `keys`: install a new key on
   * every node, `use` it everywhere, then `remove` the old one (see README).
   */
  get keyring(): Keyring | undefined {
    return this.#keyring;
  }

  /** Counters: traffic, deliveries, probes, drops by reason. */
  metrics(): NodeMetrics {
    const engine = this.#engine.metrics();
    const dropped = engine.dropped;
    for (const reason of DROP_REASONS) dropped[reason] += this.#dropped[reason];
    return { ...this.#traffic, ...engine, dropped };
  }

  /**
   * Sends `data` (a string is UTF-8 encoded) to every live member, delivered
   * once each as a `message` event. Returns the message id. Throws
   * `RangeError` if it does not fit one datagram.
   */
  broadcast(data: string | Uint8Array): number {
    const payload = typeof data === "string" ? encoder.encode(data) : data;
    return this.#engine.broadcast(payload);
  }

  /** Tells the cluster this node is leaving (they mark it `left`), then closes. */
  async leave(): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#engine.leave();
    log.info("node {address} leaving", { address: this.address });
    await this.close();
  }

  /** Stops at once: timers cleared, socket closed, nothing pending. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#engine.stop();
      this.#timers.clear();
      await this.#transport.close();
      log.info("node {address} closed", { address: this.address });
    })();
    return this.#closed;
  }

  /** `await using node = await GossipNode.start()` closes the node at scope end. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Listens for a node event; `event.detail` is typed by {@link GossipNodeEventMap}. */
  override addEventListener<K extends keyof GossipNodeEventMap>(
    type: K,
    listener: (this: GossipNode, event: CustomEvent<GossipNodeEventMap[K]>) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /** Listens for any event. */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    // deno-lint-ignore no-explicit-any
    listener: any,
    options?: boolean | AddEventListenerOptions,
  ): void {
    if (listener === null) return;
    super.addEventListener(type, this.#listeners.wrap(type, listener, options), options);
  }

  /** Stops listening. */
  override removeEventListener<K extends keyof GossipNodeEventMap>(
    type: K,
    listener: (this: GossipNode, event: CustomEvent<GossipNodeEventMap[K]>) => void,
    options?: boolean | EventListenerOptions,
  ): void;
  /** Stops listening. */
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    // deno-lint-ignore no-explicit-any
    listener: any,
    options?: boolean | EventListenerOptions,
  ): void {
    if (listener === null) return;
    const wrapper = this.#listeners.find(type, listener, options);
    if (wrapper) super.removeEventListener(type, wrapper, options);
  }

  /** A datagram from the transport: the other wire format is told apart here, the rest is the engine's. */
  #receive(from: string, data: Uint8Array): void {
    const format = detectWire(data);
    if (format !== "unknown" && format !== this.#wire) {
      if (format === "seed") {
        this.#warnSeedWire(from);
        return this.#drop("seed-wire", from, "seed-format frame received by a native node");
      }
      return this.#drop("malformed", from, "native frame received in seed mode");
    }
    this.#engine.receive(from, data);
  }

  #drop(reason: DropReason, from: string, detail: string): void {
    this.#dropped[reason]++;
    this.#emit("drop", { reason, from, detail });
  }

  #warnSeedWire(from: string): void {
    if (this.#warnedSeed.has(from) || this.#warnedSeed.size >= 64) return;
    this.#warnedSeed.add(from);
    log.warn(
      "an original-format (seed wire) peer at {from} is talking to this native node; " +
        'start this node with wire: "seed" (--wire seed) to talk to it',
      { from },
    );
  }

  #emit<K extends keyof GossipNodeEventMap>(type: K, detail: GossipNodeEventMap[K]): void {
    // Events are frequent in large clusters: build nothing for a log nobody reads.
    if (type !== "message" && log.isEnabledFor("debug")) {
      log.debug(`{type} ${type === "drop" ? "from {from}: {reason} ({detail})" : "{address}"}`, {
        type,
        ...detail,
      });
    }
    if (this.#listeners.listens(type)) this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

function resolveConfig(options: GossipNodeOptions): ProtocolConfig {
  const config = profile(options.profile ?? "lan");
  for (const key of Object.keys(config) as (keyof ProtocolConfig)[]) {
    const v = options[key];
    if (v !== undefined) (config as unknown as Record<string, unknown>)[key] = v;
  }
  validateConfig(config);
  return config;
}

/** The address to advertise for a bound one: loopback stands in for "any". */
function advertised(bound: string): string {
  const { hostname, port } = parseAddress(bound);
  if (hostname === "0.0.0.0") return formatAddress("127.0.0.1", port);
  if (hostname === "::") return formatAddress("::1", port);
  return bound;
}
export type { GossipNodeEventMap, MessageDetail } from "./events.ts";
