/**
 * Encryption and cluster labels around a datagram socket.
 *
 * {@link SecureTransport} wraps any {@link Transport}: the protocol above it
 * sends and receives plaintext datagrams, the network below sees only sealed
 * (or labelled) ones. It works on whole datagrams and knows nothing of the
 * protocol.
 *
 * - With a {@link Keyring}, every datagram is sealed with the primary key
 *   (AES-GCM, the label bound as additional data) and every datagram
 *   received must open with one of the installed keys, else it is dropped
 *   (`"decrypt"`). The nonce starts with the sender's clock in seconds, and
 *   a datagram is accepted once, within `replayWindow` of the receiver's
 *   clock; a replayed or stale one is dropped (`"replay"`, see
 *   {@link ReplayGuard} and docs/SECURITY.md).
 * - With a label and no keys, every datagram is prefixed with the header
 *   `[0xd8][u8 length][label UTF-8]`, and a datagram received without that
 *   exact header is dropped (`"label"`). A node without a label sees `0xd8`
 *   where it expects the codec's magic byte and rejects the datagram.
 * - With neither, datagrams pass through unchanged.
 *
 * Sealing and opening are asynchronous; datagrams are still handed on in the
 * order they were sent or arrived, so the crypto never reorders a protocol
 * exchange.
 *
 * @module
 */

import { type Keyring, SEAL_OVERHEAD } from "./keyring.ts";
import { ReplayGuard, timedNonce } from "./replay_guard.ts";
import type { DatagramHandler, Transport } from "./transport.ts";

/**
 * First byte of a labelled, unencrypted datagram: `[0xd8][u8 length][label]`
 * comes before the frame. The codec's magic is 0xd7, so an unlabelled node
 * rejects labelled datagrams.
 */
export const LABEL_MAGIC: number = 0xd8;

/**
 * Why a {@link SecureTransport} dropped a datagram: `"decrypt"` when a
 * received datagram did not open with any installed key (or under this
 * label), `"label"` when a received datagram lacked this node's label
 * header, `"replay"` when a sealed datagram was received before or its
 * timestamp is outside the acceptance window, `"seal"` when a datagram to
 * send could not be sealed.
 */
export type SecureDropReason = "decrypt" | "label" | "replay" | "seal";

/**
 * Options for {@link SecureTransport}.
 */
export interface SecureTransportOptions {
  /** Seal every datagram sent and open every datagram received with these keys. */
  keyring?: Keyring;
  /**
   * The cluster label, at most 255 bytes of UTF-8; empty or absent for none.
   * With a keyring it is bound as additional data; without, it is sent as a header.
   */
  label?: string;
  /**
   * Called for every dropped datagram, with the reason and the peer address
   * (the sender, or the destination for `"seal"`).
   */
  onDrop?: (reason: SecureDropReason, from: string) => void;
  /**
   * With keys: how far (ms) a datagram's timestamp may be from this node's
   * clock, either way, to be accepted (clock skew between nodes plus network
   * delay). Default 60 000.
   */
  replayWindow?: number;
  /**
   * With keys: how many accepted nonces are remembered to refuse replays
   * (about 100 bytes each). Above `replayCapacity / replayWindow` datagrams
   * per ms the window shrinks for late datagrams. Default 65 536.
   */
  replayCapacity?: number;
  /** Wall clock in ms since the epoch, for the timestamps; default `Date.now`. */
  now?: () => number;
}

const NONCE_SIZE = 12;
const textEncoder = new TextEncoder();
const settled = Promise.resolve();
/** Reports a bug as an uncaught error: `reportError`, or a throw where there is none (Node.js 20). */
const report: (e: unknown) => void = typeof reportError === "function"
  ? reportError
  : (e) =>
    queueMicrotask(() => {
      throw e;
    });

/**
 * A {@link Transport} that seals, opens and labels the datagrams of another.
 *
 * A handler or `onDrop` callback that throws while datagrams are delivered
 * asynchronously (with keys) is reported with `reportError`, like any
 * uncaught error; delivery of later datagrams goes on.
 */
