/**
 * The live page `GET /` serves: one self-contained HTML document (inline
 * style and script, no fonts, images or anything else from anywhere), so it
 * works offline. Its script (page_script.ts) follows `/events`.
 *
 * Everything a person reads on it is text (member addresses, states and tags
 * in a table and as SVG text in the picture), so it can be selected, copied
 * and searched.
 *
 * @module
 */

import { PAGE_SCRIPT } from "./page_script.ts";

const STYLE = `
:root {
  --alive: #1f9d55; --suspect: #d69e00; --dead: #d64545; --left: #7b8494;
  --ink: #1d2430; --muted: #5d6778; --line: #dde2ea; --card: #fff; --bg: #f3f5f8;
  --a: #2f6fde; --b: #9b4dca;
  color-scheme: light;
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
}
header {
  display: flex; flex-wrap: wrap; align-items: center; gap: 12px 20px;
  padding: 14px 22px; background: var(--card); border-bottom: 1px solid var(--line);
}
h1 { font-size: 18px; margin: 0; font-weight: 650; }
h1 .self { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-weight: 500; }
h2 { font-size: 13px; margin: 0 0 10px; color: var(--muted); font-weight: 600;
  text-transform: uppercase; letter-spacing: .04em; }
.chips { display: flex; gap: 8px; flex-wrap: wrap; }
.chip { display: inline-flex; align-items: center; gap: 6px; padding: 3px 10px;
  border: 1px solid var(--line); border-radius: 999px; background: #fafbfc; }
.chip b { font-variant-numeric: tabular-nums; }
.dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; flex: none; }
.alive .dot, .dot.alive { background: var(--alive); }
.suspect .dot, .dot.suspect { background: var(--suspect); }
.dead .dot, .dot.dead { background: var(--dead); }
.left .dot, .dot.left { background: var(--left); }
#status { margin-left: auto; color: var(--muted); }
#status.live { color: var(--alive); }
#status.down { color: var(--dead); }
main { display: grid; gap: 16px; padding: 16px 22px 24px;
  grid-template-columns: minmax(320px, 560px) minmax(320px, 1fr); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 14px 16px; min-width: 0; }
.wide { grid-column: 1 / -1; }
.row3 { grid-column: 1 / -1; display: grid; gap: 16px;
  grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); }
#cluster svg { width: 100%; height: auto; display: block; }
#cluster .ring { fill: none; stroke: var(--line); stroke-width: 1.5; }
#cluster .link { stroke: #b8c2d2; stroke-width: 1; }
#cluster .link.suspect { stroke: var(--suspect); stroke-dasharray: 4 3; }
#cluster circle.node { stroke: #fff; stroke-width: 2; }
#cluster circle.node.self { stroke: var(--ink); stroke-width: 2.5; }
#cluster .alive circle.node { fill: var(--alive); }
#cluster .suspect circle.node { fill: var(--suspect); }
#cluster .dead circle.node { fill: var(--dead); }
#cluster .left circle.node { fill: var(--left); }
#cluster text { font: 11px ui-monospace, "DejaVu Sans Mono", monospace; fill: var(--ink); }
#cluster text.state { font: 10px system-ui, sans-serif; fill: var(--muted); }
#cluster text.center { font: 12px system-ui, sans-serif; fill: var(--muted); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td.address { font-family: ui-monospace, "DejaVu Sans Mono", monospace; white-space: nowrap; }
td.incarnation, td.num { font-variant-numeric: tabular-nums; }
td.num, th.num { text-align: right; }
td.state { white-space: nowrap; }
td.state .dot { margin-right: 6px; }
tr.self td.address::after { content: " (this node)"; color: var(--muted);
  font-family: system-ui, sans-serif; }
tr.dead td, tr.left td { color: var(--muted); }
.tag { display: inline-block; margin: 0 4px 3px 0; padding: 0 6px; border-radius: 4px;
  background: #eef2f8; border: 1px solid var(--line);
  font: 12px ui-monospace, "DejaVu Sans Mono", monospace; }
.none { color: var(--muted); }
.chart svg { width: 100%; height: 90px; display: block; }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .a { fill: none; stroke: var(--a); stroke-width: 1.6; }
.chart .b { fill: none; stroke: var(--b); stroke-width: 1.6; }
.chart .legend { display: flex; gap: 14px; flex-wrap: wrap; margin-top: 6px; color: var(--muted); }
.chart .legend b { color: var(--ink); font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 12px; height: 3px; vertical-align: middle;
  margin-right: 5px; }
.chart .scale { float: right; color: var(--muted); font-size: 12px; font-weight: 400;
  text-transform: none; letter-spacing: 0; }
.bar { height: 8px; background: var(--dead); border-radius: 4px; min-width: 1px; }
#drops td { padding: 4px 8px; }
#drops tr.zero td { color: var(--muted); }
#log { max-height: 220px; overflow: auto; margin: 0; padding: 0; list-style: none;
  font: 12.5px ui-monospace, "DejaVu Sans Mono", monospace; }
#log li { padding: 2px 0; border-bottom: 1px dashed var(--line); }
#log time { color: var(--muted); margin-right: 10px; }
@media (max-width: 760px) { main { grid-template-columns: 1fr; } }
`;

