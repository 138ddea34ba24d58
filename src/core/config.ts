/**
 * Protocol settings and the named profiles they come from.
 *
 * The profiles follow memberlist's `DefaultLocalConfig`, `DefaultLANConfig`
 * and `DefaultWANConfig` (see ANCHORS.md), so operators who know memberlist
 * know what to expect; where peer differs the field's comment says so.
 *
 * @module
 */

/**
 * Every protocol knob. All times are milliseconds.
 *
 * @example
 * ```ts
 * import { GossipNode, type ProtocolConfig } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const tuning: Partial<ProtocolConfig> = { fanout: 4, probeInterval: 2000, probeTimeout: 800 };
 * await using node = await GossipNode.start({ port: 0, profile: "wan", ...tuning });
 * assert.equal(node.config.fanout, 4);
 * assert.equal(node.config.pushPullInterval, 60_000); // the rest is the wan profile's
 * ```
 */
export interface ProtocolConfig {
  /**
   * How application messages spread: `"tree"` pushes each message once along
   * a spanning tree of eager links and announces its id on lazy ones
   * (Plumtree, one copy per delivery once the tree has formed); `"epidemic"`
   * gossips it to `fanout` random members, each node sending it a bounded
   * number of times; `"mesh"` sends every message to every member (the
   * original design). Membership updates are gossiped the same way in all
   * three.
   */
  mode: "tree" | "epidemic" | "mesh";
  /** Gossip period: how often queued updates and messages are sent to `fanout` members. */
  period: number;
  /** Members gossiped to each period, and to whom a new message is forwarded at once. */
  fanout: number;
  /**
   * Tree mode: the least number of random members a node pushes whole
   * messages to when a tree is new to it (or every eager link died); it
   * takes as many as epidemic mode pushes a first copy to when that is more
   * (`retransmitMult × ⌈log10(N + 1)⌉ − 2`). Duplicates prune the links a
   * tree does not need.
   */
  eagerPeers: number;
  /** Tree mode: how many random lazy members each batch of message ids (IHAVE) goes to. */
  lazyPeers: number;
  /** Tree mode: how long message ids wait to be announced together (IHAVE). */
  lazyDelay: number;
  /**
   * Tree mode: the least time to wait for a message announced by IHAVE before
   * asking for it (GRAFT); it grows with the observed link delay (probe
   * round trips), up to `probeTimeout`.
   */
  graftTimeout: number;
  /**
   * A joiner sends CONN to every member its seed lists while the cluster has at
   * most this many members; above it, to `fanout` of them (epidemic mode).
   */
  announceLimit: number;
  /** Each update or message is sent `retransmitMult * ceil(log10(N + 1))` times by each node. */
  retransmitMult: number;
  /** How often one member is probed. */
  probeInterval: number;
  /** How long to wait for a direct ack before asking others to probe. */
  probeTimeout: number;
  /** How many members are asked to probe indirectly. */
  indirectChecks: number;
  /** Suspicion lasts at least `suspicionMult * max(1, log10 N) * probeInterval`. */
  suspicionMult: number;
  /** ... and at most `suspicionMaxTimeoutMult` times that, until confirmations arrive. */
  suspicionMaxTimeoutMult: number;
  /** Upper bound of the local health multiplier (Lifeguard). */
  awarenessMaxMultiplier: number;
  /**
   * Flap damping: each time this node sees a member refute a suspicion (or
   * come back from the dead), the member must fail this many more probes in a
   * row, from this node, before this node suspects it again (counting at most
   * three refutations). 0 turns it off. Default 3.
   */
  probation: number;
  /** The remembered refutations of a member halve every `probationHalfLife` ms. Default 300 000. */
  probationHalfLife: number;
  /** Full member-table exchange with a random member (scaled up above 32 members); 0 turns it off. */
  pushPullInterval: number;
  /** Dead and left members are forgotten after this long. */
  reapAfter: number;
  /** First delay between INIT retries; doubles up to `joinRetryMax`. */
  joinRetryInterval: number;
  /** Largest delay between INIT retries. */
  joinRetryMax: number;
  /** Largest datagram this node sends (bytes); larger state is split. */
  maxDatagramSize: number;
  /**
   * Messages are kept this long for repair: each gossip period a node offers
   * one random member the ids of its recent messages (IHAVE) and sends those it
   * asks for (IWANT). 0 turns repair off.
   */
  repairWindow: number;
  /** How many gossip message ids are remembered for de-duplication. */
  seenCapacity: number;
  /** Most bytes of tags (keys and values, UTF-8) a node may set on itself. Default 65 536. */
  maxTagBytes: number;
  /**
   * How long a deleted tag's tombstone is kept; a member that was away
   * longer gets the owner's whole state instead of the deletes. Default 10 min.
   */
  tagTombstoneTtl: number;
  /** How long a gossip message id is remembered. */
  seenTtl: number;
  /**
   * Most members kept in the member table (self excluded); updates about
   * further unknown members are ignored, so no sender can grow the table
   * without bound. Default 100 000.
   */
  maxMembers: number;
  /**
   * Requests that make this node send or work on a sender's behalf (INIT,
   * CONN and SYNC from a stranger, SYNC requests, PING-REQ) allowed per
   * second from one source address; more are dropped (`"rate"`). Default 20.
   */
  requestRate: number;
  /** How many such requests one source may make at once before `requestRate` applies. Default 40. */
  requestBurst: number;
  /**
   * How many source addresses the rate limiter tracks, and how many
   * strangers may wait at once for their join cookie (see docs/SECURITY.md).
   * Default 4096.
   */
  maxSources: number;
  /**
   * Addresses whose INFO (a member table) this node merges although it never
   * sent them INIT: for tools that hand a node its table, as the simulator's
   * bootstrap does. Empty by default: INFO is accepted only from a seed this
   * node sent INIT to. Whoever sends from a listed address can add members.
   */
  infoFrom: readonly string[];
}

