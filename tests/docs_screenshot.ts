/**
 * Makes docs/page.png, the README's picture of the live page: six nodes on
 * loopback with tags and some traffic for a minute, one that leaves, one that
 * crashes, a few malformed datagrams, then headless Chromium's screenshot.
 *
 *   deno run --allow-net --allow-run --allow-read --allow-write --allow-env tests/docs_screenshot.ts
 */

import { serveHttp } from "../src/http/mod.ts";
import { Browser } from "./browser.ts";
import { closeAll, fullMesh, startCluster, udp, waitFor } from "./helpers.ts";

const FAST = { probeInterval: 500, probeTimeout: 200, suspicionMult: 3 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const nodes = await startCluster(6, FAST);
const server = serveHttp(nodes[0]);
const traffic = setInterval(() => {
  const live = nodes.slice(0, 4);
  live[Math.floor(Math.random() * live.length)].broadcast("x".repeat(200));
}, 50);
try {
  await waitFor(() => fullMesh(nodes), { what: "the cluster" });
  const roles = ["seed", "db", "web", "db", "web", "cache"];
  nodes.forEach((n, i) => {
    n.setTag("role", roles[i]);
    n.setTag("zone", i % 2 ? "eu-1" : "eu-2");
  });
  await using browser = await Browser.launch();
  const page = await browser.newPage(1280, 860);
  await page.goto(`${server.url}/`);
  await sleep(30_000);
  await nodes[4].leave();
  await nodes[5].close();
  const stranger = await udp();
  for (let i = 0; i < 3; i++) stranger.send(nodes[0].address, new TextEncoder().encode("junk"));
  await stranger.close();
  await sleep(30_000);
  await page.screenshot("page.png");
  await Deno.copyFile(
    new URL("./artifacts/page.png", import.meta.url),
    new URL("../docs/page.png", import.meta.url),
  );
  console.log("wrote docs/page.png", page.problems);
} finally {
  clearInterval(traffic);
  await server.shutdown();
  await closeAll(nodes);
}
