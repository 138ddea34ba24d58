/**
 * The broadcast-trees part of bench/RESULTS.md (written by bench/run.ts): the
 * copies each delivery costs and the last delivery's latency, tree mode beside
 * epidemic mode, memberlist and gossipsub, from one `deno task bench` run; the
 * issue's figures in one table; and bench/trees.svg, a chart of both against N.
 */

import { logBounds, logScale, type Series, seriesMarks } from "./_svg.ts";

type Line = Record<string, unknown>;

/** What the report reads: our cluster runs (both modes), the node pairs and the reference peers. */
export interface TreeInputs {
  clusters: Line[];
  pairs: Line[];
  memberlist: (scenario: string, n: number) => Line | undefined;
  gossipsub: (scenario: string, n: number) => Line | undefined;
}

const num = (x: unknown): number | undefined =>
  typeof x === "number" && Number.isFinite(x) ? x : undefined;
const f = (x: unknown, d = 2): string => {
  const v = num(x);
  return v === undefined ? "-" : String(Math.round(v * 10 ** d) / 10 ** d);
};

function row(inputs: TreeInputs, mode: string, n: number): Line | undefined {
  return inputs.clusters.find((l) => l.mode === mode && l.n === n && !l.failed);
}

/** The Markdown section. */
export function treesSection(inputs: TreeInputs): string[] {
  const sizes = [...new Set(inputs.clusters.map((l) => l.n as number))].sort((a, b) => a - b);
  const md: string[] = [
    "### Broadcast trees against epidemic gossip, memberlist and gossipsub",
    "",
  ];
  md.push(
    "bench/cluster.ts in tree mode (the default) and in epidemic mode, one process each, in the same run. " +
      "**Copies per delivery**: copies of application messages put on the wire by all nodes (pushes, " +
      "relays, retransmissions and repairs alike; `copiesSent`) over the deliveries, while node 0 " +
      "broadcasts 200 messages of 100 bytes after 10 of warm-up, one every max(20, N/2) ms. **Last " +
      "delivery**: per message, the time until every other node had it; p50 and p99 over the 200. " +
      "**Every node sending**: each node broadcasts once per round, one round of warm-up then four " +
      "(N ≤ 100). memberlist's figure is its duplicates per delivery for one message relayed once per " +
      "receiver; gossipsub's is its amplification (receptions per delivery) over 20 messages.",
    "",
    "| N | copies per delivery: tree | epidemic | memberlist | gossipsub | every node sending: tree | epidemic | last delivery p50 / p99 (ms): tree | epidemic | gossipsub |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const n of sizes) {
    const t = row(inputs, "tree", n), e = row(inputs, "epidemic", n);
    const mb = inputs.memberlist("broadcast", n), gb = inputs.gossipsub("broadcast-latency", n);
    const gsAll = gb?.all_received_ms as Record<string, number> | undefined;
    md.push(
      `| ${n} | **${f(t?.copies_per_delivery, 3)}** | ${f(e?.copies_per_delivery, 3)} | ${
        f(mb?.dup_factor)
      } | ${f(gb?.amplification)} | ${f(t?.all_senders_copies_per_delivery, 3)} | ${
        f(e?.all_senders_copies_per_delivery, 3)
      } | **${f(t?.all_received_p50_ms, 1)} / ${f(t?.all_received_p99_ms, 1)}** | ${
        f(e?.all_received_p50_ms, 1)
      } / ${f(e?.all_received_p99_ms, 1)} | ${f(gsAll?.p50, 1)} / ${f(gsAll?.p99, 1)} |`,
    );
  }
  md.push("");
  const pair = (mode: string) => inputs.pairs.find((l) => l.mode === mode);
  const t50 = row(inputs, "tree", 50), t200 = row(inputs, "tree", 200);
  const e200 = row(inputs, "epidemic", 200);
  const gs50 = (inputs.gossipsub("broadcast-latency", 50)?.all_received_ms as
    | Record<string, number>
    | undefined)?.p99;
  const goal = (ok: boolean | undefined) => ok === undefined ? "" : ok ? " (met)" : " (not met)";
  const le = (a: unknown, b: number) => num(a) === undefined ? undefined : num(a)! <= b;
  md.push(
    "The figures issue 11 set, from this run (simulator rows: bench/RESULTS.md, Simulator):",
    "",
    "| figure | goal | tree mode |",
    "|---|---|---|",
    `| copies per delivery, one sender, N = 50 / 200, after 10 warm-up messages | ≤ 1.3 | ${
      f(t50?.copies_per_delivery, 3)
    } / ${f(t200?.copies_per_delivery, 3)}${
      goal(
        le(t50?.copies_per_delivery, 1.3) !== undefined &&
          le(t200?.copies_per_delivery, 1.3) !== undefined
          ? le(t50?.copies_per_delivery, 1.3)! && le(t200?.copies_per_delivery, 1.3)!
          : undefined,
      )
    } |`,
    `| copies per delivery, every node sending, N = 50 | ≤ 2 | ${
      f(t50?.all_senders_copies_per_delivery, 3)
    }${goal(le(t50?.all_senders_copies_per_delivery, 2))} |`,
    `| last delivery p99 over 200 messages, N = 50 | ≤ 50 ms and below gossipsub's (${
      f(gs50, 1)
    } ms) | ${f(t50?.all_received_p99_ms, 1)} ms${
      goal(
        le(t50?.all_received_p99_ms, 50) === undefined
          ? undefined
          : le(t50?.all_received_p99_ms, 50)! &&
            (gs50 === undefined || (num(t50?.all_received_p99_ms) ?? Infinity) < gs50),
      )
    } |`,
    `| last delivery p99, N = 200 | ≤ 1.5 × epidemic (${f(e200?.all_received_p99_ms, 1)} ms) | ${
      f(t200?.all_received_p99_ms, 1)
    } ms${
      goal(
        num(e200?.all_received_p99_ms) === undefined
          ? undefined
          : le(t200?.all_received_p99_ms, 1.5 * num(e200?.all_received_p99_ms)!),
      )
    } |`,
    `| two nodes, messages/s as a fraction of the socket ceiling | ≥ 0.5 | ${
      f(pair("tree")?.fraction_of_ceiling, 2)
    } (epidemic ${f(pair("epidemic")?.fraction_of_ceiling, 2)}, mesh ${
      f(pair("mesh")?.fraction_of_ceiling, 2)
    })${goal(le(0.5, num(pair("tree")?.fraction_of_ceiling) ?? -1))} |`,
    "",
    "![copies per delivery and last-delivery latency against N](trees.svg)",
    "",
  );
  return md;
}

