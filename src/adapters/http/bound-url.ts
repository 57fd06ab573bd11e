/**
 * The URL the listening line prints: the address the socket is bound to, as is.
 * A wildcard bind (`0.0.0.0`, `::`) is printed as such, so the log never claims
 * a narrower bind than the one that exists.
 */

/** Where a server is bound: what `server.address()` (or a cluster `listening` event) reports. */
export interface BoundAddress {
  readonly address: string;
  readonly port: number;
}

/** `http://0.0.0.0:8070`, `https://127.0.0.1:8443`, `http://[::1]:8070`. */
export function boundUrl(scheme: 'http' | 'https', bound: BoundAddress): string {
  // An IPv6 address in a URL goes in brackets, or its colons read as the port's.
  const host = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  return `${scheme}://${host}:${bound.port}`;
}

/**
 * The bound address from what the server reports (`server.address()`, or the address
 * of a cluster `listening` event); the configured host and port only when it reports
 * none (a pipe, or an address not given).
 */
export function boundAddress(reported: { address?: string | null; port?: number } | string | null, configuredHost: string, port: number): BoundAddress {
  if (reported !== null && typeof reported === 'object' && reported.address) return { address: reported.address, port: reported.port ?? port };
  return { address: configuredHost, port };
}
