/**
 * Symmetric keys and authenticated encryption of datagrams.
 *
 * A {@link Keyring} holds one primary key, which seals, and any number of
 * further keys, which only open; that makes key rotation possible without
 * downtime (install the new key everywhere, make it primary everywhere, then
 * remove the old one). Sealing is AES-GCM with a fresh random 96-bit nonce,
 * laid out as memberlist lays it out:
 *
 * ```
 * [0x01 version][12-byte nonce][ciphertext][16-byte tag]
 * ```
 *
 * so a sealed datagram is {@link SEAL_OVERHEAD} (29) bytes longer than the
 * plaintext. A label, if any, is bound as additional authenticated data: a
 * datagram sealed under one label does not open under another.
 *
 * Keys are written as standard base64 (with padding) of 16, 24 or 32 bytes,
 * for AES-128, AES-192 or AES-256.
 *
 * @module
 */

const SEAL_VERSION = 0x01;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;

/**
 * Bytes sealing adds to a plaintext (29): the version byte, the 12-byte nonce
 * and the 16-byte tag. Subtract it from the datagram size budget when
 * encryption is on.
 */
export const SEAL_OVERHEAD: number = 1 + NONCE_SIZE + TAG_SIZE;

const KEY_SIZES: readonly number[] = [16, 24, 32];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const LENGTH_HINT = "key must be base64 of 16, 24 or 32 bytes";
const textEncoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

/** A view WebCrypto accepts: the same bytes when they sit on an ArrayBuffer, else a copy. */
function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : new Uint8Array(bytes) as Uint8Array<ArrayBuffer>;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Decodes a key written as standard base64 (with padding) of 16, 24 or 32
 * bytes. Anything else (bad characters, missing padding, whitespace, another
 * length) throws a `TypeError` with a one-line message that never repeats the
 * key.
 *
 * @param text The key, e.g. from `--key` or a key file line.
 * @returns The key's bytes.
 * @throws {TypeError} When `text` is not such a key.
 */