/** bench/trees.svg: copies per delivery (left) and last-delivery p99 (right) against N. */
export function treesSvg(inputs: TreeInputs): string {
  const sizes = [...new Set(inputs.clusters.map((l) => l.n as number))].sort((a, b) => a - b);
  const pts = (get: (n: number) => unknown): [number, number][] =>
    sizes.map((n) => [n, num(get(n)) ?? NaN] as [number, number]).filter(([, y]) =>
      Number.isFinite(y) && y > 0
    );
  const copies: Series[] = [
    {
      name: "tree",
      color: "#1f77b4",
      points: pts((n) => row(inputs, "tree", n)?.copies_per_delivery),
    },
    {
      name: "epidemic",
      color: "#ff7f0e",
      points: pts((n) => row(inputs, "epidemic", n)?.copies_per_delivery),
    },
    {
      name: "memberlist",
      color: "#d62728",
      points: pts((n) => inputs.memberlist("broadcast", n)?.dup_factor),
    },
    {
      name: "gossipsub",
      color: "#2ca02c",
      points: pts((n) => inputs.gossipsub("broadcast-latency", n)?.amplification),
    },
  ];
  const latency: Series[] = [
    {
      name: "tree p99",
      color: "#1f77b4",
      points: pts((n) => row(inputs, "tree", n)?.all_received_p99_ms),
    },
    {
      name: "epidemic p99",
      color: "#ff7f0e",
      points: pts((n) => row(inputs, "epidemic", n)?.all_received_p99_ms),
    },
    {
      name: "gossipsub p99",
      color: "#2ca02c",
      points: pts((n) =>
        (inputs.gossipsub("broadcast-latency", n)?.all_received_ms as
          | Record<string, number>
          | undefined)
          ?.p99
      ),
    },
  ];
  const W = 900, H = 380, T = 50, B = 60, PW = 330, gap = 120, L0 = 60;
  const xs = sizes.length > 0 ? sizes : [10, 200];
  const e: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L0}" y="24" font-size="15" font-weight="bold">Broadcast trees: copies per delivery and last delivery (p99) vs N, loopback</text>`,
  ];
  const panel = (left: number, title: string, unit: string, series: Series[]) => {
    const ys = series.flatMap((s) => s.points.map(([, y]) => y));
    const { lo, hi } = logBounds(ys);
    const x0 = Math.log(Math.min(...xs)), x1 = Math.log(Math.max(...xs));
    const px = (n: number) => left + (x1 === x0 ? 0.5 : (Math.log(n) - x0) / (x1 - x0)) * PW;
    const py = logScale(lo, hi, T, H - B);
    e.push(`<text x="${left}" y="${T - 8}" font-weight="bold">${title}</text>`);
    for (let y = lo; y <= hi * 1.0001; y *= 10) {
      e.push(
        `<line x1="${left}" y1="${py(y).toFixed(1)}" x2="${left + PW}" y2="${
          py(y).toFixed(1)
        }" stroke="#ddd"/>`,
        `<text x="${left - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${y}</text>`,
      );
    }
    for (const n of xs) {
      e.push(
        `<text x="${px(n).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${n}</text>`,
      );
    }
    e.push(
      `<line x1="${left}" y1="${H - B}" x2="${left + PW}" y2="${H - B}" stroke="black"/>`,
      `<line x1="${left}" y1="${T}" x2="${left}" y2="${H - B}" stroke="black"/>`,
      `<text x="${left + PW / 2}" y="${
        H - 28
      }" text-anchor="middle">N (log scale); ${unit} (log scale)</text>`,
    );
    series.forEach((s, i) => {
      e.push(...seriesMarks(s, px, py, (x) => x.toFixed(1)));
      e.push(
        `<text x="${left + PW - 4}" y="${
          T + 14 + i * 15
        }" text-anchor="end" fill="${s.color}">${s.name}</text>`,
      );
    });
  };
  panel(L0, "copies per delivery", "copies", copies);
  panel(L0 + PW + gap, "last delivery, p99 (ms)", "ms", latency);
  e.push("</svg>");
  return e.join("\n");
}
