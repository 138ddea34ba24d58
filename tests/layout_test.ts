/**
 * The house rules, checked on the source: the protocol core touches nothing
 * of the world, dependencies point one way (cli → node → core → wire), no
 * source file grows past 500 lines, and the main entry point stays small.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** Every .ts file under `dir` (relative to the repository), recursively. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(new URL(dir, ROOT))) {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory) out.push(...sources(`${path}/`));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

const read = (path: string) => Deno.readTextFileSync(new URL(path, ROOT));

/** The code of a file without its comments (so prose may name what code must not use). */
function code(path: string): string {
  return read(path).replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}

/** The relative modules a file imports, resolved to repository paths. */
function imports(path: string): string[] {
  const dir = path.slice(0, path.lastIndexOf("/") + 1);
  const out: string[] = [];
  for (const m of code(path).matchAll(/\bfrom\s+"(\.{1,2}\/[^"]+)"/g)) {
    out.push(new URL(m[1], new URL(dir, "file:///")).pathname.slice(1));
  }
  return out;
}

Deno.test("layout: the core, the wire formats and the seed engine touch no clock, timer, socket or randomness", () => {
  const forbidden =
    /\bDeno\.|\bsetTimeout\b|\bsetInterval\b|\bclearTimeout\b|\bDate\.now\b|\bperformance\.|\bMath\.random\b|\bcrypto\b/;
  const files = [...sources("src/core/"), ...sources("src/wire/"), ...sources("src/seed/")];
  assert.ok(files.length > 20);
  for (const file of files) {
    const hit = code(file).match(forbidden);
    assert.equal(hit, null, `${file} uses ${hit?.[0]}`);
  }
});

Deno.test("layout: dependencies point one way", () => {
  const rules: [string, RegExp][] = [
    // The wire formats stand alone.
    ["src/wire/", /^src\/wire\//],
    // The core knows the engine contract, the counters, the events and the wire; nothing above.
    ["src/core/", /^src\/(core\/|wire\/|engine\.ts$|metrics\.ts$|events\.ts$)/],
    // The seed engine depends on the engine contract and its own wire format only.
    [
      "src/seed/",
      /^src\/(wire\/(seed|codec|error|_bytes)\.ts$|engine\.ts$|metrics\.ts$|events\.ts$)/,
    ],
    // Transports know nothing of the protocol.
    ["src/net/", /^src\/(net\/|clock\.ts$|address\.ts$)/],
    // The HTTP endpoint reads a node through its public face (and the types behind it).
    [
      "src/http/",
      /^src\/(http\/|node\.ts$|metrics\.ts$|engine\.ts$|events\.ts$|address\.ts$|wire\/message\.ts$)/,
    ],
  ];
  for (const [dir, allowed] of rules) {
    for (const file of sources(dir)) {
      for (const target of imports(file)) {
        assert.match(target, allowed, `${file} imports ${target}`);
      }
    }
  }
});

Deno.test("layout: the main entry point carries no HTTP code", () => {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const target of imports(path)) visit(target);
  };
  visit("mod.ts");
  assert.ok(seen.has("src/node.ts") && seen.size > 20, "the whole graph was walked");
  for (const path of seen) assert.ok(!path.startsWith("src/http/"), `mod.ts reaches ${path}`);
});

Deno.test("layout: no source file over 500 lines", () => {
  for (const file of ["mod.ts", "cli.ts", ...sources("src/")]) {
    const lines = read(file).split("\n").length;
    assert.ok(lines <= 500, `${file} has ${lines} lines`);
  }
});

Deno.test("layout: mod.ts re-exports at most 40 names, and nothing else", async () => {
  const mod = code("mod.ts").trim();
  assert.match(mod, /^(export (type )?\{[^}]*\} from "[^"]+";\s*)+$/, "re-exports only");
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "mod.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success);
  const doc = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    nodes: Record<string, { symbols?: { name: string }[] }>;
  };
  const names = Object.values(doc.nodes).flatMap((n) => (n.symbols ?? []).map((s) => s.name));
  assert.ok(names.includes("GossipNode") && names.includes("decode"));
  assert.ok(names.length <= 40, `${names.length} names: ${names.join(", ")}`);
});