export function parseKey(text: string): Uint8Array {
  if (typeof text !== "string" || !BASE64.test(text)) {
    throw new TypeError(`${LENGTH_HINT} (not valid base64)`);
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (!KEY_SIZES.includes(bytes.length)) {
    throw new TypeError(`${LENGTH_HINT} (got ${bytes.length})`);
  }
  if (toBase64(bytes) !== text) {
    throw new TypeError(`${LENGTH_HINT} (not canonical base64)`);
  }
  return bytes;
}

/**
 * Makes a new random key (from `crypto.getRandomValues`), written as base64.
 *
 * @param bytes 16, 24 or 32 (AES-128, -192 or -256); default 32.
 * @returns The key as standard base64, ready for {@link parseKey}.
 * @throws {RangeError} For any other size.
 * @example
 * ```ts
 * import { generateKey } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const key = generateKey();
 * assert.equal(atob(key).length, 32);
 * assert.equal(atob(generateKey(16)).length, 16);
 * assert.notEqual(generateKey(), key);
 * ```
 */
export function generateKey(bytes = 32): string {
  if (!KEY_SIZES.includes(bytes)) {
    throw new RangeError(`a key is 16, 24 or 32 bytes, not ${bytes}`);
  }
  return toBase64(crypto.getRandomValues(new Uint8Array(bytes)));
}

function keyBytes(key: string | Uint8Array): Uint8Array {
  if (typeof key === "string") return parseKey(key);
  if (!(key instanceof Uint8Array) || !KEY_SIZES.includes(key.length)) {
    const got = key instanceof Uint8Array ? `got ${key.length}` : "not bytes";
    throw new TypeError(`key must be 16, 24 or 32 bytes (${got})`);
  }
  return key.slice();
}

interface Entry {
  readonly bytes: Uint8Array;
  readonly base64: string;
  readonly key: CryptoKey;
}

async function importEntry(bytes: Uint8Array): Promise<Entry> {
  const key = await crypto.subtle.importKey("raw", own(bytes), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  return { bytes, base64: toBase64(bytes), key };
}

/**
 * The keys a node seals and opens datagrams with: one primary key that seals
 * and opens, and further installed keys that only open. Keys are compared by
 * their bytes, so a key given as base64 and as bytes is the same key.
 *
 * @example Seal, open, and rotate to a new key
 * ```ts
 * import { generateKey, Keyring } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const oldKey = generateKey(), newKey = generateKey();
 * const ring = await Keyring.create([oldKey]);
 * const sealed = await ring.seal(new TextEncoder().encode("hi"), "prod");
 *
 * await ring.install(newKey); // opens with it from now on
 * ring.use(newKey); // seals with it from now on
 * assert.notEqual(await ring.open(sealed, "prod"), undefined); // the old key still opens
 * ring.remove(oldKey);
 * assert.equal(await ring.open(sealed, "prod"), undefined);
 * assert.deepEqual(ring.list(), [newKey]);
 * ```
 */
export class Keyring {
  /** Primary first. */
  #entries: Entry[];
  #labelText = "";
  #labelBytes: Uint8Array<ArrayBuffer> = new Uint8Array(0);

  private constructor(entries: Entry[]) {
    this.#entries = entries;
  }

  /**
   * Makes a keyring from base64 keys or raw key bytes; the first is the
   * primary. Repeated keys are kept once.
   *
   * @param keys At least one key.
   * @throws {TypeError} When `keys` is empty or a key is malformed.
   */
  static async create(keys: (string | Uint8Array)[]): Promise<Keyring> {
    if (!Array.isArray(keys) || keys.length === 0) {
      throw new TypeError("a keyring needs at least one key");
    }
    const unique: Uint8Array[] = [];
    for (const key of keys) {
      const bytes = keyBytes(key);
      if (!unique.some((u) => sameBytes(u, bytes))) unique.push(bytes);
    }
    return new Keyring(await Promise.all(unique.map(importEntry)));
  }

  /**
   * Adds a key that opens datagrams but does not seal them (until
   * {@link Keyring.use} makes it the primary). Installing a key that is
   * already there does nothing.
   *
   * @throws {TypeError} When the key is malformed.
   */
  async install(key: string | Uint8Array): Promise<void> {
    const bytes = keyBytes(key);
    if (this.#find(bytes) >= 0) return;
    const entry = await importEntry(bytes);
    if (this.#find(bytes) >= 0) return; // installed meanwhile
    this.#entries = [...this.#entries, entry];
  }

  /**
   * Makes an installed key the primary: datagrams are sealed with it from now
   * on. The previous primary stays installed and keeps opening.
   *
   * @throws {TypeError} When the key is malformed.
   * @throws {Error} When the key is not installed.
   */
  use(key: string | Uint8Array): void {
    const i = this.#find(keyBytes(key));
    if (i < 0) throw new Error("cannot use a key that is not installed");
    if (i === 0) return;
    const entries = [...this.#entries];
    const [entry] = entries.splice(i, 1);
    this.#entries = [entry, ...entries];
  }

  /**
   * Removes an installed key; datagrams sealed with it no longer open.
   *
   * @throws {TypeError} When the key is malformed.
   * @throws {Error} When the key is the primary or is not installed.
   */
  remove(key: string | Uint8Array): void {
    const i = this.#find(keyBytes(key));
    if (i < 0) throw new Error("cannot remove a key that is not installed");
    if (i === 0) throw new Error("cannot remove the primary key; use another key first");
    this.#entries = this.#entries.filter((_, k) => k !== i);
  }

  /**
   * The installed keys as base64, primary first.
   */
  list(): string[] {
    return this.#entries.map((e) => e.base64);
  }

  /**
   * The primary key, as base64: the one that seals.
   */
  get primary(): string {
    return this.#entries[0].base64;
  }

  /**
   * Encrypts and authenticates `plaintext` with the primary key and a fresh
   * random nonce, binding `label` (UTF-8; empty for none) as additional data.
   *
   * @param plaintext The bytes to seal.
   * @param label The cluster label bound as additional data ("" for none).
   * @param nonce The 12-byte nonce to use instead of a random one. It must
   *   never repeat under a key: {@link SecureTransport} passes a timestamp
   *   followed by 8 random bytes, so that the receiver can refuse replays.
   * @returns `[0x01][12-byte nonce][ciphertext + 16-byte tag]`, {@link SEAL_OVERHEAD}
   *   bytes longer than `plaintext`.
   * @throws {TypeError} When `nonce` is given and is not 12 bytes.
   */
  async seal(plaintext: Uint8Array, label: string, nonce?: Uint8Array): Promise<Uint8Array> {
    const { key } = this.#entries[0];
    if (nonce !== undefined && (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_SIZE)) {
      throw new TypeError(`a nonce is ${NONCE_SIZE} bytes`);
    }
    const iv = nonce ? own(nonce) : crypto.getRandomValues(new Uint8Array(NONCE_SIZE));
    const ciphertext = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: this.#aad(label) },
      key,
      own(plaintext),
    );
    const out = new Uint8Array(1 + NONCE_SIZE + ciphertext.byteLength);
    out[0] = SEAL_VERSION;
    out.set(iv, 1);
    out.set(new Uint8Array(ciphertext), 1 + NONCE_SIZE);
    return out;
  }

  /**
   * Verifies and decrypts what {@link Keyring.seal} made, trying the primary
   * key first and then the others. Never throws for bad input.
   *
   * @returns The plaintext, or `undefined` when the input is too short, has
   *   another version byte, was tampered with, or no installed key (with this
   *   label) opens it.
   */
  async open(sealed: Uint8Array, label: string): Promise<Uint8Array | undefined> {
    if (
      !(sealed instanceof Uint8Array) || sealed.length < SEAL_OVERHEAD ||
      sealed[0] !== SEAL_VERSION
    ) {
      return undefined;
    }
    const bytes = own(sealed);
    const nonce = bytes.subarray(1, 1 + NONCE_SIZE);
    const ciphertext = bytes.subarray(1 + NONCE_SIZE);
    let aad: Uint8Array<ArrayBuffer>;
    try {
      aad = this.#aad(label);
    } catch {
      return undefined;
    }
    for (const { key } of this.#entries) {
      try {
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: nonce, additionalData: aad },
          key,
          ciphertext,
        );
        return new Uint8Array(plain);
      } catch {
        // Not this key (or tampered): try the next.
      }
    }
    return undefined;
  }

  #aad(label: string): Uint8Array<ArrayBuffer> {
    if (label !== this.#labelText) {
      this.#labelBytes = textEncoder.encode(label);
      this.#labelText = label;
    }
    return this.#labelBytes;
  }

  #find(bytes: Uint8Array): number {
    return this.#entries.findIndex((e) => sameBytes(e.bytes, bytes));
  }
}
