/**
 * Verifies bearer JWTs with jose: against a JWKS (fetched, cached and refreshed
 * at a bounded rate) or a local public key, with the configured issuer,
 * audience and algorithms. Every refusal carries a precise reason for the log;
 * clients only ever learn that their token was not accepted.
 */
import { readFile } from 'node:fs/promises';
import { createRemoteJWKSet, decodeProtectedHeader, errors, importSPKI, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AuthenticationError } from './authentication-error.js';
import type { Caller } from '../../domain/access.js';
import { identityOf, IdentityClaimError } from './caller-identity.js';

export interface JwtSettings {
  /** JWKS endpoint, e.g. https://tenant.example.com/.well-known/jwks.json. */
  jwksUri?: string;
  /** A PEM public key (SPKI) instead of a JWKS, for offline setups. */
  publicKeyPath?: string;
  issuer?: string;
  audience?: string | string[];
  /** Accepted algorithms; `none` is never accepted. */
  algorithms: string[];
  /** How long fetched keys are trusted before a refetch. */
  cacheMaxAgeMs: number;
  /** Least time between two JWKS fetches (a token with an unknown key cannot make the host hammer the JWKS). */
  cooldownMs: number;
  /** Deadline of a JWKS fetch. */
  timeoutMs: number;
  /** Claim holding permissions (an array or a space-separated string); `scope` is read too. */
  permissionsClaim: string;
  /** Tolerated clock difference, in seconds (for exp, nbf and iat). */
  clockToleranceSeconds: number;
  /** Claims naming the caller for the owner rule, first present wins (see caller-identity.ts). */
  ownerClaims: readonly string[];
  /** Refuse tokens without `exp` (a token that never expires is a leaked credential forever). */
  requireExp: boolean;
}

export { AuthenticationError };

export type TokenVerifier = (token: string) => Promise<Caller>;

function permissionsOf(payload: JWTPayload, claim: string): string[] {
  const found = new Set<string>();
  for (const value of [payload[claim], payload.scope]) {
    if (typeof value === 'string') value.split(/\s+/).filter(Boolean).forEach((p) => found.add(p));
    else if (Array.isArray(value)) value.filter((p): p is string => typeof p === 'string' && p !== '').forEach((p) => found.add(p));
  }
  return [...found];
}

/** Turns jose's errors into reasons an operator can act on. */
function reasonOf(error: unknown, token: string): string {
  if (error instanceof AuthenticationError) return error.reason;
  if (error instanceof IdentityClaimError) return error.message;
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'exp' && error.reason === 'missing') return 'token has no "exp" (expiry); the key set requires one (requireExp)';
  if (error instanceof errors.JWTExpired) return `token expired (exp ${String(error.payload.exp)})`;
  if (error instanceof errors.JWTClaimValidationFailed) return `claim "${error.claim}" rejected: ${error.reason}`;
  if (error instanceof errors.JOSEAlgNotAllowed) return `algorithm not allowed: ${headerAlg(token)}`;
  if (error instanceof errors.JWKSNoMatchingKey) return `no key in the JWKS matches kid ${JSON.stringify(headerKid(token))}`;
  if (error instanceof errors.JWKSTimeout) return 'the JWKS did not answer in time';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return `malformed token: ${error.message}`;
  if (error instanceof errors.JOSEError) return `${error.code}: ${error.message}`;
  return `token not verified: ${error instanceof Error ? error.message : String(error)}`;
}

function headerAlg(token: string): string {
  try {
    return String(decodeProtectedHeader(token).alg);
  } catch {
    return '(unreadable header)';
  }
}

function headerKid(token: string): unknown {
  try {
    return decodeProtectedHeader(token).kid;
  } catch {
    return undefined;
  }
}

export async function createJwtVerifier(settings: JwtSettings): Promise<TokenVerifier> {
  const algorithms = settings.algorithms.filter((alg) => alg.toLowerCase() !== 'none');
  if (algorithms.length === 0) throw new Error('auth: "algorithms" must list at least one algorithm other than none');
  let key: JWTVerifyGetKey | CryptoKey | Uint8Array;
  if (settings.jwksUri) {
    key = createRemoteJWKSet(new URL(settings.jwksUri), { cacheMaxAge: settings.cacheMaxAgeMs, cooldownDuration: settings.cooldownMs, timeoutDuration: settings.timeoutMs });
  } else if (settings.publicKeyPath) {
    const pem = await readFile(settings.publicKeyPath, 'utf8').catch((error: Error) => {
      throw new Error(`auth: public key ${settings.publicKeyPath} cannot be read: ${error.message}`);
    });
    key = await importSPKI(pem, algorithms[0]!);
  } else {
    throw new Error('auth: the key set needs "jwksUri" or "publicKeyPath"');
  }
  return async (token) => {
    try {
      const options = {
        algorithms,
        clockTolerance: settings.clockToleranceSeconds,
        ...(settings.issuer ? { issuer: settings.issuer } : {}),
        ...(settings.audience ? { audience: settings.audience } : {}),
        ...(settings.requireExp ? { requiredClaims: ['exp'] } : {}),
      };
      const { payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
      // jose checks nbf against the tolerance but lets a token claim to be issued in the future.
      const ahead = typeof payload.iat === 'number' ? payload.iat - Math.floor(Date.now() / 1000) : 0;
      if (ahead > settings.clockToleranceSeconds) throw new AuthenticationError(`claim "iat" rejected: issued ${ahead} s in the future (clock tolerance ${settings.clockToleranceSeconds} s)`);
      const caller: Caller = { permissions: permissionsOf(payload, settings.permissionsClaim) };
      const identity = identityOf(payload, settings.ownerClaims);
      if (identity !== undefined) caller.subject = identity;
      return caller;
    } catch (error) {
      throw new AuthenticationError(reasonOf(error, token));
    }
  };
}
