/**
 * The key of sensitive fields, derived once (scrypt takes ~100 ms, twice while a
 * key rotates) when a model first needs it, or at start while a key rotates.
 * Activation and the re-encryption task share it; a failed load is tried again
 * by the next caller.
 */
import { loadFieldKeys, type LoadedFieldKeys } from '../adapters/crypto/encryption-keys.js';
import type { Logger } from '../adapters/logging/logger.js';
import type { HostConfig } from './host-config.js';

export interface FieldKeyLoader {
  /** The cipher and, while a key rotates, the rotation. */
  load(): Promise<LoadedFieldKeys>;
}

export function fieldKeyLoader(config: Pick<HostConfig, 'encryptionPassword' | 'encryptionPasswordPrevious' | 'encryptionSalt' | 'dataDir'>, logger: Logger): FieldKeyLoader {
  let loading: Promise<LoadedFieldKeys> | undefined;
  return {
    load: () =>
      (loading ??= loadFieldKeys({
        password: config.encryptionPassword,
        previousPassword: config.encryptionPasswordPrevious,
        dataDir: config.dataDir,
        salt: config.encryptionSalt,
        warn: (message) => logger.warn({}, message),
      }).catch((error: unknown) => {
        loading = undefined;
        throw error;
      })),
  };
}
