/** Bearer JWTs on the whole API and the WebSocket stream. */
import path from 'node:path';
import { flag, integer, text, type Env } from '../../../config/env-reader.js';

export interface SecuritySettings {
  /** Bearer JWTs required on the whole API and the WebSocket endpoint. */
  authEnabled: boolean;
  /** The key set file (JWKS or public key, issuer, audience, algorithms). */
  authKeySetPath: string;
  /** Failed authentications allowed per client address and minute before 429. */
  authMaxFailuresPerMinute: number;
}

export function readSecuritySettings(env: Env, cwd: string): SecuritySettings {
  return {
    authEnabled: flag(env, 'AUTH_ENABLED'),
    authKeySetPath: path.resolve(cwd, text(env, 'AUTH_KEY_SET', 'auth/key-set.json')),
    authMaxFailuresPerMinute: integer(env, 'AUTH_MAX_FAILURES_PER_MINUTE', 20, 1, 100_000),
  };
}