/**
 * The page's HTML: markup, style and script in one document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAGE } from "./page.ts";
 * assert.ok(PAGE.startsWith("<!doctype html>"));
 * ```
 */
export const PAGE: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>peer</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>peer <span class="self" id="self">connecting…</span></h1>
  <div class="chips" id="counts" aria-label="members by state">
    <span class="chip alive"><span class="dot"></span>alive <b data-state="alive">0</b></span>
    <span class="chip suspect"><span class="dot"></span>suspect <b data-state="suspect">0</b></span>
    <span class="chip dead"><span class="dot"></span>dead <b data-state="dead">0</b></span>
    <span class="chip left"><span class="dot"></span>left <b data-state="left">0</b></span>
  </div>
  <span id="status" role="status">connecting…</span>
</header>
<noscript><p style="padding:0 22px">This page needs JavaScript; the same data is at
  <a href="/members">/members</a> and <a href="/metrics">/metrics</a>.</p></noscript>
<main>
  <section class="card" id="cluster">
    <h2>Cluster</h2>
    <svg viewBox="0 0 560 440" role="img" aria-label="members on a ring, coloured by state">
      <circle class="ring" cx="280" cy="220" r="135"></circle>
      <g id="links"></g><g id="nodes"></g>
      <text class="center" id="center" x="280" y="224" text-anchor="middle"></text>
    </svg>
  </section>
  <section class="card" id="members-card">
    <h2>Members</h2>
    <table id="members">
      <thead><tr><th>Address</th><th>State</th><th class="num">Incarnation</th><th>Tags</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <div class="row3">
    <section class="card chart" id="chart-messages">
      <h2>Messages / s <span class="scale"></span></h2>
      <svg viewBox="0 0 300 90" preserveAspectRatio="none"></svg>
      <div class="legend">
        <span><i class="swatch" style="background:var(--a)"></i>delivered <b class="va">0</b></span>
        <span><i class="swatch" style="background:var(--b)"></i>broadcast <b class="vb">0</b></span>
      </div>
    </section>
    <section class="card chart" id="chart-bytes">
      <h2>Bytes / s <span class="scale"></span></h2>
      <svg viewBox="0 0 300 90" preserveAspectRatio="none"></svg>
      <div class="legend">
        <span><i class="swatch" style="background:var(--a)"></i>sent <b class="va">0</b></span>
        <span><i class="swatch" style="background:var(--b)"></i>received <b class="vb">0</b></span>
      </div>
    </section>
    <section class="card" id="drops-card">
      <h2>Drops by reason</h2>
      <table id="drops">
        <thead><tr><th>Reason</th><th class="num">Total</th><th class="num">Last min</th><th></th></tr></thead>
        <tbody></tbody>
      </table>
    </section>
  </div>
  <section class="card wide">
    <h2>Events</h2>
    <ul id="log"></ul>
  </section>
</main>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
