/**
 * How a {@link MemoryNetwork} picks addresses for `bind()` without one, or
 * with port 0. Private to `src/testing/`.
 *
 * @module
 */

import { parseAddress } from "../address.ts";

/** Hands out free addresses: `10.a.b.c:7946` counting up, or `host:N` from 49152 up. */
export class AddressAllocator {
  #nextAuto = 0;
  #nextEphemeral = 0;

  /**
   * The address to bind for `address` (allocated when absent or port 0).
   * Throws `TypeError` for an address that is not `host:port` and
   * `Deno.errors.AddrInUse` for one already in `bound` or none left.
   */
  pick(address: string | undefined, bound: ReadonlyMap<string, unknown>): string {
    if (address === undefined) return this.#next(bound);
    const { hostname, port } = parseAddress(address);
    if (port === 0) {
      return this.#ephemeral(address.slice(0, address.lastIndexOf(":")), hostname, bound);
    }
    if (bound.has(address)) {
      throw new Deno.errors.AddrInUse(
        `${address} is already bound on this MemoryNetwork; close that transport first or bind another address`,
      );
    }
    return address;
  }

  #next(bound: ReadonlyMap<string, unknown>): string {
    for (;;) {
      const n = this.#nextAuto++;
      const c = n % 254 + 1; // 1..254
      const ab = Math.floor(n / 254);
      if (ab > 0xffff) throw new Deno.errors.AddrInUse("MemoryNetwork ran out of addresses");
      const addr = `10.${ab >>> 8}.${ab & 0xff}.${c}:7946`;
      if (!bound.has(addr)) return addr;
    }
  }

  #ephemeral(host: string, hostname: string, bound: ReadonlyMap<string, unknown>): string {
    for (let i = 0; i < 16384; i++) {
      const port = 49152 + (this.#nextEphemeral++ % 16384);
      const addr = `${host}:${port}`;
      if (!bound.has(addr)) return addr;
    }
    throw new Deno.errors.AddrInUse(`no free port left on ${hostname} in this MemoryNetwork`);
  }
}
