/**
 * A {@link Simulation}'s event log: node events in order, with a hash for
 * comparing runs. Private to `src/testing/`.
 *
 * @module
 */

import type { GossipNodeEventMap } from "../node.ts";
import type { EventFilter, TraceEvent } from "./simulation_types.ts";

/** Node events, in order, with a running 64-bit hash. */
export class EventLog {
  /** The events recorded. */
  readonly events: TraceEvent[] = [];
  #hashA = 0x811c9dc5;
  #hashB = 0x01000193;

  /** Appends `event` and folds it into the hash. */
  record(event: TraceEvent): void {
    this.events.push(event);
    const text = `${event.time}|${event.node}|${event.type}|${event.subject};`;
    let a = this.#hashA, b = this.#hashB;
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 13;
    }
    this.#hashA = a;
    this.#hashB = b;
  }

  /** The hash of every event so far, as 16 hex digits. */
  hash(): string {
    return (this.#hashA >>> 0).toString(16).padStart(8, "0") +
      (this.#hashB >>> 0).toString(16).padStart(8, "0");
  }

  /** The events that match every field of `filter`. */
  filter(filter: EventFilter): TraceEvent[] {
    const { type, node, about, since } = filter;
    return this.events.filter((e) =>
      (type === undefined || e.type === type) &&
      (node === undefined || e.node === node) &&
      (about === undefined || e.about === about) &&
      (since === undefined || e.time >= since)
    );
  }
}

/**
 * A node event as a {@link TraceEvent}: its subject string, and the index
 * of the node it is about.
 */
export function describeEvent(
  time: number,
  node: number,
  type: keyof GossipNodeEventMap,
  detail: Record<string, unknown>,
  indexOf: (address: string) => number,
): TraceEvent {
  let subject: string, about: string;
  if (type === "message") {
    subject = `${detail.from}/${detail.id}@${detail.hops}`;
    about = String(detail.from);
  } else if (type === "joined") {
    subject = about = String(detail.seed);
  } else if (type === "tag") {
    // key=value, or key without a value for a delete.
    subject = `${detail.address} ${detail.key}${
      detail.value === undefined ? "" : `=${detail.value}`
    }`;
    about = String(detail.address);
  } else {
    subject = `${detail.address}#${detail.incarnation}`;
    about = String(detail.address);
  }
  return { time, node, type, subject, about: indexOf(about) };
}
