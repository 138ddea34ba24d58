/**
 * Real peers in the lab: each host runs the command line (`cli.ts --json`)
 * as its own process, and every JSON line it prints is an event, stamped
 * with the harness's clock when it arrives. From those events each host's
 * view of every other (alive, suspect, dead, left) is kept, and waits wake
 * on each new event, with a deadline.
 *
 * @module
 */

import type { Host, Lab } from "./lab.ts";

/** A member's state, as an observer's events tell it. */
export type State = "alive" | "suspect" | "dead" | "left";

/** One line a peer printed. */
export interface PeerEvent {
  /** Harness time (ms) when the line arrived. */
  t: number;
  /** The host that printed it. */
  host: number;
  /** Which start of that host (0 for the first). */
  gen: number;
  /** `listening`, `joined`, `join`, `suspect`, `alive`, `dead`, `leave`, `message`, ... */
  event: string;
  /** The member it is about (membership events). */
  address?: string;
  /** The member's incarnation (membership events). */
  incarnation?: number;
  /** Who vouched for it (`suspect`, `dead`). */
  from?: string;
}

/** The port every peer binds. */
export const PORT = 7946;

const STATE_OF: Record<string, State> = {
  join: "alive",
  alive: "alive",
  suspect: "suspect",
  dead: "dead",
  leave: "left",
};

interface Running {
  child: Deno.ChildProcess;
  exited: Promise<void>;
  stderr: string[];
}

/** Options of a {@link Cluster}. */
export interface ClusterOptions {
  /** The repository root (where `cli.ts` is). */
  root: string;
  /** `--period` of every peer (seconds between its broadcasts); default 2. */
  period?: number;
}

/** The peers of one scenario; see the module documentation. */
export class Cluster {
  readonly events: PeerEvent[] = [];
  readonly #lab: Lab;
  readonly #options: ClusterOptions;
  readonly #running = new Map<number, Running>();
  readonly #gen: number[];
  readonly #views: Map<string, { state: State; incarnation: number }>[];
  readonly #index = new Map<string, number>();
  #wake: () => void = () => {};
  #activity: Promise<void>;

  constructor(lab: Lab, options: ClusterOptions) {
    this.#lab = lab;
    this.#options = options;
    this.#gen = lab.hosts.map(() => -1);
    this.#views = lab.hosts.map(() => new Map());
    for (const h of lab.hosts) this.#index.set(this.address(h.index), h.index);
    this.#activity = this.#next();
  }

  /** Harness time, ms. */
  now(): number {
    return performance.now();
  }

  /** Number of hosts. */
  get size(): number {
    return this.#lab.hosts.length;
  }

  /** Host `i`. */
  host(i: number): Host {
    return this.#lab.hosts[i];
  }

  /** The address host `i`'s peer binds. */
  address(i: number): string {
    return `${this.#lab.hosts[i].ip}:${PORT}`;
  }

  /** The host at `address`, or -1. */
  indexOf(address: string | undefined): number {
    return address === undefined ? -1 : this.#index.get(address) ?? -1;
  }

  /** Whether host `i`'s peer runs. */
  isUp(i: number): boolean {
    return this.#running.has(i);
  }

