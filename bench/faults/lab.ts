/**
 * The fault lab: one network namespace per host, each with its own address
 * on a private bridge, and nftables rules inside each host for faults. Needs
 * root, iproute2 (`ip`) and nftables (`nft`).
 *
 * Everything lives in namespaces this module makes: a hub namespace holding
 * the bridge, and one namespace per host joined to it by a veth pair created
 * straight inside the namespaces, so the root namespace gets no interface,
 * route or rule. Names carry the owning process id (`peerf<pid>-hub`,
 * `peerf<pid>-h3`): a run removes what a dead run left behind, never what a
 * live one is using.
 *
 * Faults are rules in an `inet peerfault` table's input chain in each host:
 * drop by source address for partitions and one-way cuts, `numgen random mod
 * 100 < P` for loss. They act on what a host receives, so one-way loss is one
 * host's rules. (tc netem is not available on these machines.)
 *
 * @module
 */

/** The prefix of every namespace this harness makes. */
const PREFIX = "peerf";
/** The hosts' subnet: host i has `10.77.0.(i + 1)`. */
export const SUBNET = "10.77.0";

/** One host of the lab. */
export interface Host {
  /** 0-based index. */
  readonly index: number;
  /** Its network namespace. */
  readonly ns: string;
  /** Its IPv4 address. */
  readonly ip: string;
}

/** A fault on one host: what it drops of what it receives. */
export type Fault =
  /** Everything from these hosts. */
  | { drop: "from"; hosts: readonly Host[] }
  /** `percent` % of everything from the subnet, at random. */
  | { drop: "loss"; percent: number }
  /** Everything from the subnet. */
  | { drop: "all" };