export class SecureTransport implements Transport {
  readonly #inner: Transport;
  readonly #keyring: Keyring | undefined;
  readonly #label: string;
  readonly #header: Uint8Array | undefined;
  readonly #onDrop: ((reason: SecureDropReason, from: string) => void) | undefined;
  readonly #drops: Record<Exclude<SecureDropReason, "replay">, number> = {
    decrypt: 0,
    label: 0,
    seal: 0,
  };
  #replays = 0;
  readonly #guard: ReplayGuard | undefined;
  readonly #now: () => number;
  #handler: DatagramHandler | undefined;
  /** Resolves when every datagram sent so far has been sealed and handed to the inner transport. */
  #sendTail: Promise<void> = settled;
  /** Resolves when every datagram received so far has been opened and delivered or dropped. */
  #receiveTail: Promise<void> = settled;
  #closing = false;
  #closed: Promise<void> | undefined;

  /**
   * Wraps `inner`. Nothing is sent or received until {@link SecureTransport.listen}
   * or {@link SecureTransport.send} is called.
   *
   * @throws {TypeError} When the label is longer than 255 bytes of UTF-8.
   * @throws {RangeError} When `replayWindow` or `replayCapacity` is not positive.
   */
  constructor(inner: Transport, options: SecureTransportOptions = {}) {
    this.#inner = inner;
    this.#keyring = options.keyring;
    this.#now = options.now ?? Date.now;
    if (this.#keyring) {
      this.#guard = new ReplayGuard({
        window: options.replayWindow ?? 60_000,
        capacity: options.replayCapacity ?? 65_536,
      });
    }
    this.#label = options.label ?? "";
    this.#onDrop = options.onDrop;
    const labelBytes = textEncoder.encode(this.#label);
    if (labelBytes.length > 255) {
      throw new TypeError(`label must be at most 255 bytes of UTF-8 (got ${labelBytes.length})`);
    }
    if (!this.#keyring && labelBytes.length > 0) {
      const header = new Uint8Array(2 + labelBytes.length);
      header[0] = LABEL_MAGIC;
      header[1] = labelBytes.length;
      header.set(labelBytes, 2);
      this.#header = header;
    }
  }

  /** The inner transport's address. */
  get address(): string {
    return this.#inner.address;
  }

  /**
   * Bytes this layer adds to every datagram: {@link SEAL_OVERHEAD} (29) with
   * keys, 2 plus the label's length with a label only, else 0. Subtract it
   * from the datagram size budget.
   */
  get overhead(): number {
    if (this.#keyring) return SEAL_OVERHEAD;
    return this.#header?.length ?? 0;
  }

  /** How many datagrams were dropped, by reason (a copy); replays are in {@link SecureTransport.replays}. */
  get drops(): Record<Exclude<SecureDropReason, "replay">, number> {
    return { ...this.#drops };
  }

  /** How many sealed datagrams were dropped as replayed or stale (`"replay"`). */
  get replays(): number {
    return this.#replays;
  }

  /** Starts delivering opened (or unlabelled) datagrams to `handler`. Called once. */
  listen(handler: DatagramHandler): void {
    this.#handler = handler;
    this.#inner.listen((from, data) => this.#receive(from, data));
  }

  /**
   * Seals (or labels) `data` and sends it. Never throws; with keys the send
   * happens asynchronously, in call order. After {@link SecureTransport.close}
   * has begun, datagrams are dropped.
   */
  send(to: string, data: Uint8Array): void {
    if (this.#closing) return;
    const keyring = this.#keyring;
    if (!keyring) {
      const header = this.#header;
      if (!header) {
        this.#inner.send(to, data);
        return;
      }
      const out = new Uint8Array(header.length + data.length);
      out.set(header);
      out.set(data, header.length);
      this.#inner.send(to, out);
      return;
    }
    // Seal at once (seals run concurrently); hand them on in call order.
    const sealing = keyring.seal(data, this.#label, timedNonce(this.#now())).catch(() => undefined);
    this.#sendTail = this.#sendTail.then(() => sealing).then((sealed) => {
      if (sealed) {
        this.#inner.send(to, sealed);
      } else {
        this.#drop("seal", to);
      }
    }).catch(report);
  }

  /**
   * Resolves when no seal or open is pending: every datagram sent so far has
   * been sealed and handed to the inner transport, and every datagram
   * received so far has been opened and delivered (or dropped). Work that
   * starts meanwhile, such as a reply sent by the handler, is awaited too.
   */
  async flush(): Promise<void> {
    let send: Promise<void>, receive: Promise<void>;
    do {
      send = this.#sendTail;
      receive = this.#receiveTail;
      await Promise.all([send, receive]);
    } while (send !== this.#sendTail || receive !== this.#receiveTail);
  }

  /**
   * Stops accepting datagrams in both directions, waits for pending seals
   * (those datagrams are still sent) and opens (those are no longer
   * delivered), then closes the inner transport. Calling it again returns the
   * same promise.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closing = true;
      this.#closed = this.flush().then(() => this.#inner.close());
    }
    return this.#closed;
  }

  #receive(from: string, data: Uint8Array): void {
    if (this.#closing) return;
    const keyring = this.#keyring;
    if (!keyring) {
      const header = this.#header;
      if (!header) {
        this.#handler?.(from, data);
      } else if (hasHeader(data, header)) {
        this.#handler?.(from, data.subarray(header.length));
      } else {
        this.#drop("label", from);
      }
      return;
    }
    // A nonce accepted before: a replay, refused without the cost of opening it.
    const guard = this.#guard!;
    const nonce = data.length >= SEAL_OVERHEAD ? data.subarray(1, 1 + NONCE_SIZE) : undefined;
    if (nonce && guard.seen(nonce)) return this.#drop("replay", from);
    // Open at once (opens run concurrently); deliver in arrival order.
    const opening = keyring.open(data, this.#label).catch(() => undefined);
    this.#receiveTail = this.#receiveTail.then(() => opening).then((plain) => {
      if (this.#closing) return;
      if (!plain) return this.#drop("decrypt", from);
      // Authentic: the timestamp in the nonce is the sender's. Accept each nonce once.
      if (guard.accept(nonce!, this.#now()) !== "ok") return this.#drop("replay", from);
      this.#handler?.(from, plain);
    }).catch(report);
  }

  #drop(reason: SecureDropReason, from: string): void {
    if (reason === "replay") this.#replays++;
    else this.#drops[reason]++;
    this.#onDrop?.(reason, from);
  }
}

function hasHeader(data: Uint8Array, header: Uint8Array): boolean {
  if (data.length < header.length) return false;
  for (let i = 0; i < header.length; i++) if (data[i] !== header[i]) return false;
  return true;
}
