/**
 * The long scenarios live in tasks (`deno task sim`, `deno task bench-tags`);
 * here each runs small, so that a change that breaks one is seen at once,
 * and its figures are checked for what they must say whatever the size.
 */

import assert from "node:assert/strict";

const deno = Deno.execPath();
const root = new URL("..", import.meta.url).pathname;

async function run(args: string[]): Promise<string> {
  const out = await new Deno.Command(deno, {
    args,
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr).slice(-2000));
  return stdout;
}

Deno.test("bench smoke: deno task sim, small, reports tags, idle cost and a partition's heal", async () => {
  const stdout = await run([
    "run",
    "--lock=bench/deno.lock",
    "--allow-read",
    "--allow-write",
    "bench/sim.ts",
    "--json",
    "--sizes",
    "10",
    "--mesh-sizes",
    "10",
    "--storm-sizes",
    "10",
    "--tree-sizes",
    "50",
    "--fault-size",
    "0",
    "--tag-sizes",
    "30",
    "--partition-size",
    "40",
    "--loss",
    "0",
  ]);
  const report = JSON.parse(stdout);
  const [tags] = report.tagRows;
  assert.equal(tags.n, 30);
  assert.equal(tags.tagsPerNode, 2);
  assert.ok(tags.writeAllMs !== null && tags.writeAllMs < 1000, JSON.stringify(tags));
  assert.ok(tags.idleBytesPerNodeS > 0 && tags.idleBytesPerNodeS < 150, JSON.stringify(tags));
  assert.equal(report.heal.n, 40);
  assert.ok(report.heal.healedMs.every((ms: number | null) => ms !== null && ms < 60_000));
});

Deno.test("bench smoke: deno task bench-tags, small, fills every figure", async () => {
  const stdout = await run([
    "run",
    "--lock=bench/deno.lock",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    "bench/tags.ts",
    "--n",
    "8",
    "--n2",
    "5",
    "--rounds",
    "1",
    "--idle-s",
    "1",
    "--settle-s",
    "1",
    "--no-write",
  ]);
  const lines = stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  const write = lines.find((l) => l.scenario === "tags-write");
  assert.ok(write.write_seen_by_all_ms > 0 && write.broadcast_seen_by_all_ms > 0);
  assert.equal(lines.find((l) => l.scenario === "tags-joiner").learned_all, true);
  assert.equal(lines.filter((l) => l.scenario === "tags-idle").length, 2);
  assert.match(stdout, /## Tags on loopback/);
});
