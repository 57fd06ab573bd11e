/**
 * Authenticates HTTP and WebSocket requests: a bearer token in the
 * Authorization header (or, for WebSocket upgrades, `access_token` in the query,
 * since browsers cannot set headers there).
 *
 * Failed attempts are counted per client address and per credential (a hash of
 * the token), each in a one-minute window. Past the limit a failing request
 * gets 429 instead of 401, and a token that failed that often is refused without
 * another verification; a valid token is always accepted, whatever others on its
 * address did (many users share an address behind a proxy or NAT).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Caller } from '../../domain/access.js';
import { MicrolibError } from '../../domain/errors.js';
import type { Logger } from '../logging/logger.js';
import { FailureCounter } from './failure-counter.js';
import type { TokenVerifier } from './jwt-verifier.js';
import { AuthenticationError } from './authentication-error.js';

export const WWW_AUTHENTICATE_HEADER = 'Bearer realm="microlib"';

export class UnauthorizedError extends MicrolibError {
  readonly wwwAuthenticate: string;

  constructor(withToken: boolean) {
    super('MLB_ERR_UNAUTHORIZED', withToken ? 'the bearer token was not accepted' : 'a bearer token is required (Authorization: Bearer <JWT>)');
    this.wwwAuthenticate = withToken ? `${WWW_AUTHENTICATE_HEADER}, error="invalid_token"` : WWW_AUTHENTICATE_HEADER;
  }
}

/** A failing request past the limit: its address, or its very token, failed too often this minute. */
export class TooManyFailuresError extends MicrolibError {
  constructor(
    readonly retryAfterSeconds: number,
    by: 'address' | 'credential',
  ) {
    super('MLB_ERR_TOO_MANY_REQUESTS', `too many failed authentications ${by === 'address' ? 'from this address' : 'with this token'}; retry in ${retryAfterSeconds} s`);
  }
}

/** The headers an authentication refusal goes with: the challenge of a 401, Retry-After of a 429. */
export function refusalHeaders(error: unknown): Record<string, string> | undefined {
  if (error instanceof UnauthorizedError) return { 'www-authenticate': error.wwwAuthenticate };
  if (error instanceof TooManyFailuresError) return { 'retry-after': String(error.retryAfterSeconds) };
  return undefined;
}

export interface RequestAuthenticatorOptions {
  verify: TokenVerifier;
  logger: Logger;
  /** Failed authentications allowed per client address (and per credential) and minute. */
  maxFailuresPerMinute: number;
  /** The client's address (default: the socket's peer); see client-address.ts for trusted proxies. */
  clientAddress?: (req: IncomingMessage) => string;
}

export type RequestAuthenticator = (req: IncomingMessage, options?: { allowQueryToken?: boolean }) => Promise<Caller>;

const credentialKey = (token: string) => createHash('sha256').update(token).digest('base64url');

export function createRequestAuthenticator(options: RequestAuthenticatorOptions): RequestAuthenticator {
  const limit = options.maxFailuresPerMinute;
  const byAddress = new FailureCounter(limit);
  const byCredential = new FailureCounter(limit);
  const clientAddress = options.clientAddress ?? ((req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown');

  /** Counts a failure and throws the answer: 401, or 429 past the limit. */
  const refuse = (client: string, credential: string | undefined, reason: string): never => {
    const fromAddress = byAddress.add(client);
    const withCredential = credential === undefined ? 0 : byCredential.add(credential);
    // One line per failure up to the limit, then one saying so: a flood cannot flood the log.
    if (fromAddress <= limit) options.logger.warn({ client, reason }, 'authentication failed');
    else if (fromAddress === limit + 1) options.logger.warn({ client, reason, limit }, 'authentication failed; this client passed the limit of failures per minute: its further failures this minute answer 429 and are not logged one by one');
    if (fromAddress > limit) throw new TooManyFailuresError(byAddress.retryAfterSeconds(client), 'address');
    if (withCredential > limit) throw new TooManyFailuresError(byCredential.retryAfterSeconds(credential!), 'credential');
    throw new UnauthorizedError(true);
  };

  return async (req, { allowQueryToken = false } = {}) => {
    const client = clientAddress(req);
    let token: string | undefined;
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+([A-Za-z0-9_.~+/=-]+)\s*$/i.exec(header);
      if (!match) return refuse(client, undefined, 'Authorization header is not "Bearer <token>"');
      token = match[1];
    } else if (allowQueryToken) {
      token = new URL(req.url ?? '/', 'http://host').searchParams.get('access_token') ?? undefined;
    }
    if (!token) throw new UnauthorizedError(false);
    const credential = credentialKey(token);
    // A token that kept failing is not verified again this minute (it costs its holder alone).
    if (byCredential.exhausted(credential)) return refuse(client, credential, 'the same token failed too often this minute; not verified again');
    try {
      // The token goes with the caller: reads from another node of the application act on its behalf.
      return { ...(await options.verify(token)), credential: token };
    } catch (error) {
      return refuse(client, credential, error instanceof AuthenticationError ? error.reason : String(error));
    }
  };
}