/**
 * The names of the built-in profiles, after memberlist's: `local` (one
 * host), `lan` (the default) and `wan`.
 *
 * @example
 * ```ts
 * import { GossipNode, type ProfileName } from "@gossip/peer";
 * import assert from "node:assert/strict";
 * const name: ProfileName = "local";
 * await using node = await GossipNode.start({ port: 0, profile: name });
 * assert.equal(node.config.period, 100);
 * ```
 */
export type ProfileName = "local" | "lan" | "wan";

const LAN: ProtocolConfig = {
  mode: "tree",
  period: 200,
  fanout: 3,
  eagerPeers: 3,
  lazyPeers: 3,
  lazyDelay: 20,
  graftTimeout: 50,
  announceLimit: 64,
  retransmitMult: 4,
  probeInterval: 1000,
  probeTimeout: 500,
  indirectChecks: 3,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  awarenessMaxMultiplier: 8,
  probation: 3,
  probationHalfLife: 300_000,
  pushPullInterval: 30_000,
  reapAfter: 15 * 60_000,
  joinRetryInterval: 250,
  joinRetryMax: 5_000,
  maxDatagramSize: 1400,
  repairWindow: 2000,
  seenCapacity: 100_000,
  maxTagBytes: 65_536,
  tagTombstoneTtl: 10 * 60_000,
  seenTtl: 120_000,
  maxMembers: 100_000,
  requestRate: 20,
  requestBurst: 40,
  maxSources: 4096,
  infoFrom: Object.freeze([]),
};

