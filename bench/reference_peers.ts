/**
 * The reference peers' figures for `deno task bench` (bench/run.ts):
 * memberlist and gossipsub, rerun now with `--peers`
 * (../shared/peers/{memberlist,gossipsub}/run.sh, copied to
 * bench/peers-NAME.jsonl), or from an earlier rerun on this machine, or their
 * committed results; and the lookups the report makes in them.
 *
 * @module
 */

import { jsonLines, type Line, readLines, run } from "./common.ts";

const HERE = new URL(".", import.meta.url);
const PEERS_DIR = new URL("../shared/peers/", new URL("..", HERE));

/** One reference peer's result lines and where they came from (said in the report). */
export interface PeerSet {
  lines: Line[];
  source: string;
}

/** What bench/run.ts was asked to do, and the meta line of the run reported again. */
export interface PeerOptions {
  /** The "meta" line of bench/results.jsonl (with --report), else `{}`. */
  meta: Line;
  /** --report: report the last run again, measure nothing. */
  reportOnly: boolean;
  /** --peers (or, with --report, whether the last run had it). */
  runPeers: boolean;
  log: (s: string) => void;
}

/** One reference peer's figures: rerun, an earlier rerun on this machine, or the committed ones. */
export async function peer(
  name: "memberlist" | "gossipsub",
  { meta, reportOnly, runPeers, log }: PeerOptions,
): Promise<PeerSet> {
  const dir = new URL(`${name}/`, PEERS_DIR);
  const committed = new URL("results-2026-11-24.jsonl", dir);
  const sources = (meta.peer_sources ?? {}) as Record<string, string>;
  if (reportOnly && (sources[name]?.startsWith("rerun") || meta.peer_sources === undefined)) {
    const lines = readLines(new URL(`peers-${name}.jsonl`, HERE));
    if (lines.length > 0) {
      return {
        lines,
        source: sources[name] ?? `rerun on this machine (bench/peers-${name}.jsonl)`,
      };
    }
  }
  if (runPeers && !reportOnly) {
    log(`peers: running ../shared/peers/${name}/run.sh (about 5 min)`);
    try {
      const r = await run("bash", ["run.sh"], 1200, { cwd: dir.pathname });
      const lines = jsonLines(r.stdout).filter((l) =>
        !String(l.scenario).includes("failed") && !String(l.scenario).includes("error")
      );
      if (lines.length > 0) {
        const file = new URL(`peers-${name}.jsonl`, HERE);
        Deno.writeTextFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
        return {
          lines,
          source: `rerun now on this machine (bench/peers-${name}.jsonl${
            r.ok ? "" : `; run.sh exited ${r.code}, partial`
          })`,
        };
      }
      log(`peers: ${name} gave no results (exit ${r.code}); using the committed results`);
    } catch (e) {
      log(`peers: ${name} could not run (${e}); using the committed results`);
    }
  }
  if (!runPeers) {
    // A rerun from an earlier `--peers` run on this machine beats the committed file.
    const file = new URL(`peers-${name}.jsonl`, HERE);
    const lines = readLines(file);
    if (lines.length > 0) {
      const when = Deno.statSync(file).mtime?.toISOString().slice(0, 16).replace("T", " ");
      return {
        lines,
        source:
          `rerun on this machine by an earlier \`deno task bench --peers\` (bench/peers-${name}.jsonl, ${when} UTC)`,
      };
    }
  }
  return {
    lines: readLines(committed),
    source: `committed results-2026-11-24.jsonl (not rerun${runPeers ? ": the rerun failed" : ""})`,
  };
}

/** A reference peer's line for one scenario at one N. */
export type PeerLookup = (scenario: string, n: number) => Line | undefined;

/** memberlist's LAN-profile lines. */
export const memberlistLan = (memberlist: PeerSet): PeerLookup => (scenario, n) =>
  memberlist.lines.find((l) => l.scenario === scenario && l.profile === "lan" && l.n === n);

/** gossipsub's lines of one variant (nosign-fastid unless said). */
export const gossipsubVariant =
  (gossipsub: PeerSet, variant = "nosign-fastid"): PeerLookup => (scenario, n) =>
    gossipsub.lines.find((l) => l.scenario === scenario && l.N === n && l.variant === variant);
