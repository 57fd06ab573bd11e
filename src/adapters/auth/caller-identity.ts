/**
 * Who a verified token names, for the owner rule. The first claim of
 * `ownerClaims` the token carries is the identity: the first listed claim's value
 * as it is (so records owned by `sub` keep their owner), a later claim's as
 * `<claim>:<value>`, so a client whose id equals a user's subject never gets that
 * user's records. No listed claim: no identity (owner-protected models answer 403).
 */

/** A present identity claim the host cannot use; the verifier refuses the token with this reason. */
export class IdentityClaimError extends Error {
  constructor(claim: string, problem: string) {
    super(`claim "${claim}" rejected: ${problem}`);
    this.name = 'IdentityClaimError';
  }
}

/** `sub`, then the client id of client-credentials tokens (OAuth `client_id`, OIDC `azp`). */
export const DEFAULT_OWNER_CLAIMS: readonly string[] = ['sub', 'client_id', 'azp'];

/** Longer identities are refused: an owner is stored on every record. */
export const MAX_IDENTITY_LENGTH = 1024;

// Control characters, line and paragraph separators and lone surrogates could forge log lines or
// make one identity print like another; no identity provider issues them.
const UNPRINTABLE = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}]/u;

/**
 * The identity a token names, or undefined. `sub` and every listed claim, when
 * present, must be a non-empty string of printable characters
 * (≤ MAX_IDENTITY_LENGTH): anything else refuses the token (IdentityClaimError).
 */
export function identityOf(payload: Record<string, unknown>, ownerClaims: readonly string[]): string | undefined {
  for (const claim of new Set(['sub', ...ownerClaims])) {
    const value = payload[claim];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new IdentityClaimError(claim, 'not a string');
    if (value === '') throw new IdentityClaimError(claim, 'empty');
    if (value.length > MAX_IDENTITY_LENGTH) throw new IdentityClaimError(claim, `longer than ${MAX_IDENTITY_LENGTH} characters`);
    if (UNPRINTABLE.test(value)) throw new IdentityClaimError(claim, `it holds control characters (${JSON.stringify(value.slice(0, 64))})`);
  }
  const found = ownerClaims.findIndex((claim) => payload[claim] !== undefined);
  if (found === -1) return undefined;
  const value = payload[ownerClaims[found]!] as string;
  return found === 0 ? value : `${ownerClaims[found]}:${value}`;
}
