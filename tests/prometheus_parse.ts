/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for the
 * tests: it throws on anything Prometheus would reject, and on what its
 * conventions forbid (a family split in two, a sample before its TYPE, a
 * series twice, a counter below zero, a histogram whose buckets are not
 * cumulative or whose `+Inf` bucket differs from its count).
 */

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family: its TYPE, HELP and samples. */
export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** Parses an exposition into its families by name; throws naming the line at the first fault. */
export function parsePrometheus(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a line feed");
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: Family | undefined;
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${line}`;
    try {
      if (line === "") return;
      if (line.startsWith("#")) {
        const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
        if (!m) return; // another comment
        const [, kind, name, rest] = m;
        if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
        const family = open(name);
        if (kind === "TYPE") {
          if (family.type !== "") throw new Error(`second TYPE for ${name}`);
          if (family.samples.length > 0) throw new Error(`TYPE after samples of ${name}`);
          if (!TYPES.has(rest)) throw new Error(`unknown type ${rest}`);
          family.type = rest;
        } else {
          if (family.help !== "") throw new Error(`second HELP for ${name}`);
          family.help = unescape(rest, false);
        }
        return;
      }
      const sample = parseSample(line);
      const family = families.get(familyOf(sample.name, families)) ?? open(sample.name);
      if (family.type === "") throw new Error(`sample before the TYPE of ${family.name}`);
      const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
      if (series.has(key)) throw new Error(`series twice: ${key}`);
      series.add(key);
      family.samples.push(sample);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
  });
  for (const family of families.values()) check(family);
  return families;

  function open(name: string): Family {
    let family = families.get(name);
    if (family && current !== family) throw new Error(`family ${name} is split`);
    if (!family) {
      if (current) closed.add(current.name);
      if (closed.has(name)) throw new Error(`family ${name} is split`);
      family = { name, type: "", help: "", samples: [] };
      families.set(name, family);
    }
    current = family;
    return family;
  }
}

/** The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` are its own. */
function familyOf(sample: string, families: Map<string, Family>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sample.endsWith(suffix)) continue;
    const base = sample.slice(0, -suffix.length);
    const type = families.get(base)?.type;
    if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return base;
  }
  return sample;
}

function parseSample(line: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
  if (!m) throw new Error("not a sample line");
  const labels: Record<string, string> = {};
  if (m[3] !== undefined) {
    let rest = m[3];
    while (rest !== "") {
      const l = /^([^=]+)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
      if (!l) throw new Error(`bad labels: {${m[3]}}`);
      if (!LABEL_NAME.test(l[1]) || l[1].startsWith("__")) throw new Error(`bad label ${l[1]}`);
      if (l[1] in labels) throw new Error(`label ${l[1]} twice`);
      labels[l[1]] = unescape(l[2], true);
      rest = rest.slice(l[0].length);
    }
  }
  return { name: m[1], labels, value: parseValue(m[4]) };
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`bad value ${text}`);
  return Number(text);
}

function unescape(text: string, quotes: boolean): string {
  return text.replace(/\\(.)/g, (all, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    if (c === '"' && quotes) return '"';
    throw new Error(`bad escape ${all}`);
  });
}

function check(family: Family): void {
  if (family.type === "") throw new Error(`${family.name} has no TYPE`);
  for (const s of family.samples) {
    if (family.type === "counter" && !(s.value >= 0)) {
      throw new Error(`counter ${s.name} is ${s.value}`);
    }
  }
  if (family.type !== "histogram") return;
  const buckets = family.samples.filter((s) => s.name === `${family.name}_bucket`);
  const count = family.samples.find((s) => s.name === `${family.name}_count`);
  const sum = family.samples.find((s) => s.name === `${family.name}_sum`);
  if (!count || !sum) throw new Error(`histogram ${family.name} lacks _sum or _count`);
  let bound = -Infinity;
  let cumulative = 0;
  for (const b of buckets) {
    const le = parseValue(b.labels.le ?? "x");
    if (!(le > bound)) throw new Error(`histogram ${family.name}: le ${le} not increasing`);
    if (b.value < cumulative) throw new Error(`histogram ${family.name}: buckets not cumulative`);
    bound = le;
    cumulative = b.value;
  }
  if (bound !== Infinity) throw new Error(`histogram ${family.name} has no +Inf bucket`);
  if (cumulative !== count.value) {
    throw new Error(`histogram ${family.name}: +Inf bucket ${cumulative} != count ${count.value}`);
  }
}

/** The value of the one sample of `family` whose labels include `labels`. */
export function valueOf(
  families: Map<string, Family>,
  family: string,
  labels: Record<string, string> = {},
  sample = family,
): number {
  const f = families.get(family);
  if (!f) throw new Error(`no family ${family}`);
  const hits = f.samples.filter((s) =>
    s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  if (hits.length !== 1) throw new Error(`${hits.length} samples of ${sample} match`);
  return hits[0].value;
}
