/**
 * Authentication settings: AUTH_ENABLED, and the key set file (`auth/key-set.json`,
 * or AUTH_KEY_SET) naming where keys come from and what tokens must say.
 * The seed's format (`jwksUri`, `issuer`, `audience`, `algorithms`, `cache`,
 * `rateLimit`, `jwksRequestsPerMinute`) is read as is; `ownerClaims` and
 * `requireExp` decide whom a token names and whether it must expire.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { JwtSettings } from './jwt-verifier.js';
import { DEFAULT_OWNER_CLAIMS } from './caller-identity.js';

export interface AuthConfig extends JwtSettings {
  /** Permission that opens the host's own API (config, remotes, ports, events). */
  adminPermission: string;
}

export class AuthConfigError extends Error {
  constructor(file: string, message: string) {
    super(`auth key set ${file}: ${message}`);
    this.name = 'AuthConfigError';
  }
}

const ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);

export async function readAuthConfig(file: string): Promise<AuthConfig> {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new AuthConfigError(file, `cannot be read as JSON (${(error as Error).message}); copy auth/key-set.example.json and edit it`);
  }
  const fail = (message: string): never => {
    throw new AuthConfigError(file, message);
  };
  const text = (key: string): string | undefined => {
    const value = raw[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') return fail(`"${key}" must be a non-empty string`);
    return value;
  };
  const jwksUri = text('jwksUri');
  const publicKey = text('publicKeyPath');
  if (!jwksUri && !publicKey) fail('needs "jwksUri" (a JWKS endpoint) or "publicKeyPath" (a PEM public key)');
  if (jwksUri) {
    const url = (() => {
      try {
        return new URL(jwksUri);
      } catch {
        return fail(`"jwksUri" is not a URL: ${jwksUri}`);
      }
    })();
    // Keys fetched in clear could be swapped by anyone on the path; loopback is for tests and local identity providers.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))) fail('"jwksUri" must be https (http only on loopback)');
  }
  const algorithms = raw.algorithms ?? ['RS256'];
  if (!Array.isArray(algorithms) || algorithms.length === 0 || algorithms.some((alg) => typeof alg !== 'string' || !ALGORITHMS.has(alg))) {
    fail(`"algorithms" must list some of ${[...ALGORITHMS].join(', ')} (never "none" or HMAC: the host holds no shared secret)`);
  }
  const audience = raw.audience;
  if (audience !== undefined && typeof audience !== 'string' && !(Array.isArray(audience) && audience.every((a) => typeof a === 'string'))) fail('"audience" must be a string or an array of strings');
  const perMinute = raw.jwksRequestsPerMinute ?? 5;
  if (typeof perMinute !== 'number' || !(perMinute > 0)) fail('"jwksRequestsPerMinute" must be a number > 0');
  const ownerClaims = raw.ownerClaims ?? DEFAULT_OWNER_CLAIMS;
  if (!Array.isArray(ownerClaims) || ownerClaims.length === 0 || ownerClaims.some((claim) => typeof claim !== 'string' || !/^[A-Za-z0-9_:.\/-]{1,100}$/.test(claim)) || new Set(ownerClaims).size !== ownerClaims.length) {
    fail(`"ownerClaims" must list distinct claim names, e.g. ${JSON.stringify(DEFAULT_OWNER_CLAIMS)}`);
  }
  const requireExp = raw.requireExp ?? true;
  if (typeof requireExp !== 'boolean') fail('"requireExp" must be true or false');
  const tolerance = raw.clockToleranceSeconds ?? 5;
  if (typeof tolerance !== 'number' || !(tolerance >= 0 && tolerance <= 300)) fail('"clockToleranceSeconds" must be a number from 0 to 300');
  const cache = raw.cache ?? true;
  const cacheMaxAgeMs = typeof cache === 'number' ? cache : cache === false ? 0 : 600_000;
  const config: AuthConfig = {
    algorithms: algorithms as string[],
    cacheMaxAgeMs,
    cooldownMs: raw.rateLimit === false ? 0 : Math.round(60_000 / (perMinute as number)),
    timeoutMs: typeof raw.timeoutMs === 'number' ? raw.timeoutMs : 5_000,
    permissionsClaim: text('permissionsClaim') ?? 'permissions',
    clockToleranceSeconds: tolerance as number,
    ownerClaims: ownerClaims as string[],
    requireExp: requireExp as boolean,
    adminPermission: text('adminPermission') ?? 'microlib:admin',
  };
  if (jwksUri) config.jwksUri = jwksUri;
  if (publicKey) config.publicKeyPath = path.resolve(path.dirname(file), publicKey);
  const issuer = text('issuer');
  if (issuer) config.issuer = issuer;
  if (audience !== undefined) config.audience = audience as string | string[];
  return config;
}
