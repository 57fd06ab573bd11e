/**
 * Which version answers a request to an endpoint whose remote runs a canary:
 * the version `X-Microlib-Version` pins (for testers), else the one the
 * request's key (a header, a cookie or the token subject) hashes to, else a
 * draw by the canary's weight. Only the request path of such endpoints comes
 * here; nothing is allocated but the key's string.
 */
import type { IncomingMessage } from 'node:http';
import type { Caller } from '../../domain/access.js';
import { MicrolibError } from '../../domain/errors.js';
import type { EndpointSplit, VersionSide } from '../../catalog/catalog.js';
import { bucketOf, type StickyKey } from '../../catalog/traffic-split.js';

/** The request header that pins a version: a prefix of it, or `<remote>@<prefix>` as responses name it. */
export const VERSION_HEADER = 'x-microlib-version';

export function chooseSide(split: EndpointSplit, req: IncomingMessage, caller: Caller | undefined): VersionSide {
  const { stableSide, canarySide, canary } = split;
  const pinned = req.headers[VERSION_HEADER];
  if (pinned !== undefined) return pinnedSide(split, pinned);
  if (canarySide === undefined) return stableSide!;
  if (stableSide === undefined) return canarySide;
  const { weight, sticky } = canary.policy;
  if (weight === 0) return stableSide;
  if (weight === 100) return canarySide;
  const key = sticky === undefined ? undefined : keyOf(sticky, req, caller);
  const bucket = key === undefined ? Math.floor(Math.random() * 100) : bucketOf(canary.seed, key);
  return bucket < weight ? canarySide : stableSide;
}

/** The request's key for stickiness, or undefined when it carries none. */
function keyOf(sticky: StickyKey, req: IncomingMessage, caller: Caller | undefined): string | undefined {
  if ('header' in sticky) {
    const value = req.headers[sticky.header];
    const key = Array.isArray(value) ? value[0] : value;
    return key === '' ? undefined : key;
  }
  if ('cookie' in sticky) return cookieValue(req.headers.cookie, sticky.cookie);
  return caller?.subject;
}

/** The value of cookie `name` in a Cookie header, without splitting the header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let at = 0;
  while (at < header.length) {
    const found = header.indexOf(name, at);
    if (found === -1) return undefined;
    const end = found + name.length;
    const starts = found === 0 || header[found - 1] === ' ' || header[found - 1] === ';';
    if (starts && header[end] === '=') {
      const stop = header.indexOf(';', end);
      const value = header.slice(end + 1, stop === -1 ? undefined : stop).trim();
      return value === '' ? undefined : value;
    }
    at = end;
  }
  return undefined;
}

/** The side `X-Microlib-Version` names; 400 when it names neither version, 404 when that version lacks the model. */
function pinnedSide(split: EndpointSplit, header: string | string[]): VersionSide {
  const { canary, stableSide, canarySide } = split;
  const raw = (Array.isArray(header) ? header[0]! : header).trim();
  const at = raw.indexOf('@');
  const prefix = at === -1 ? raw : raw.slice(0, at) === canary.remote ? raw.slice(at + 1) : '';
  const stable = prefix !== '' && canary.stableVersion.startsWith(prefix);
  const next = prefix !== '' && canary.canaryVersion.startsWith(prefix);
  if (stable === next) {
    const why = stable ? 'names both versions; give more of it' : `names neither version of remote "${canary.remote}"`;
    throw new MicrolibError('MLB_ERR_VALIDATION', `${VERSION_HEADER} "${raw}" ${why} (stable ${canary.stableVersion}, canary ${canary.canaryVersion})`, 'X-Microlib-Version');
  }
  const side = stable ? stableSide : canarySide;
  if (side === undefined) {
    const served = (stableSide ?? canarySide)!.served.model;
    throw new MicrolibError('MLB_ERR_NOT_FOUND', `version ${stable ? canary.stableVersion : canary.canaryVersion} of remote "${canary.remote}" does not serve model "${served.name}"`);
  }
  return side;
}