/** Runs `cmd args`; returns stdout, or throws with stderr when it fails. */
export async function run(
  cmd: string,
  args: string[],
  stdin?: string,
  cwd?: string,
): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    cwd,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${text.decode(out.stderr).trim() || out.code}`);
  }
  return text.decode(out.stdout);
}

async function namespaces(): Promise<string[]> {
  const out = await run("ip", ["netns", "list"]);
  return out.split("\n").map((l) => l.split(" ")[0]).filter((n) => n.length > 0);
}

/** Whether process `pid` exists (`kill -0`; Deno reads /proc only with --allow-all). */
async function alive(pid: number): Promise<boolean> {
  const out = await new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" })
    .output();
  return out.success;
}

/** Kills every process in namespace `ns`, then deletes it. */
async function removeNamespace(ns: string): Promise<void> {
  try {
    const pids = (await run("ip", ["netns", "pids", ns])).split("\n").filter((p) => p !== "");
    for (const pid of pids) {
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch {
        // Gone already.
      }
    }
  } catch {
    // No such namespace any more.
  }
  try {
    await run("ip", ["netns", "del", ns]);
  } catch {
    // Deleted meanwhile.
  }
}

/**
 * Removes what runs that are no longer alive left behind (their processes
 * and namespaces); returns the namespaces removed.
 */
export async function removeLeftovers(): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of await namespaces()) {
    const m = ns.match(/^peerf(\d+)-/);
    if (!m || await alive(Number(m[1]))) continue;
    await removeNamespace(ns);
    removed.push(ns);
  }
  return removed;
}

/**
 * Why this machine cannot run the lab, or `undefined` when it can: it needs
 * root, `ip` and `nft`, and a namespace it can make (and delete) with a
 * table in it.
 */
export async function labUnavailable(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "network namespaces need Linux";
  if (Deno.permissions.querySync({ name: "run" }).state !== "granted") return "needs --allow-run";
  if ((await run("id", ["-u"])).trim() !== "0") return "network namespaces and nftables need root";
  try {
    await run("nft", ["--version"]);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "nftables (nft) is not installed";
  }
  const ns = `${PREFIX}${Deno.pid}-probe`;
  try {
    await run("ip", ["netns", "add", ns]);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "iproute2 (ip) is not installed";
    return `cannot make a network namespace (${e instanceof Error ? e.message : e})`;
  }
  try {
    await run("ip", ["netns", "exec", ns, "nft", "add", "table", "inet", "peerfault"]);
  } catch (e) {
    return `cannot use nftables in a namespace (${e instanceof Error ? e.message : e})`;
  } finally {
    await removeNamespace(ns);
  }
  return undefined;
}

/** The hosts and their bridge; see the module documentation. */
export class Lab {
  readonly hosts: readonly Host[];
  readonly #hub: string;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(hub: string, hosts: Host[]) {
    this.#hub = hub;
    this.hosts = hosts;
  }

  /** Makes `n` hosts (after removing dead runs' leftovers). Throws when it cannot. */
  static async create(n: number): Promise<Lab> {
    if (n < 1 || n > 250) throw new RangeError(`1 to 250 hosts, not ${n}`);
    await removeLeftovers();
    const base = `${PREFIX}${Deno.pid}`;
    const hub = `${base}-hub`;
    const hosts: Host[] = [];
    for (let i = 0; i < n; i++) {
      hosts.push({ index: i, ns: `${base}-h${i}`, ip: `${SUBNET}.${i + 1}` });
    }
    const lab = new Lab(hub, hosts);
    try {
      await run("ip", ["netns", "add", hub]);
      await run("ip", ["-n", hub, "link", "set", "lo", "up"]);
      await run("ip", ["-n", hub, "link", "add", "br0", "type", "bridge"]);
      await run("ip", ["-n", hub, "link", "set", "br0", "up"]);
      for (const h of hosts) {
        await run("ip", ["netns", "add", h.ns]);
        // The pair is made inside the namespaces: nothing appears in the root one.
        await run("ip", [
          "-n",
          hub,
          "link",
          "add",
          `v${h.index}`,
          "type",
          "veth",
          "peer",
          "name",
          "eth0",
          "netns",
          h.ns,
        ]);
        await run("ip", ["-n", hub, "link", "set", `v${h.index}`, "master", "br0", "up"]);
        await run("ip", ["-n", h.ns, "addr", "add", `${h.ip}/24`, "dev", "eth0"]);
        await run("ip", ["-n", h.ns, "link", "set", "eth0", "up"]);
        await run("ip", ["-n", h.ns, "link", "set", "lo", "up"]);
        await lab.fault(h, []);
      }
    } catch (e) {
      await lab.close();
      throw e;
    }
    return lab;
  }

  /** The command that runs `argv` inside host `h`. */
  command(h: Host, argv: string[]): { cmd: string; args: string[] } {
    return { cmd: "ip", args: ["netns", "exec", h.ns, ...argv] };
  }

  /** Whether {@link Lab.close} was called (from then on faults are no-ops). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Replaces host `h`'s faults by `faults` (none: it receives everything). */
  async fault(h: Host, faults: readonly Fault[]): Promise<void> {
    if (this.#closed) return;
    const rules = faults.map((f) => {
      switch (f.drop) {
        case "from":
          return `ip saddr { ${f.hosts.map((x) => x.ip).join(", ")} } counter drop`;
        case "loss":
          return `ip saddr ${SUBNET}.0/24 numgen random mod 100 < ${f.percent} counter drop`;
        case "all":
          return `ip saddr ${SUBNET}.0/24 counter drop`;
      }
    });
    const script = [
      "add table inet peerfault",
      "flush table inet peerfault",
      "add chain inet peerfault input { type filter hook input priority 0; policy accept; }",
      ...rules.map((r) => `add rule inet peerfault input ${r}`),
      "",
    ].join("\n");
    try {
      await run("ip", ["netns", "exec", h.ns, "nft", "-f", "-"], script);
    } catch (e) {
      if (!this.#closed) throw e; // closed meanwhile (a signal): the namespace is gone
    }
  }

  /** Datagrams host `h`'s rules dropped so far (the rules' counters). */
  async dropped(h: Host): Promise<number> {
    const list = ["netns", "exec", h.ns, "nft", "list", "table", "inet", "peerfault"];
    const out = this.#closed ? "" : await run("ip", list).catch((e) => {
      if (this.#closed) return "";
      throw e;
    });
    let n = 0;
    for (const m of out.matchAll(/counter packets (\d+)/g)) n += Number(m[1]);
    return n;
  }

  /** Clears every host's faults. */
  async heal(): Promise<void> {
    for (const h of this.hosts) await this.fault(h, []);
  }

  /**
   * Kills what runs in the hosts and deletes every namespace. A second call
   * waits for the first to finish.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    for (const h of this.hosts) await removeNamespace(h.ns);
    await removeNamespace(this.#hub);
  }
}
