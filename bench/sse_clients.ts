/**
 * N server-sent-event clients in one process, for bench/http.ts: opens N
 * streams to URL at once, reads them all, prints `{"connected":N}` once every
 * stream has its first event, and on SIGTERM (or stdin closing) prints
 * `{"bytes":B,"connected":N,"ended":E}` and exits.
 *
 *   deno run --allow-net bench/sse_clients.ts 100 http://127.0.0.1:9090/events
 */

const [count, url] = [Number(Deno.args[0]), Deno.args[1]];
if (!(count > 0) || !url) {
  console.error("usage: sse_clients.ts N URL");
  Deno.exit(2);
}

const controller = new AbortController();
let bytes = 0;
let started = 0;
let ended = 0;

async function client(): Promise<void> {
  let first = true;
  try {
    const response = await fetch(url, { signal: controller.signal });
    for await (const chunk of response.body!) {
      bytes += chunk.byteLength;
      if (first) {
        first = false;
        if (++started === count) console.log(JSON.stringify({ connected: started }));
      }
    }
  } catch {
    // Aborted at the end, or the server went away.
  }
  ended++;
}

const all = Promise.all(Array.from({ length: count }, client));
await new Promise<void>((resolve) => {
  Deno.addSignalListener("SIGTERM", () => resolve());
  (async () => {
    for await (const _ of Deno.stdin.readable) { /* until closed */ }
  })().then(() => resolve(), () => resolve());
});
const open = count - ended;
controller.abort();
await all;
console.log(JSON.stringify({ bytes, connected: started, ended: count - open }));
Deno.exit(0);
