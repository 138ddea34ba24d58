/**
 * Wire detection on the native engine: a seed-format frame reaching a native
 * Protocol is dropped under its own reason, "seed-wire", so an operator can
 * tell "an original peer is talking to me" from line noise.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { seededRandom, VirtualClock } from "../src/testing/mod.ts";
import { profile } from "../src/core/config.ts";
import { Protocol, type ProtocolEvent } from "../src/core/protocol.ts";

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function nativeProtocol(): { protocol: Protocol; events: ProtocolEvent[]; sent: string[] } {
  const events: ProtocolEvent[] = [];
  const sent: string[] = [];
  const protocol = new Protocol({
    self: "127.0.0.1:8000",
    clock: new VirtualClock(),
    random: seededRandom(1),
    send: (to) => sent.push(to),
    emit: (e) => events.push(e),
  }, profile("lan"));
  protocol.start();
  return { protocol, events, sent };
}

Deno.test("wire: a native Protocol drops a seed frame as seed-wire, not malformed", () => {
  const { protocol, events, sent } = nativeProtocol();
  protocol.receive("127.0.0.1:9001", ascii("INIT"));
  const m = protocol.metrics();
  strictEqual(m.dropped["seed-wire"], 1);
  strictEqual(m.dropped.malformed, 0);
  const drops = events.filter((e) => e.type === "drop");
  strictEqual(drops.length, 1);
  ok(
    drops[0].type === "drop" && drops[0].reason === "seed-wire" &&
      drops[0].from === "127.0.0.1:9001",
  );
  deepStrictEqual(protocol.peers(), []);
  deepStrictEqual(sent, [], "nothing is answered");
  protocol.stop();
});

Deno.test("wire: every seed tag, NUL-padded or not, counts as seed-wire on a native Protocol", () => {
  const { protocol } = nativeProtocol();
  const frames = ["INIT", "INFO127.0.0.1:9002", "CONN", "GOSPHello!", "GOSPHi\0\0\0", "INFO"];
  for (const f of frames) protocol.receive("127.0.0.1:9001", ascii(f));
  strictEqual(protocol.metrics().dropped["seed-wire"], frames.length);
  strictEqual(protocol.metrics().dropped.malformed, 0);
  protocol.stop();
});

Deno.test("wire: junk that is neither format stays malformed on a native Protocol", () => {
  const { protocol } = nativeProtocol();
  for (const f of ["HELO", "IN", ""]) protocol.receive("127.0.0.1:9001", ascii(f));
  strictEqual(protocol.metrics().dropped.malformed, 3);
  strictEqual(protocol.metrics().dropped["seed-wire"], 0);
  protocol.stop();
});
