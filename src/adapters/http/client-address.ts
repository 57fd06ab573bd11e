/**
 * The address of the client behind a request, for failure counting and logs.
 * By default the socket's peer: X-Forwarded-For is anyone's to write. Behind
 * proxies (TRUST_PROXY) the header is read from the right, past the hops the
 * host trusts, so a client can prepend whatever it likes and still be counted
 * under the address the first trusted proxy saw.
 */
import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** Which hops are proxies: the nearest `hops` ones, or those whose address is in `proxies`. */
export type ProxyTrust = { hops: number } | { proxies: BlockList; described: string };

export const MAX_TRUSTED_HOPS = 20;

/**
 * Reads TRUST_PROXY: empty (no proxy), a hop count, or a comma-separated list of
 * addresses and CIDR ranges (IPv4 or IPv6). Throws an Error naming the bad entry.
 */
export function readProxyTrust(spec: string): ProxyTrust | undefined {
  const text = spec.trim();
  if (text === '' || text === '0' || text.toLowerCase() === 'false') return undefined;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_TRUSTED_HOPS) throw new Error(`a hop count must be at most ${MAX_TRUSTED_HOPS}, got ${text}`);
    return { hops };
  }
  const proxies = new BlockList();
  for (const entry of text.split(',').map((item) => item.trim()).filter((item) => item !== '')) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined) throw new Error(`"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1)`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      proxies.addAddress(address, type);
      continue;
    }
    const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (!(bits >= 0 && bits <= (family === 4 ? 32 : 128))) throw new Error(`"${entry}" has a bad prefix length`);
    proxies.addSubnet(address, bits, type);
  }
  return { proxies, described: text };
}

/** An address as the host compares it: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as IPv4, brackets and ports dropped. */
function normalise(raw: string): string | undefined {
  let address = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) address = mapped[1]!;
  return isIP(address) === 0 ? undefined : address;
}

function trusted(proxies: BlockList, address: string): boolean {
  return proxies.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
}

/** The function giving each request's client address under `trust`. */
export function clientAddressOf(trust: ProxyTrust | undefined): (req: IncomingMessage) => string {
  return (req) => {
    const peer = normalise(req.socket.remoteAddress ?? '') ?? 'unknown';
    if (!trust) return peer;
    const header = req.headers['x-forwarded-for'];
    if (header === undefined) return peer;
    // Right to left: the nearest hop's report first. Each trusted hop vouches for the next address.
    const chain = (Array.isArray(header) ? header.join(',') : header).split(',');
    let client = peer;
    for (let hop = 0; chain.length > 0; hop++) {
      const vouched = 'hops' in trust ? hop < trust.hops : client !== 'unknown' && trusted(trust.proxies, client);
      if (!vouched) break;
      const next = normalise(chain.pop()!);
      // A hop that reported no address: the last one known is as far as the host can see.
      if (next === undefined) break;
      client = next;
    }
    return client;
  };
}
