/**
 * What the rooms of the core share: the engine's environment, the settings,
 * the member table, the counters and the node's lifecycle phase. Each room
 * takes only the parts it uses (`Pick<Context, ...>`), so its constructor
 * says what it touches.
 *
 * @module
 */

import type { EngineEnv } from "../engine.ts";
import type { DropReason, EngineMetrics } from "../metrics.ts";
import type { ProtocolConfig } from "./config.ts";
import type { Membership } from "./membership.ts";
import type { CoreTimer } from "./timers.ts";

/**
 * Where a node is in its life: `running` from {@link Protocol.start}, then
 * `leaving` once it announced its leave (it still relays and answers probes,
 * but no longer joins, admits or refutes), then `stopped`.
 */
export type Phase = "new" | "running" | "leaving" | "stopped";

/** The state every room of the core may read; see the module documentation. */
export interface Context {
  /** This node's address. */
  readonly self: string;
  /** Time, randomness, sending, scheduling and events. */
  readonly env: EngineEnv<CoreTimer>;
  /** Settings. */
  readonly config: ProtocolConfig;
  /** The other members. */
  readonly members: Membership;
  /** The engine's counters. */
  readonly metrics: EngineMetrics;
  /** The lifecycle phase; only {@link Protocol} changes it. */
  phase: Phase;
}

/** Counts a dropped datagram and reports it as a `drop` event. */
export function drop(
  ctx: Pick<Context, "env" | "metrics">,
  reason: DropReason,
  from: string,
  detail: string,
): void {
  ctx.metrics.dropped[reason]++;
  ctx.env.emit("drop", { reason, from, detail });
}
