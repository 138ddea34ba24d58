/**
 * Peer addresses: `host:port`, with IPv6 hosts in brackets (`[::1]:8080`).
 *
 * @module
 */

/** A host and a port, as sockets take them. */
export interface HostPort {
  /** Host name or IP literal, without brackets. */
  hostname: string;
  /** Port number, 0 to 65535. */
  port: number;
}

/**
 * Parses `host:port` (IPv6 as `[addr]:port`); throws `TypeError` with a
 * one-line reason when it is not one.
 */
export function parseAddress(text: string): HostPort {
  let hostname: string;
  let portText: string;
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    if (end < 0 || text[end + 1] !== ":") {
      throw new TypeError(`"${text}" is not HOST:PORT (IPv6 as [addr]:port)`);
    }
    hostname = text.slice(1, end);
    portText = text.slice(end + 2);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon <= 0 || text.indexOf(":") !== colon) {
      throw new TypeError(`"${text}" is not HOST:PORT (IPv6 as [addr]:port)`);
    }
    hostname = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  if (hostname === "" || /\s/.test(hostname)) {
    throw new TypeError(`"${text}" has no valid host`);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new TypeError(`"${text}" has no valid port (0-65535)`);
  }
  return { hostname, port: Number(portText) };
}

/**
 * Formats a host and port as an address, bracketing IPv6 literals.
 */
export function formatAddress(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}
