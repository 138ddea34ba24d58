/**
 * `deno task faults`: real hosts, real faults. Starts N peers of the command
 * line (`cli.ts --json`) as separate processes, each in its own network
 * namespace with its own address on a private bridge, and injects faults with
 * nftables inside each host: partitions, a sick host, flapping one-way loss,
 * asymmetric reachability, crashes and restarts (the scenarios of issue 14,
 * bench/faults/scenarios.ts). Each scenario asserts its bounds and prints its
 * figures; the exit code is 1 when a bound fails. Needs root, iproute2 and
 * nftables (.ci/run installs them).
 *
 * ```
 * deno task faults                        # 10 hosts, every scenario (about 8 minutes)
 * deno task faults --hosts 4 --only 1,2   # a few hosts, some scenarios
 * deno task faults --root ../main         # the same scenarios against another checkout
 * deno task faults --write                # also rewrite the faults section of bench/RESULTS.md
 * deno task faults --dump /tmp/faults     # and write every event to /tmp/faults/<scenario>.jsonl
 * ```
 *
 * It cleans up after itself: on exit, on error, on SIGINT and SIGTERM, and at
 * start it removes what a killed run left behind (bench/faults/lab.ts).
 *
 * @module
 */

import { Lab, labUnavailable, run } from "./faults/lab.ts";
import { type Result, runScenario } from "./faults/scenario.ts";
import { SCENARIOS } from "./faults/scenarios.ts";

/** What to run. */
export interface FaultsOptions {
  /** Number of hosts (default 10). */
  hosts?: number;
  /** Scenario ids (default all). */
  only?: number[];
  /** Checkout whose `cli.ts` the peers run (default this repository). */
  root?: string;
  /** Progress lines (default none). */
  log?: (line: string) => void;
  /** A directory to write each scenario's events to, as `<id>.jsonl`. */
  dump?: string;
}

const HERE = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Runs the scenarios; resolves with their results. Throws when the lab
 * cannot be made (see {@link labUnavailable}). Every peer and namespace is
 * gone when it returns, and when the process gets SIGINT or SIGTERM meanwhile.
 */
export async function runFaults(options: FaultsOptions = {}): Promise<Result[]> {
  const log = options.log ?? (() => {});
  const root = options.root ?? HERE;
  const scenarios = SCENARIOS.filter((s) => !options.only || options.only.includes(s.id));
  // The peers run where there is no route out: whatever they import must be cached first.
  await run(Deno.execPath(), ["cache", "--no-lock", `${root}/cli.ts`], undefined, root);
  const lab = await Lab.create(options.hosts ?? 10);
  let signalled = false;
  const signals = (["SIGINT", "SIGTERM"] as const).map((sig) => {
    const handler = () => {
      signalled = true;
      log(`${sig}: removing the lab`);
      lab.close().finally(() => Deno.exit(130));
    };
    Deno.addSignalListener(sig, handler);
    return [sig, handler] as const;
  });
  try {
    const results: Result[] = [];
    for (const scenario of scenarios) {
      const r = await runScenario({ lab, options: { root }, log, dump: options.dump }, scenario);
      for (const b of r.bounds) log(`  ${b.ok ? "ok  " : "FAIL"} ${b.what}: ${b.value}`);
      log(`  (${r.seconds.toFixed(0)} s)`);
      results.push(r);
    }
    return results;
  } finally {
    await lab.close();
    // Stopped by a signal: what ran meanwhile means nothing, and its handler exits.
    if (signalled) await new Promise(() => {});
    for (const [sig, handler] of signals) Deno.removeSignalListener(sig, handler);
  }
}

/** The results as Markdown: one table of figures and bounds per scenario. */
export function report(results: readonly Result[], hosts: number): string {
  const lines = [
    `${hosts} hosts, LAN profile, one network namespace and one \`cli.ts --json\` process per host.`,
    "",
    "| scenario | figure | value |",
    "|---|---|---:|",
  ];
  for (const r of results) {
    for (const [k, v] of r.figures) lines.push(`| ${r.id}. ${r.name} | ${k} | ${v} |`);
    for (const b of r.bounds) {
      lines.push(
        `| ${r.id}. ${r.name} | **bound**: ${b.what} | ${
          b.ok ? "ok" : "**FAILED**"
        } (${b.value}) |`,
      );
    }
  }
  return lines.join("\n");
}

const START = "<!-- faults:start (deno task faults --write rewrites this block) -->";
const END = "<!-- faults:end -->";

async function write(markdown: string): Promise<void> {
  const path = `${HERE}/bench/RESULTS.md`;
  const text = await Deno.readTextFile(path);
  const from = text.indexOf(START), to = text.indexOf(END);
  if (from < 0 || to < from) throw new Error(`no ${START} ... ${END} block in ${path}`);
  const stamp = `Run on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.`;
  await Deno.writeTextFile(
    path,
    `${text.slice(0, from + START.length)}\n${stamp}\n\n${markdown}\n${text.slice(to)}`,
  );
}

function parse(argv: string[]): FaultsOptions & { write: boolean } {
  const out: FaultsOptions & { write: boolean } = { write: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    if (flag === "--hosts") out.hosts = Number(value());
    else if (flag === "--only") out.only = value().split(",").map(Number);
    else if (flag === "--root") out.root = value();
    else if (flag === "--write") out.write = true;
    else if (flag === "--dump") out.dump = value();
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (out.hosts !== undefined && !(Number.isInteger(out.hosts) && out.hosts >= 3)) {
    throw new Error("--hosts must be an integer >= 3");
  }
  return out;
}

if (import.meta.main) {
  let options;
  try {
    options = parse(Deno.args);
  } catch (e) {
    console.error(`faults: ${e instanceof Error ? e.message : e}`);
    console.error("usage: deno task faults [--hosts N] [--only 1,2,...] [--root DIR] [--write]");
    Deno.exit(2);
  }
  const why = await labUnavailable();
  if (why) {
    console.error(`faults: ${why}`);
    Deno.exit(1);
  }
  const results = await runFaults({ ...options, log: (l) => console.log(l) });
  const markdown = report(results, options.hosts ?? 10);
  console.log(`\n${markdown}`);
  if (options.write) await write(markdown);
  const failed = results.flatMap((r) => r.bounds).filter((b) => !b.ok).length;
  console.log(`\n${failed === 0 ? "every bound held" : `${failed} bound(s) failed`}`);
  Deno.exit(failed === 0 ? 0 : 1);
}
