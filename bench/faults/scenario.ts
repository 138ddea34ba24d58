/**
 * What a fault scenario is and returns, the measurements scenarios share,
 * and the runner that gives each scenario a fresh cluster (scenarios.ts has
 * the scenarios).
 *
 * @module
 */

import { Cluster, type ClusterOptions, type PeerEvent } from "./cluster.ts";
import type { Lab } from "./lab.ts";

/** A bound a scenario asserts. */
export interface Bound {
  /** What is bounded, with the bound. */
  what: string;
  /** Whether it held. */
  ok: boolean;
  /** The measured value. */
  value: string;
}

/** What one scenario measured. */
export interface Result {
  /** 1 to 7, as in the issue. */
  id: number;
  name: string;
  /** Figures to print, in order. */
  figures: [string, string][];
  bounds: Bound[];
  /** Wall time of the scenario, s. */
  seconds: number;
}

/** What a scenario runs on. */
export interface Context {
  lab: Lab;
  options: ClusterOptions;
  /** Progress lines. */
  log: (line: string) => void;
  /** A directory to write every scenario's events to (`<id>.jsonl`), if any. */
  dump?: string;
}

/** A scenario: builds its cluster, injects its faults, measures. */
export interface Scenario {
  id: number;
  name: string;
  run(ctx: Context, c: Cluster): Promise<Omit<Result, "id" | "name" | "seconds">>;
}

export const s = (ms: number) => (ms / 1000).toFixed(1);
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Every membership change. */
export const CHANGES = ["join", "alive", "suspect", "dead", "leave"];
/** Accusations. */
export const ACCUSE = ["suspect", "dead"];

/** Joins take at most this long (see RESULTS.md). */
export const JOIN_BOUND = 20_000;
/** A crash is seen as dead by all within this (2 probe passes + indirect round + longest suspicion). */
export const DEATH_BOUND = 2 * 10 * 1000 + 1000 + 24_000;

/** Starts every host at once, host 0 the seed of the others; resolves when all know all. */
export async function form(c: Cluster): Promise<{ listening: number; mesh: number }> {
  const t0 = c.now();
  for (let i = 0; i < c.size; i++) c.start(i, i === 0 ? [] : [0]);
  const all = [...Array(c.size).keys()];
  const listening = await c.waitUntil(
    () => all.every((i) => c.events.some((e) => e.host === i && e.event === "listening")),
    JOIN_BOUND,
    "every peer listening",
  );
  await c.waitUntil(() => c.fullMesh(all), JOIN_BOUND, "a full mesh");
  return { listening, mesh: c.now() - t0 };
}

/** Accusations (suspect, dead) about hosts in `about`, by anyone, since `t`. */
export function accusations(c: Cluster, t: number, about: readonly number[]): PeerEvent[] {
  return c.changes(t, -1, -1, ACCUSE).filter((e) => about.includes(c.indexOf(e.address)));
}

/** Most changes of host `subject` seen by one of `observers` since `t` (before `until`). */
export function maxChanges(
  c: Cluster,
  t: number,
  subject: number,
  observers: readonly number[],
  until = Infinity,
): number {
  let most = 0;
  for (const o of observers) {
    const n = c.changes(t, subject, o, CHANGES).filter((e) => e.t < until).length;
    most = Math.max(most, n);
  }
  return most;
}

export function range(from: number, to: number): number[] {
  return [...Array(Math.max(0, to - from)).keys()].map((k) => k + from);
}

export function bound(what: string, ok: boolean, value: string | number): Bound {
  return { what, ok, value: String(value) };
}

/** Runs `scenario` on a fresh cluster (every peer killed and faults cleared afterwards). */
export async function runScenario(ctx: Context, scenario: Scenario): Promise<Result> {
  const started = performance.now();
  const c = new Cluster(ctx.lab, ctx.options);
  ctx.log(`${scenario.id}. ${scenario.name}`);
  try {
    const r = await scenario.run(ctx, c);
    return {
      id: scenario.id,
      name: scenario.name,
      ...r,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (e) {
    const errors = c.up().flatMap((i) => c.stderr(i).map((l) => `host ${i}: ${l}`)).slice(0, 10);
    return {
      id: scenario.id,
      name: scenario.name,
      figures: errors.map((l) => ["stderr", l]),
      bounds: [bound("ran to the end", false, e instanceof Error ? e.message : String(e))],
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await c.stopAll();
    await ctx.lab.heal();
    if (ctx.dump) {
      const lines = c.events.map((e) => JSON.stringify({ ...e, t: Math.round(e.t - started) }));
      await Deno.writeTextFile(`${ctx.dump}/${scenario.id}.jsonl`, lines.join("\n") + "\n");
    }
  }
}
