/**
 * Headless Chromium for the page tests, driven over the Chrome DevTools
 * Protocol with nothing but a WebSocket: Debian's `/usr/bin/chromium` (or
 * `$CHROMIUM`) started with the flags it needs on a closed network and a
 * fresh profile. (playwright-core was tried first: under Deno it reads
 * /proc/sys at import, which needs --allow-all; this needs only --allow-run,
 * --allow-net, --allow-read and --allow-write.) Where there is no Chromium,
 * {@link chromiumMissing} says why and the tests are ignored with that
 * reason.
 */

/** The browser binary: `$CHROMIUM`, or Debian's. */
export const CHROMIUM: string = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";

/** Where screenshots are kept (git-ignored). */
export const ARTIFACTS: URL = new URL("./artifacts/", import.meta.url);

/** A bound on every wait: a command's answer, a condition. */
const TIMEOUT = 20_000;
/** A bound on Chromium's start (slow on a loaded machine). */
const LAUNCH_TIMEOUT = 60_000;

/** Why the browser tests cannot run here, or `undefined` when they can. */
export function chromiumMissing(): string | undefined {
  try {
    Deno.statSync(CHROMIUM);
    return undefined;
  } catch {
    return `${CHROMIUM} not found (.ci/run installs Debian's chromium with apt)`;
  }
}

/** Without the networking ones, Chromium stalls trying to reach the network on a closed one. */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--remote-debugging-address=127.0.0.1",
  "--remote-debugging-port=0",
];

type Message = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
};