  /** Indices of the hosts whose peer runs. */
  up(): number[] {
    return [...this.#running.keys()].sort((a, b) => a - b);
  }

  /** Starts host `i`'s peer, joining through `seeds` (host indices). */
  start(i: number, seeds: readonly number[] = []): void {
    if (this.#running.has(i)) throw new Error(`host ${i} is running`);
    const h = this.#lab.hosts[i];
    const connect = seeds.filter((s) => s !== i).flatMap((s) => ["--connect", this.address(s)]);
    const argv = [
      Deno.execPath(),
      "run",
      "--cached-only",
      "--no-lock",
      "--unstable-net",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      `${this.#options.root}/cli.ts`,
      "--json",
      "--host",
      h.ip,
      "--port",
      String(PORT),
      "--period",
      String(this.#options.period ?? 2),
      "--message",
      `hello from ${i}`,
      "--log-level",
      "warning",
      ...connect,
    ];
    const { cmd, args } = this.#lab.command(h, argv);
    const child = new Deno.Command(cmd, {
      args,
      cwd: this.#options.root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const gen = ++this.#gen[i];
    this.#views[i].clear();
    const stderr: string[] = [];
    const exited = Promise.all([
      this.#read(child.stdout, (line) => this.#line(i, gen, line)),
      this.#read(child.stderr, (line) => {
        if (stderr.length < 50) stderr.push(line);
      }),
      child.status,
    ]).then(() => {
      if (this.#running.get(i)?.child === child) this.#running.delete(i);
      this.#notify();
    });
    this.#running.set(i, { child, exited, stderr });
  }

  /** Kills host `i`'s peer with SIGKILL (no leave) and waits until it is gone. */
  async kill(i: number): Promise<void> {
    const r = this.#running.get(i);
    if (!r) return;
    try {
      r.child.kill("SIGKILL");
    } catch {
      // Exited already.
    }
    await r.exited;
    this.#running.delete(i);
  }

  /** Kills every peer. */
  async stopAll(): Promise<void> {
    await Promise.all(this.up().map((i) => this.kill(i)));
  }

  /** What host `i`'s peer wrote on stderr (its first lines). */
  stderr(i: number): string[] {
    return this.#running.get(i)?.stderr ?? [];
  }

  /** Host `observer`'s current view of host `subject` (undefined: not known, or not running). */
  stateAt(observer: number, subject: number): State | undefined {
    if (!this.#running.has(observer)) return undefined;
    return this.#views[observer].get(this.address(subject))?.state;
  }

  /** The incarnation host `observer` holds for host `subject`. */
  incarnationAt(observer: number, subject: number): number | undefined {
    return this.#views[observer].get(this.address(subject))?.incarnation;
  }

  /** Whether every running host but `subject` holds `subject` in `state`. */
  allSee(subject: number, state: State, among: readonly number[] = this.up()): boolean {
    return among.every((o) => o === subject || this.stateAt(o, subject) === state);
  }

  /** Whether every running host holds every other running host alive. */
  fullMesh(among: readonly number[] = this.up()): boolean {
    return among.every((o) => among.every((s) => s === o || this.stateAt(o, s) === "alive"));
  }

  /** Membership events since `t` about host `about` (any if -1), seen by `by` (any if -1). */
  changes(t: number, about = -1, by = -1, types = Object.keys(STATE_OF)): PeerEvent[] {
    return this.events.filter((e) =>
      e.t >= t && types.includes(e.event) && (about < 0 || this.indexOf(e.address) === about) &&
      (by < 0 || e.host === by)
    );
  }

  /**
   * Waits until `cond` holds, re-checking after every event and every peer
   * exit, for at most `timeout` ms; resolves with the ms waited, rejects
   * naming `what` at the deadline.
   */
  async waitUntil(cond: () => boolean, timeout: number, what: string): Promise<number> {
    const start = this.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<"deadline">((resolve) => {
      timer = setTimeout(() => resolve("deadline"), timeout);
    });
    try {
      for (;;) {
        const next = this.#activity;
        if (cond()) return this.now() - start;
        if (await Promise.race([next, deadline]) === "deadline") {
          throw new Error(`timed out after ${Math.round(timeout / 1000)} s waiting for ${what}`);
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #next(): Promise<void> {
    return new Promise((resolve) => this.#wake = resolve);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#activity = this.#next();
    wake();
  }

  #line(host: number, gen: number, line: string): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    const e: PeerEvent = {
      t: this.now(),
      host,
      gen,
      event: String(parsed.event),
      address: typeof parsed.address === "string" ? parsed.address : undefined,
      incarnation: typeof parsed.incarnation === "number" ? parsed.incarnation : undefined,
      from: typeof parsed.from === "string" ? parsed.from : undefined,
    };
    this.events.push(e);
    const state = STATE_OF[e.event];
    if (state && e.address !== undefined && gen === this.#gen[host]) {
      this.#views[host].set(e.address, { state, incarnation: e.incarnation ?? 0 });
    }
    this.#notify();
  }

  async #read(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      let nl;
      while ((nl = rest.indexOf("\n")) >= 0) {
        onLine(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
    }
    if (rest !== "") onLine(rest);
  }
}
