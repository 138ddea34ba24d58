/** Shared helpers of the benchmarks: CPU time, percentiles, waits, child processes, JSON lines. */

import process from "node:process";

/** Process CPU time (user + system) in microseconds. */
export function cpuMicros(): number {
  try {
    const u = process.cpuUsage();
    return u.user + u.system;
  } catch {
    // Fallback: /proc/self/stat utime + stime, in ticks of 1/100 s (CLK_TCK).
    const f = Deno.readTextFileSync("/proc/self/stat");
    const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
    return (Number(rest[11]) + Number(rest[12])) * 10_000;
  }
}

/** The `p`-th percentile (0-100) of `xs`, nearest rank; NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

/** Rounds to `d` decimals. */
export function round(x: number, d = 1): number {
  const k = 10 ** d;
  return Math.round(x * k) / k;
}

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A wait that ends after `ms` or as soon as `wake` is called, whichever is first. */
export function waiter(): { wake: () => void; wait: (ms: number) => Promise<void> } {
  let wake: (() => void) | undefined;
  return {
    wake: () => wake?.(),
    wait: (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wake = undefined;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      }),
  };
}

/** Polls `cond` every `every` ms until true or `timeout` ms; returns whether it became true. */
export async function until(cond: () => boolean, timeout: number, every = 5): Promise<boolean> {
  const end = performance.now() + timeout;
  while (!cond()) {
    if (performance.now() > end) return false;
    await sleep(every);
  }
  return true;
}

/** Runs the garbage collector when started with `--v8-flags=--expose-gc`. */
export function gc(): boolean {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
  return g !== undefined;
}

/** Parses `--name value` and `--flag` arguments. */
export function args(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) continue;
    const eq = a.indexOf("=");
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) out.set(a.slice(2), argv[++i]);
    else out.set(a.slice(2), "true");
  }
  return out;
}

/** One JSON object printed on a line of its own by a benchmark. */
export type Line = Record<string, unknown>;

/** Runs a command with a time limit (from the repository root unless `cwd` says otherwise); returns stdout, stderr passed through. */
export async function run(
  cmd: string,
  argv: string[],
  limitS: number,
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ ok: boolean; stdout: string; code: number }> {
  const child = new Deno.Command(cmd, {
    args: argv,
    cwd: opts.cwd ?? new URL("..", import.meta.url).pathname,
    env: opts.env,
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, limitS * 1000);
  const out = await child.output();
  clearTimeout(timer);
  return { ok: out.success, stdout: new TextDecoder().decode(out.stdout), code: out.code };
}

/** The lines of `s` that start with `{` and parse as JSON; others are skipped. */
export const jsonLines = (s: string): Line[] =>
  s.split("\n").filter((l) => l.startsWith("{")).map((l) => {
    try {
      return JSON.parse(l) as Line;
    } catch {
      return null;
    }
  }).filter((x): x is Line => x !== null);

/** {@linkcode jsonLines} of a file; none when it cannot be read. */
export const readLines = (url: URL): Line[] => {
  try {
    return jsonLines(Deno.readTextFileSync(url));
  } catch {
    return [];
  }
};

/** The load average (1, 5, 15 min) as "a, b, c", or "?" where there is none. */
export function loadavg(): string {
  try {
    return Deno.loadavg().map((x) => round(x, 2)).join(", ");
  } catch {
    return "?";
  }
}
