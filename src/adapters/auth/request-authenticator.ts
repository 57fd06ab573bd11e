/**
 * Authenticates HTTP and WebSocket requests: a bearer token in the
 * Authorization header (or, for WebSocket upgrades, `access_token` in the query,
 * since browsers cannot set headers there). Failed attempts are counted per
 * client address; past the limit the client waits (429) instead of guessing.
 */
import type { IncomingMessage } from 'node:http';
import type { Caller } from '../../domain/access.js';
import { MicrolibError } from '../../domain/errors.js';
import type { Logger } from '../logging/logger.js';
import { AuthenticationError, type TokenVerifier } from './jwt-verifier.js';

export const WWW_AUTHENTICATE_HEADER = 'Bearer realm="microlib"';

export class UnauthorizedError extends MicrolibError {
  readonly wwwAuthenticate: string;

  constructor(withToken: boolean) {
    super('MLB_ERR_UNAUTHORIZED', withToken ? 'the bearer token was not accepted' : 'a bearer token is required (Authorization: Bearer <JWT>)');
    this.wwwAuthenticate = withToken ? `${WWW_AUTHENTICATE_HEADER}, error="invalid_token"` : WWW_AUTHENTICATE_HEADER;
  }
}

export interface RequestAuthenticatorOptions {
  verify: TokenVerifier;
  logger: Logger;
  /** Failed authentications allowed per client address and minute. */
  maxFailuresPerMinute: number;
}

export type RequestAuthenticator = (req: IncomingMessage, options?: { allowQueryToken?: boolean }) => Promise<Caller>;

const WINDOW_MS = 60_000;
const MAX_TRACKED = 10_000;

export function createRequestAuthenticator(options: RequestAuthenticatorOptions): RequestAuthenticator {
  const failures = new Map<string, { count: number; since: number }>();

  const failed = (address: string) => {
    const now = Date.now();
    const entry = failures.get(address);
    if (!entry || now - entry.since > WINDOW_MS) {
      failures.delete(address);
      failures.set(address, { count: 1, since: now });
      // Bounded: an attacker rotating addresses cannot grow this map without limit.
      if (failures.size > MAX_TRACKED) failures.delete(failures.keys().next().value as string);
    } else {
      entry.count++;
    }
  };

  return async (req, { allowQueryToken = false } = {}) => {
    const address = req.socket.remoteAddress ?? 'unknown';
    const entry = failures.get(address);
    if (entry && Date.now() - entry.since <= WINDOW_MS && entry.count >= options.maxFailuresPerMinute) {
      throw new MicrolibError('MLB_ERR_TOO_MANY_REQUESTS', 'too many failed authentications from this address; retry in a minute');
    }
    let token: string | undefined;
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+([A-Za-z0-9_.~+/=-]+)\s*$/i.exec(header);
      if (!match) {
        failed(address);
        options.logger.warn({ client: address, reason: 'Authorization header is not "Bearer <token>"' }, 'authentication failed');
        throw new UnauthorizedError(true);
      }
      token = match[1];
    } else if (allowQueryToken) {
      token = new URL(req.url ?? '/', 'http://host').searchParams.get('access_token') ?? undefined;
    }
    if (!token) throw new UnauthorizedError(false);
    try {
      // The token goes with the caller: reads from another node of the application act on its behalf.
      return { ...(await options.verify(token)), credential: token };
    } catch (error) {
      failed(address);
      const reason = error instanceof AuthenticationError ? error.reason : String(error);
      options.logger.warn({ client: address, reason }, 'authentication failed');
      throw new UnauthorizedError(true);
    }
  };
}
