/** Bearer JWTs on the whole API and the WebSocket stream. */
import path from 'node:path';
import { ConfigError, flag, integer, text, type Env } from '../../../config/env-reader.js';
import { readProxyTrust, type ProxyTrust } from '../../../adapters/http/client-address.js';

export interface SecuritySettings {
  /** Bearer JWTs required on the whole API and the WebSocket endpoint. */
  authEnabled: boolean;
  /** The key set file (JWKS or public key, issuer, audience, algorithms). */
  authKeySetPath: string;
  /** Failed authentications allowed per client address (and per token) and minute before 429. */
  authMaxFailuresPerMinute: number;
  /** Proxies whose X-Forwarded-For names the client (for failure counting and logs); none by default. */
  trustProxy: ProxyTrust | undefined;
}

export function readSecuritySettings(env: Env, cwd: string): SecuritySettings {
  let trustProxy: ProxyTrust | undefined;
  try {
    trustProxy = readProxyTrust(text(env, 'TRUST_PROXY', ''));
  } catch (error) {
    throw new ConfigError('TRUST_PROXY', `${(error as Error).message}; give a hop count or addresses and CIDR ranges, comma-separated`);
  }
  return {
    authEnabled: flag(env, 'AUTH_ENABLED'),
    authKeySetPath: path.resolve(cwd, text(env, 'AUTH_KEY_SET', 'auth/key-set.json')),
    authMaxFailuresPerMinute: integer(env, 'AUTH_MAX_FAILURES_PER_MINUTE', 20, 1, 100_000),
    trustProxy,
  };
}
