/**
 * The live page's script, as text to inline (so: no template substitutions
 * or backticks inside, and escapes written with a doubled backslash). It
 * follows `/events` with `EventSource`: `hello` sets the whole picture,
 * member events change one member, `metrics` snapshots feed the charts and
 * the drop table. If the counts in a snapshot disagree with the table (a
 * member was reaped, which has no event), it fetches `/members` again.
 * Everything that came from the network is put into the page as text
 * (`textContent`), never as markup.
 *
 * @module
 */

/**
 * The script.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAGE_SCRIPT } from "./page_script.ts";
 * assert.doesNotThrow(() => new Function(PAGE_SCRIPT), "it parses");
 * ```
 */
export const PAGE_SCRIPT: string = `
"use strict";
(function () {
  var SVGNS = "http://www.w3.org/2000/svg";
  var STATES = ["alive", "suspect", "dead", "left"];
  var WINDOW = 5 * 60 * 1000;
  var MAX_ROWS = 500;
  var MAX_LABELS = 24;
  var view = { self: "", members: new Map(), samples: [], last: null, resynced: 0, queued: false };

  function byId(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(ms) {
    var d = new Date(ms);
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }
  function fmt(n) {
    if (!isFinite(n)) return "0";
    if (n >= 1e6) return (n / 1e6).toFixed(1) + " M";
    if (n >= 1e3) return (n / 1e3).toFixed(1) + " k";
    if (n > 0 && n < 10) return n.toFixed(1);
    return String(Math.round(n));
  }
  function stateOf(s) { return STATES.indexOf(s) >= 0 ? s : "alive"; }

  function setMember(address, patch) {
    var m = view.members.get(address);
    if (!m) { m = { address: address, state: "alive", incarnation: 0, tags: {} }; }
    if (patch.state) m.state = stateOf(patch.state);
    if (typeof patch.incarnation === "number") m.incarnation = patch.incarnation;
    if (patch.tags && typeof patch.tags === "object") m.tags = Object.assign({}, patch.tags);
    view.members.set(address, m);
  }
  function replaceMembers(list) {
    view.members = new Map();
    list.forEach(function (m) {
      setMember(String(m.address), { state: m.state, incarnation: m.incarnation, tags: m.tags || {} });
    });
  }

  function log(time, text, state) {
    var li = el("li", state ? "ev " + state : "ev");
    li.appendChild(el("time", "", clock(time || Date.now())));
    li.appendChild(document.createTextNode(text));
    var list = byId("log");
    list.insertBefore(li, list.firstChild);
    while (list.childNodes.length > 100) list.removeChild(list.lastChild);
  }
  function status(text, cls) {
    var s = byId("status");
    s.textContent = text;
    s.className = cls;
  }

  var MEMBER_EVENTS = {
    join: ["alive", function (d) { return d.address + " joined"; }],
    suspect: ["suspect", function (d) { return d.address + " suspected by " + d.from; }],
    alive: ["alive", function (d) { return d.address + " alive again"; }],
    dead: ["dead", function (d) { return d.address + " declared dead by " + d.from; }],
    leave: ["left", function (d) { return d.address + " left"; }]
  };

  function parse(e) {
    try { return JSON.parse(e.data); } catch (_) { return null; }
  }

  function connect() {
    var source = new EventSource("/events");
    source.addEventListener("open", function () { status("\\u25cf live", "live"); });
    source.addEventListener("error", function () {
      if (source.readyState === 2) {
        status("disconnected, retrying\\u2026", "down");
        setTimeout(connect, 2000);
      } else {
        status("reconnecting\\u2026", "down");
      }
    });
    source.addEventListener("hello", function (e) {
      var d = parse(e);
      if (!d) return;
      view.self = String(d.address);
      replaceMembers(d.members || []);
      view.samples = Array.isArray(d.history) ? d.history : [];
      view.last = d.snapshot || null;
      log(d.snapshot && d.snapshot.time, "connected to " + view.self + " (" + view.members.size + " members)");
      render();
    });
    Object.keys(MEMBER_EVENTS).forEach(function (type) {
      source.addEventListener(type, function (e) {
        var d = parse(e);
        if (!d || typeof d.address !== "string") return;
        var kind = MEMBER_EVENTS[type];
        setMember(d.address, { state: kind[0], incarnation: d.incarnation });
        log(d.time, kind[1](d), kind[0]);
        schedule();
      });
    });
    source.addEventListener("joined", function (e) {
      var d = parse(e);
      if (d) log(d.time, "this node joined via " + d.seed + " (" + d.members + " members)");
    });
    source.addEventListener("tag", function (e) {
      var d = parse(e);
      if (!d || typeof d.address !== "string" || typeof d.key !== "string") return;
      var m = view.members.get(d.address);
      if (!m) return;
      if (typeof d.value === "string") m.tags[d.key] = d.value; else delete m.tags[d.key];
      log(d.time, "tag of " + d.address + ": " + d.key + (typeof d.value === "string" ? "=" + d.value : " deleted"));
      schedule();
    });
    source.addEventListener("metrics", function (e) {
      var d = parse(e);
      if (!d) return;
      view.samples.push(d);
      view.last = d;
      var oldest = d.time - WINDOW - 2000;
      while (view.samples.length > 2 && view.samples[0].time < oldest) view.samples.shift();
      if (!sameCounts(d.members)) resync();
      schedule();
    });
  }

  function counts() {
    var c = { alive: 0, suspect: 0, dead: 0, left: 0 };
    view.members.forEach(function (m) { c[m.state]++; });
    return c;
  }
  function sameCounts(server) {
    if (!server) return true;
    var c = counts();
    return STATES.every(function (s) { return (server[s] || 0) === c[s]; });
  }
  /** Members were reaped (no event says so): fetch the table again, at most every 5 s. */
  function resync() {
    var now = Date.now();
    if (now - view.resynced < 5000) return;
    view.resynced = now;
    fetch("/members").then(function (r) { return r.json(); }).then(function (list) {
      if (Array.isArray(list)) { replaceMembers(list); schedule(); }
    }).catch(function () {});
  }

  function schedule() {
    if (view.queued) return;
    view.queued = true;
    requestAnimationFrame(function () { view.queued = false; render(); });
  }

  function sorted() {
    var list = Array.from(view.members.values());
    list.sort(function (a, b) {
      if (a.address === view.self) return -1;
      if (b.address === view.self) return 1;
      return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
    });
    return list;
  }

  function render() {
    var list = sorted();
    var c = counts();
    byId("self").textContent = view.self;
    document.title = "peer " + view.self + " \\u00b7 " + c.alive + " alive";
    STATES.forEach(function (s) {
      document.querySelector('#counts b[data-state="' + s + '"]').textContent = String(c[s]);
    });
    renderTable(list);
    renderRing(list);
    chart("chart-messages", "delivered", "broadcasts");
    chart("chart-bytes", "bytesSent", "bytesReceived");
    if (view.last) renderDrops(view.last);
  }

  function renderTable(list) {
    var body = document.querySelector("#members tbody");
    var rows = document.createDocumentFragment();
    list.slice(0, MAX_ROWS).forEach(function (m) {
      var tr = el("tr", m.state + (m.address === view.self ? " self" : ""));
      tr.setAttribute("data-address", m.address);
      tr.setAttribute("data-state", m.state);
      tr.appendChild(el("td", "address", m.address));
      var st = el("td", "state");
      st.appendChild(el("span", "dot " + m.state));
      st.appendChild(document.createTextNode(m.state));
      tr.appendChild(st);
      tr.appendChild(el("td", "incarnation num", m.incarnation));
      var tags = el("td", "tags");
      var keys = Object.keys(m.tags).sort();
      if (keys.length === 0) tags.appendChild(el("span", "none", "\\u2013"));
      keys.forEach(function (k) { tags.appendChild(el("span", "tag", k + "=" + m.tags[k])); });
      tr.appendChild(tags);
      rows.appendChild(tr);
    });
    if (list.length > MAX_ROWS) {
      var more = el("tr", "more");
      var td = el("td", "none", "and " + (list.length - MAX_ROWS) + " more (see /members)");
      td.colSpan = 4;
      more.appendChild(td);
      rows.appendChild(more);
    }
    body.replaceChildren(rows);
  }

  function renderRing(list) {
    var links = byId("links"), nodes = byId("nodes");
    var n = list.length, cx = 280, cy = 220, R = 135;
    var r = Math.max(4, Math.min(16, 260 / Math.max(n, 1)));
    var gl = document.createDocumentFragment(), gn = document.createDocumentFragment();
    var at = list.map(function (_, i) {
      var a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(n, 1);
      return { x: cx + R * Math.cos(a), y: cy + R * Math.sin(a), a: a };
    });
    list.forEach(function (m, i) {
      var p = at[i];
      if (i > 0 && (m.state === "alive" || m.state === "suspect")) {
        gl.appendChild(svg("line", { "class": "link " + m.state, x1: at[0].x, y1: at[0].y, x2: p.x, y2: p.y }));
      }
      var g = svg("g", { "class": "member " + m.state, "data-address": m.address });
      var circle = svg("circle", { "class": "node" + (m.address === view.self ? " self" : ""), cx: p.x, cy: p.y, r: r });
      circle.appendChild(svg("title", {}, m.address + " \\u2013 " + m.state));
      g.appendChild(circle);
      if (n <= MAX_LABELS) {
        var out = r + 10, cos = Math.cos(p.a), sin = Math.sin(p.a);
        var anchor = Math.abs(cos) < 0.3 ? "middle" : cos > 0 ? "start" : "end";
        var lx = p.x + out * cos, ly = p.y + out * sin + (sin > 0.3 ? 8 : sin < -0.3 ? -6 : 4);
        g.appendChild(svg("text", { x: lx, y: ly, "text-anchor": anchor }, m.address));
        g.appendChild(svg("text", { "class": "state", x: lx, y: ly + 12, "text-anchor": anchor }, m.state));
      }
      gn.appendChild(g);
    });
    links.replaceChildren(gl);
    nodes.replaceChildren(gn);
    var c = counts();
    byId("center").textContent = n === 0 ? "" : c.alive + " of " + n + " alive";
  }

  function niceMax(v) {
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  function chart(id, keyA, keyB) {
    var s = view.samples, card = byId(id), A = [], B = [];
    for (var i = 1; i < s.length; i++) {
      var dt = (s[i].time - s[i - 1].time) / 1000;
      if (!(dt > 0)) continue;
      var a = (s[i].metrics[keyA] - s[i - 1].metrics[keyA]) / dt;
      var b = (s[i].metrics[keyB] - s[i - 1].metrics[keyB]) / dt;
      A.push([s[i].time, a > 0 ? a : 0]);
      B.push([s[i].time, b > 0 ? b : 0]);
    }
    var top = 1;
    A.concat(B).forEach(function (p) { if (p[1] > top) top = p[1]; });
    top = niceMax(top);
    var end = s.length ? s[s.length - 1].time : Date.now();
    var start = s.length ? Math.max(end - WINDOW, s[0].time) : end - WINDOW;
    var span = Math.max(end - start, 10000);
    function points(series) {
      return series.map(function (p) {
        var x = (300 * (p[0] - start)) / span, y = 88 - (84 * p[1]) / top;
        return x.toFixed(1) + "," + y.toFixed(1);
      }).join(" ");
    }
    var g = card.querySelector("svg");
    g.replaceChildren(
      svg("line", { "class": "grid", x1: 0, y1: 4, x2: 300, y2: 4 }),
      svg("line", { "class": "grid", x1: 0, y1: 46, x2: 300, y2: 46 }),
      svg("line", { "class": "grid", x1: 0, y1: 88, x2: 300, y2: 88 }),
      svg("polyline", { "class": "a", points: points(A) }),
      svg("polyline", { "class": "b", points: points(B) })
    );
    var seconds = Math.round(span / 1000);
    var over = seconds >= 120 ? Math.round(seconds / 60) + " min" : seconds + " s";
    card.querySelector(".scale").textContent = "top " + fmt(top) + " \\u00b7 last " + over;
    card.querySelector(".va").textContent = fmt(A.length ? A[A.length - 1][1] : 0);
    card.querySelector(".vb").textContent = fmt(B.length ? B[B.length - 1][1] : 0);
  }

  function renderDrops(last) {
    var dropped = (last.metrics && last.metrics.dropped) || {};
    var before = view.samples[0] || last;
    for (var i = view.samples.length - 1; i >= 0; i--) {
      if (last.time - view.samples[i].time >= 60000) { before = view.samples[i]; break; }
    }
    var old = (before && before.metrics && before.metrics.dropped) || {};
    var reasons = Object.keys(dropped).sort(function (a, b) { return dropped[b] - dropped[a]; });
    var top = 1;
    reasons.forEach(function (k) { if (dropped[k] > top) top = dropped[k]; });
    var rows = document.createDocumentFragment();
    var zero = reasons.filter(function (k) { return !(dropped[k] > 0); });
    reasons.filter(function (k) { return dropped[k] > 0; }).forEach(function (k) {
      var tr = el("tr", "");
      tr.setAttribute("data-reason", k);
      tr.appendChild(el("td", "", k));
      tr.appendChild(el("td", "num", dropped[k]));
      tr.appendChild(el("td", "num", Math.max(0, dropped[k] - (old[k] || 0))));
      var bar = el("td", "");
      var fill = el("div", "bar");
      fill.style.width = Math.max(2, (100 * dropped[k]) / top) + "%";
      bar.appendChild(fill);
      tr.appendChild(bar);
      rows.appendChild(tr);
    });
    if (zero.length > 0) {
      var tr = el("tr", "zero");
      var td = el("td", "", (zero.length === reasons.length ? "no drops: " : "none: ") + zero.join(", "));
      td.colSpan = 4;
      tr.appendChild(td);
      rows.appendChild(tr);
    }
    document.querySelector("#drops tbody").replaceChildren(rows);
  }

  connect();
})();
`;
