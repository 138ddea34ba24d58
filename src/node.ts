/**
 * {@link GossipNode}: a peer on a transport, with events.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { formatAddress, parseAddress } from "./address.ts";
import { type Clock, systemClock, systemRandom } from "./clock.ts";
import type { Random } from "./engine.ts";
import { profile, type ProfileName, type ProtocolConfig, validateConfig } from "./core/config.ts";
import type { Engine } from "./engine.ts";
import type { Member } from "./core/membership.ts";
import type { DropReason, NodeMetrics } from "./metrics.ts";
import { Keyring } from "./net/keyring.ts";
import { Protocol, type ProtocolEnv, type ProtocolEvent } from "./core/protocol.ts";
import { SecureTransport } from "./net/secure.ts";
import { SeedProtocol } from "./seed/protocol.ts";
import type { Transport } from "./net/transport.ts";
import { UdpTransport } from "./net/udp.ts";

const log = getLogger(["peer", "node"]);
const encoder = new TextEncoder();

/**
 * Options for {@link GossipNode.start}. Any {@link ProtocolConfig} field
 * may be given to override the chosen profile.
 *
 * @example
 * ```ts
 * import type { GossipNodeOptions } from "@gossip/peer";
 * const options: GossipNodeOptions = {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   seeds: ["127.0.0.1:8080"],
 *   period: 1000,
 * };
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
  /** Use this transport instead of binding a UDP socket (tests, simulator). */
  transport?: Transport;
  /** Clock to use, default the real one. */
  clock?: Clock;
  /** Random source to use, default `Math.random`. */
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
}

/**
 * A message delivered to the application.
 *
 * @example
 * ```ts
 * import type { MessageDetail } from "@gossip/peer";
 * const show = (m: MessageDetail) => `${m.from}: ${new TextDecoder().decode(m.payload)}`;
 * ```
 */
export interface MessageDetail {
  /** The node that broadcast it. */
  from: string;
  /** The peer this copy came from (equals `from` when not relayed). */
  via: string;
  /** The origin's id for it; `(from, id)` is unique. */
  id: number;
  /** Relays between the origin and this node. */
  hops: number;
  /** The bytes broadcast. */
  payload: Uint8Array;
}

/**
 * The detail of each event a {@link GossipNode} dispatches (as `CustomEvent`).
 *
 * @example
 * ```ts
 * import type { GossipNodeEventMap } from "@gossip/peer";
 * type JoinDetail = GossipNodeEventMap["join"]; // { address, incarnation }
 * ```
 */
export interface GossipNodeEventMap {
  /** A member joined (or rejoined). */
  join: { address: string; incarnation: number };
  /** The node got its INFO answer from a seed. */
  joined: { seed: string; members: number };
  /** A member is suspected of having failed. */
  suspect: { address: string; incarnation: number; from: string };
  /** A suspected member proved alive (it refuted, or recovered). */
  alive: { address: string; incarnation: number };
  /** A member was declared dead. */
  dead: { address: string; incarnation: number; from: string };
  /** A member left gracefully. */
  leave: { address: string; incarnation: number };
  /** An application message arrived (once per message). */
  message: MessageDetail;
  /** A datagram was dropped. */
  drop: { reason: DropReason; from: string; detail: string };
}

/**
 * A listener for one {@link GossipNode} event type.
 *
 * @example
 * ```ts
 * import type { GossipNodeListener } from "@gossip/peer";
 * const onJoin: GossipNodeListener<"join"> = (e) => console.log(e.detail.address);
 * ```
 */
export type GossipNodeListener<K extends keyof GossipNodeEventMap> = (
  this: GossipNode,
  event: CustomEvent<GossipNodeEventMap[K]>,
) => void;

/**
 * A gossip peer. Start one with {@link GossipNode.start}; it binds a UDP
 * socket (or uses the given transport), joins through `seeds`, keeps the
 * member table with failure detection, and delivers broadcasts.
 *
 * @example Two nodes on loopback
 * ```ts ignore
 * import { GossipNode } from "@gossip/peer";
 * await using a = await GossipNode.start({ port: 0 });
 * await using b = await GossipNode.start({ port: 0, seeds: [a.address] });
 * a.addEventListener("message", (e) => console.log(e.detail.from, e.detail.payload));
 * b.addEventListener("join", (e) => console.log("joined:", e.detail.address));
 * b.broadcast("hello");
 * ```
 */
export class GossipNode extends EventTarget {
  /** The effective protocol settings. */
  readonly config: Readonly<ProtocolConfig>;
  #protocol: Engine;
  #transport: Transport;
  #closed: Promise<void> | undefined;
  #listened = new Set<string>();
  #keyring: Keyring | undefined;
  #warnedSeed = new Set<string>();

  private constructor(
    transport: Transport,
    config: ProtocolConfig,
    keyring: Keyring | undefined,
    makeProtocol: (emit: (event: ProtocolEvent) => void) => Engine,
  ) {
    super();
    this.#transport = transport;
    this.#keyring = keyring;
    this.config = config;
    this.#protocol = makeProtocol((event) => this.#emit(event));
  }