const PROFILES: Record<ProfileName, ProtocolConfig> = {
  lan: LAN,
  local: {
    ...LAN,
    period: 100,
    lazyDelay: 10,
    graftTimeout: 25,
    retransmitMult: 3,
    probeTimeout: 200,
    indirectChecks: 1,
    suspicionMult: 3,
    pushPullInterval: 15_000,
    joinRetryInterval: 100,
  },
  wan: {
    ...LAN,
    period: 500,
    fanout: 4,
    lazyDelay: 50,
    graftTimeout: 200,
    probeInterval: 5000,
    probeTimeout: 3000,
    suspicionMult: 6,
    pushPullInterval: 60_000,
    joinRetryInterval: 1000,
    joinRetryMax: 30_000,
    repairWindow: 5000,
  },
};

/**
 * A copy of a named profile's settings.
 *
 * | knob | local | lan | wan |
 * |---|---|---|---|
 * | mode | tree | tree | tree |
 * | period (gossip) | 100 | 200 | 500 |
 * | fanout | 3 | 3 | 4 |
 * | retransmitMult | 3 | 4 | 4 |
 * | probeInterval | 1000 | 1000 | 5000 |
 * | probeTimeout | 200 | 500 | 3000 |
 * | indirectChecks | 1 | 3 | 3 |
 * | suspicionMult | 3 | 4 | 6 |
 * | pushPullInterval | 15 s | 30 s | 60 s |
 * | lazyDelay / graftTimeout (tree) | 10 / 25 | 20 / 50 | 50 / 200 |
 */
export function profile(name: ProfileName = "lan"): ProtocolConfig {
  const p = PROFILES[name];
  if (!p) throw new TypeError(`unknown profile "${name}" (local, lan or wan)`);
  return { ...p };
}

/**
 * Checks a configuration, throwing `RangeError` naming the first bad field.
 */
export function validateConfig(c: ProtocolConfig): void {
  const positive: (keyof ProtocolConfig)[] = [
    "period",
    "fanout",
    "eagerPeers",
    "lazyPeers",
    "lazyDelay",
    "graftTimeout",
    "retransmitMult",
    "probeInterval",
    "probeTimeout",
    "suspicionMult",
    "suspicionMaxTimeoutMult",
    "awarenessMaxMultiplier",
    "probationHalfLife",
    "reapAfter",
    "joinRetryInterval",
    "joinRetryMax",
    "seenCapacity",
    "maxTagBytes",
    "tagTombstoneTtl",
    "seenTtl",
    "maxMembers",
    "requestRate",
    "requestBurst",
    "maxSources",
  ];
  for (const key of positive) {
    const v = c[key] as number;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new RangeError(`${key} must be a positive number, got ${v}`);
    }
  }
  if (!(c.announceLimit >= 0)) throw new RangeError(`announceLimit must be >= 0`);
  if (!(c.indirectChecks >= 0)) throw new RangeError(`indirectChecks must be >= 0`);
  if (!(c.repairWindow >= 0)) throw new RangeError(`repairWindow must be >= 0`);
  if (!(c.pushPullInterval >= 0)) throw new RangeError(`pushPullInterval must be >= 0`);
  if (c.mode !== "tree" && c.mode !== "epidemic" && c.mode !== "mesh") {
    throw new RangeError(`mode must be "tree", "epidemic" or "mesh", got "${c.mode}"`);
  }
  if (!(c.maxDatagramSize >= 512 && c.maxDatagramSize <= 65507)) {
    throw new RangeError(`maxDatagramSize must be 512 to 65507, got ${c.maxDatagramSize}`);
  }
  if (c.probeTimeout >= c.probeInterval) {
    throw new RangeError(
      `probeTimeout (${c.probeTimeout}) must be below probeInterval (${c.probeInterval})`,
    );
  }
  if (!Number.isInteger(c.probation) || c.probation < 0) {
    throw new RangeError(`probation must be an integer >= 0, got ${c.probation}`);
  }
  if (!Array.isArray(c.infoFrom) || !c.infoFrom.every((a) => typeof a === "string")) {
    throw new RangeError(`infoFrom must be a list of addresses`);
  }
}