/** A running headless Chromium and its DevTools connection; dispose it to close both. */
export class Browser implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #socket: WebSocket;
  #profile: string;
  #stopLog: () => Promise<void>;
  #next = 1;
  #pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  #listeners = new Set<(m: Message) => void>();
  #closed: Promise<void>;

  private constructor(
    child: Deno.ChildProcess,
    socket: WebSocket,
    profile: string,
    stopLog: () => Promise<void>,
  ) {
    this.#child = child;
    this.#socket = socket;
    this.#profile = profile;
    this.#stopLog = stopLog;
    this.#closed = new Promise((resolve) => socket.addEventListener("close", () => resolve()));
    socket.addEventListener("message", (e) => {
      const m = JSON.parse(e.data as string) as Message;
      if (m.id !== undefined) {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.error) p?.reject(new Error(`CDP: ${m.error.message}`));
        else p?.resolve(m);
      } else {
        for (const listener of this.#listeners) listener(m);
      }
    });
  }

  /**
   * Starts Chromium with a fresh profile and connects to it; on a loaded
   * machine a start may be slow, so a start that fails is tried once more.
   */
  static async launch(): Promise<Browser> {
    try {
      return await Browser.#launch();
    } catch (e) {
      console.error(`Chromium's first start failed, trying again: ${(e as Error).message}`);
      return await Browser.#launch();
    }
  }

  static async #launch(): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "peer-chromium-" });
    const child = new Deno.Command(CHROMIUM, {
      args: [...FLAGS, `--user-data-dir=${profile}`, "about:blank"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let found: (url: string) => void = () => {};
    const endpoint = new Promise<string>((resolve) => found = resolve);
    let log = "";
    // Chromium logs on stderr, the DevTools URL among it. Its helper processes
    // keep the pipe open after it exits, so reading stops by cancelling, not at
    // the end of the stream.
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    const reading = (async () => {
      try {
        for (let r; !(r = await reader.read()).done;) {
          log += r.value;
          const m = /DevTools listening on (ws:\/\/\S+)/.exec(log);
          if (m) found(m[1]);
        }
      } catch {
        // Cancelled.
      }
    })();
    const stopLog = async () => {
      await reader.cancel().catch(() => {});
      await reading;
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Chromium did not start in ${LAUNCH_TIMEOUT} ms:\n${log}`)),
        LAUNCH_TIMEOUT,
      );
    });
    const exited = child.status.then((s) => {
      throw new Error(`Chromium exited (code ${s.code}) before it listened:\n${log}`);
    });
    try {
      const url = await Promise.race([endpoint, exited, late]);
      const socket = new WebSocket(url);
      await Promise.race([
        new Promise((resolve, reject) => {
          socket.addEventListener("open", resolve);
          socket.addEventListener("error", () => reject(new Error("CDP connection failed")));
        }),
        late,
      ]);
      return new Browser(child, socket, profile, stopLog);
    } catch (e) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Exited already.
      }
      await child.status;
      await stopLog();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      throw e;
    } finally {
      clearTimeout(timer);
      exited.catch(() => {});
    }
  }

  /** Sends a command (to a page's session, when given) and resolves with its result. */
  async send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.#next++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answer = new Promise<Message>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      timer = setTimeout(() => reject(new Error(`CDP ${method}: no answer`)), TIMEOUT);
    });
    this.#socket.send(JSON.stringify({ id, method, params, sessionId }));
    try {
      return (await answer).result ?? {};
    } finally {
      clearTimeout(timer);
      this.#pending.delete(id);
    }
  }

  /** Calls `listener` for every event (a message without an id); returns a remover. */
  on(listener: (m: Message) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Opens a page of `width` x `height` CSS pixels. */
  async newPage(width = 1280, height = 860): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    const page = new Page(this, sessionId as string);
    await page.start(width, height);
    return page;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.send("Browser.close");
    } catch {
      this.#child.kill("SIGKILL");
    }
    this.#socket.close();
    await this.#closed;
    await this.#child.status;
    await this.#stopLog();
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}

/**
 * One tab. It records what would make a test fail: script errors, console
 * errors, and requests that leave `origin` once {@link Page.goto} set it.
 */
export class Page {
  /** Script errors, console errors and requests outside the page's origin. */
  readonly problems: string[] = [];
  #browser: Browser;
  #session: string;
  #origin = "";
  #loaded: (() => void) | undefined;

  constructor(browser: Browser, session: string) {
    this.#browser = browser;
    this.#session = session;
    browser.on((m) => {
      if (m.sessionId !== session) return;
      const p = m.params ?? {};
      if (m.method === "Runtime.exceptionThrown") {
        const details = p.exceptionDetails as {
          text: string;
          exception?: { description?: string };
        };
        this.problems.push(`page error: ${details.exception?.description ?? details.text}`);
      } else if (m.method === "Runtime.consoleAPICalled" && p.type === "error") {
        const args = (p.args as { value?: unknown; description?: string }[]) ?? [];
        this.problems.push(`console error: ${args.map((a) => a.value ?? a.description).join(" ")}`);
      } else if (m.method === "Network.requestWillBeSent") {
        const url = (p.request as { url: string }).url;
        if (this.#origin && !url.startsWith(this.#origin)) {
          this.problems.push(`request outside the node: ${url}`);
        }
      } else if (m.method === "Page.loadEventFired") {
        this.#loaded?.();
      }
    });
  }

  /** Enables the domains the page needs and sets its size. */
  async start(width: number, height: number): Promise<void> {
    for (const domain of ["Page", "Runtime", "Network"]) await this.send(`${domain}.enable`);
    await this.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.#browser.send(method, params, this.#session);
  }

  /** Navigates to `url` and waits for its load event. */
  async goto(url: string): Promise<void> {
    this.#origin = new URL(url).origin;
    const loaded = new Promise<void>((resolve) => this.#loaded = resolve);
    const { errorText } = await this.send("Page.navigate", { url });
    if (errorText) throw new Error(`navigation to ${url} failed: ${errorText}`);
    await loaded;
  }

  /** Evaluates `expression` in the page (awaiting a promise) and returns its value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", {
      expression,
      awaitPromise: true,
      returnByValue: true,
    });
    const details = r.exceptionDetails as
      | { text: string; exception?: { description?: string } }
      | undefined;
    if (details) throw new Error(details.exception?.description ?? details.text);
    return (r.result as { value: T }).value;
  }

  /**
   * Waits until `expression` is truthy in the page, re-checking on every
   * change of the document (a MutationObserver), for at most `timeout` ms;
   * returns its value, or throws naming `what`.
   */
  waitFor<T>(expression: string, what: string, timeout = TIMEOUT): Promise<T> {
    return this.evaluate<T>(`new Promise((resolve, reject) => {
      const check = () => { try { return (${expression}); } catch (_) { return undefined; } };
      const first = check();
      if (first) return resolve(first);
      const observer = new MutationObserver(() => {
        const v = check();
        if (v) { observer.disconnect(); clearTimeout(timer); resolve(v); }
      });
      const timer = setTimeout(() => {
        observer.disconnect();
        reject(new Error("timed out after ${timeout} ms waiting for " + ${JSON.stringify(what)}));
      }, ${timeout});
      observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    })`);
  }

  /** Saves a full-page PNG as `name` under {@link ARTIFACTS}; returns its path. */
  async screenshot(name: string): Promise<string> {
    const { cssContentSize } = await this.send("Page.getLayoutMetrics");
    const { width, height } = cssContentSize as { width: number; height: number };
    const { data } = await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width, height, scale: 1 },
    });
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const path = new URL(name, ARTIFACTS).pathname;
    await Deno.writeFile(path, Uint8Array.from(atob(data as string), (c) => c.charCodeAt(0)));
    return path;
  }
}