  /**
   * Binds, starts the protocol and begins joining. Resolves once bound (the
   * join goes on in the background: listen for `joined`, or poll `peers()`).
   * Throws `TypeError`/`RangeError` for bad options, `Deno.errors.AddrInUse`
   * when the port is taken.
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
    const keyring = options.keys?.length ? await Keyring.create(options.keys) : undefined;
    const inner = options.transport ??
      await UdpTransport.bind({
        hostname: options.hostname ?? "127.0.0.1",
        port: options.port ?? 0,
        onSendError: (to, e) => log.debug("send to {to} failed: {error}", { to, error: String(e) }),
      });
    const ref: { node?: GossipNode } = {};
    let transport: Transport = inner;
    let secure: SecureTransport | undefined;
    if (secured) {
      try {
        secure = new SecureTransport(inner, {
          keyring,
          label: options.label,
          onDrop: (reason, from) =>
            ref.node?.countDrop(reason === "seal" ? "decrypt" : reason, from, `${reason} failed`),
        });
      } catch (e) {
        await inner.close();
        throw e;
      }
      transport = secure;
      // Sealing adds bytes: keep whole datagrams under the configured size.
      config.maxDatagramSize -= secure.overhead;
    }
    const self = options.advertise ?? advertised(transport.address);
    parseAddress(self);
    const env: ProtocolEnv = {
      self,
      clock: options.clock ?? systemClock,
      random: options.random ?? systemRandom,
      send: (to, data) => transport.send(to, data),
      emit: () => {},
    };
    if (options.random) {
      // An injected random source means a test or a simulation: keep it exact.
      const random = options.random;
      env.unpredictable = () => Math.floor(random.next() * 0x100000000) >>> 0;
    }
    const node = new GossipNode(transport, config, keyring, (emit) => {
      env.emit = emit;
      return wire === "seed"
        ? new SeedProtocol(env, config, seeds)
        : new Protocol(env, config, seeds);
    });
    ref.node = node;
    const protocol = node.#protocol;
    transport.listen((from, data) => protocol.receive(from, data));
    protocol.start();
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
    return this.#protocol.self;
  }

  /** The incarnation number (raised when refuting a suspicion). */
  get incarnation(): number {
    return this.#protocol.incarnation;
  }

  /** Whether the node has been let in by a seed (always true without seeds). */
  get joined(): boolean {
    return this.#protocol.joined;
  }

  /** Addresses of live peers (alive or suspect), self excluded. */
  peers(): string[] {
    return this.#protocol.peers();
  }

  /** Every member this node knows of, in every state, itself first. */
  members(): Member[] {
    return this.#protocol.members();
  }

  /**
   * The keyring, when the node was started with `keys`: install a new key on
   * every node, `use` it everywhere, then `remove` the old one (see README).
   */
  get keyring(): Keyring | undefined {
    return this.#keyring;
  }

  /** Counts a datagram dropped by a layer around the protocol. */
  countDrop(reason: DropReason, from: string, detail: string): void {
    this.#protocol.countDrop(reason, from, detail);
  }

  /** Counters: traffic, deliveries, probes, drops by reason. */
  metrics(): NodeMetrics {
    return this.#protocol.metrics();
  }

  /**
   * Sends `data` (a string is UTF-8 encoded) to every live member, delivered
   * once each as a `message` event. Returns the message id. Throws
   * `RangeError` if it does not fit one datagram.
   */
  broadcast(data: string | Uint8Array): number {
    const payload = typeof data === "string" ? encoder.encode(data) : data;
    return this.#protocol.broadcast(payload);
  }

  /** Tells the cluster this node is leaving (they mark it `left`), then closes. */
  async leave(): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#protocol.leave();
    log.info("node {address} leaving", { address: this.address });
    await this.close();
  }

  /** Stops at once: timers cleared, socket closed, nothing pending. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#protocol.stop();
      await this.#transport.close();
      log.info("node {address} closed", { address: this.address });
    })();
    return this.#closed;
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

  /** `await using node = await GossipNode.start()` closes the node at scope end. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Listens for a node event; `event.detail` is typed by {@link GossipNodeEventMap}. */
  override addEventListener<K extends keyof GossipNodeEventMap>(
    type: K,
    listener: GossipNodeListener<K>,
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
    this.#listened.add(type);
    super.addEventListener(type, listener as EventListener, options);
  }

  /** Stops listening. */
  override removeEventListener<K extends keyof GossipNodeEventMap>(
    type: K,
    listener: GossipNodeListener<K>,
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
    super.removeEventListener(type, listener as EventListener, options);
  }

  #emit(event: ProtocolEvent): void {
    const type = event.type;
    if (type === "drop" && event.reason === "seed-wire") this.#warnSeedWire(event.from);
    // Events are frequent in large clusters: build nothing for a log nobody reads.
    if (type !== "message" && log.isEnabledFor("debug")) {
      if (type === "drop") {
        log.debug("dropped a datagram from {from}: {reason} ({detail})", { ...event });
      } else {
        log.debug("{type} {address}", { ...event });
      }
    }
    if (!this.#listened.has(type)) return;
    const { type: _type, ...detail } = event;
    if (!this.#listened.has(type)) return;
    try {
      this.dispatchEvent(new CustomEvent(type, { detail }));
    } catch (e) {
      log.error("an event listener for {type} threw: {error}", { type, error: String(e) });
    }
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
