/**
 * The core's timers, as data. A room asks for one with
 * `env.schedule(timer, delay)`; the host hands it back to
 * {@link Protocol.fire} when it is due, and the protocol passes it to the room
 * that owns its name. Timers are never cancelled: each carries what its owner
 * needs to recognise a stale one (a probe's sequence number, a suspicion's
 * token) and ignore it.
 *
 * @module
 */

/** Every timer the native engine schedules. */
export type CoreTimer =
  /** Start the next probe period (probe.ts). */
  | { readonly name: "probe" }
  /** The direct ack of probe `seq` is overdue: ask others to probe (probe.ts). */
  | { readonly name: "probe-indirect"; readonly seq: number }
  /** Probe `seq`'s period is over: without an ack, suspect the target (probe.ts). */
  | { readonly name: "probe-end"; readonly seq: number }
  /** A ping relayed for a PING-REQ (our `seq`) got no ack in time: NACK (probe.ts). */
  | { readonly name: "relay"; readonly seq: number }
  /** The suspicion of `address` armed with `token` is due (suspicion.ts). */
  | { readonly name: "suspicion"; readonly address: string; readonly token: number }
  /** A gossip round: offer repairs, spread what is queued (dissemination.ts). */
  | { readonly name: "gossip" }
  /** A periodic push-pull exchange (anti_entropy.ts). */
  | { readonly name: "push-pull" }
  /** One of the exchanges soon after joining (anti_entropy.ts). */
  | { readonly name: "early-sync" }
  /** Forget long-dead and left members (state.ts). */
  | { readonly name: "reap" }
  /** Send INIT again, unless let in meanwhile (join.ts). */
  | { readonly name: "join" }
  /** Announce the ids received lately to a few lazy members (tree.ts). */
  | { readonly name: "lazy" }
  /** A message announced by IHAVE (`key` = origin/id) is overdue: GRAFT (tree.ts). */
  | { readonly name: "graft"; readonly key: string; readonly token: number }
  /** Send the next few queued TAGS frames (tags.ts). */
  | { readonly name: "tag-pump" }
  /** Ask again for tag gaps still open (tags.ts). */
  | { readonly name: "tag-ask" };

/** The names of {@link CoreTimer}s. */
export type CoreTimerName = CoreTimer["name"];
