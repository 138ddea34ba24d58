/** Shared helpers of the benchmarks: CPU time, percentiles, waits. */

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
