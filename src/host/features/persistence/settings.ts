/** Where records live: the default datasource, the data folder, MongoDB, the key of sensitive fields. */
import path from 'node:path';
import { ConfigError, flag, integer, secret, text, type Env } from '../../../config/env-reader.js';
import { MIN_PASSWORD_LENGTH } from '../../../adapters/crypto/encryption-keys.js';

export interface PersistenceSettings {
  /** Datasource for models whose spec names none. */
  defaultDatasource: string;
  dataDir: string;
  /** MongoDB server of the `mongodb` datasource (MONGODB_URL or MONGODB_URL_FILE), and its database. */
  mongodbUrl: string | undefined;
  mongodbDatabase: string;
  /** Password the key of sensitive fields is derived from (ENCRYPTION_PWD or ENCRYPTION_PWD_FILE); without it a generated key in DATA_DIR is used. */
  encryptionPassword: string | undefined;
  /** ENCRYPTION_SALT: 32 hex digits every process sharing the data derives the key with (functions); else the salt kept in DATA_DIR. */
  encryptionSalt: string | undefined;
  /** The password the data was encrypted with before ENCRYPTION_PWD (ENCRYPTION_PWD_PREVIOUS or its _FILE), while it is re-encrypted. */
  encryptionPasswordPrevious: string | undefined;
  /** Records the re-encryption goes through per second at most, while a key rotates. */
  reencryptPerSecond: number;
  /**
   * Whether /microlib/ready answers 503 while a served model's datasource cannot
   * reach its server (MongoDB). Off by default: every replica shares that server,
   * so readiness would take them all out of rotation at once, models on other
   * datasources included, where each request already answers a clear 503.
   */
  readyRequiresDatasources: boolean;
  /** Open a `file` log holding fewer records than its sidecar says were acknowledged, instead of refusing it. */
  fileAcceptDataLoss: boolean;
}

export function readPersistenceSettings(env: Env, cwd: string): PersistenceSettings {
  const defaultDatasource = text(env, 'DATASOURCE_ADAPTER', 'file');
  // The connection string often carries a password, so it may come from a file like the other secrets.
  const mongodbUrl = secret(env, 'MONGODB_URL', 1);
  if (defaultDatasource === 'mongodb' && !mongodbUrl) throw new ConfigError('MONGODB_URL', 'is required with DATASOURCE_ADAPTER=mongodb (or MONGODB_URL_FILE)');
  const encryptionPassword = secret(env, 'ENCRYPTION_PWD', MIN_PASSWORD_LENGTH);
  const encryptionPasswordPrevious = secret(env, 'ENCRYPTION_PWD_PREVIOUS', MIN_PASSWORD_LENGTH);
  if (encryptionPasswordPrevious !== undefined && encryptionPassword === undefined) {
    throw new ConfigError('ENCRYPTION_PWD_PREVIOUS', 'is set without ENCRYPTION_PWD: a key rotates to a password; set ENCRYPTION_PWD (or ENCRYPTION_PWD_FILE) to the new one');
  }
  const encryptionSalt = text(env, 'ENCRYPTION_SALT', '') || undefined;
  if (encryptionSalt !== undefined && !/^[0-9a-fA-F]{32}$/.test(encryptionSalt)) {
    throw new ConfigError('ENCRYPTION_SALT', 'must be 32 hexadecimal digits (16 bytes), e.g. from `openssl rand -hex 16`');
  }
  return {
    defaultDatasource,
    dataDir: path.resolve(cwd, text(env, 'DATA_DIR', 'data')),
    mongodbUrl,
    mongodbDatabase: text(env, 'MONGODB_DATABASE', 'microlib'),
    encryptionPassword,
    encryptionPasswordPrevious,
    encryptionSalt,
    reencryptPerSecond: integer(env, 'ENCRYPTION_REENCRYPT_PER_SECOND', 500, 1, 100_000),
    readyRequiresDatasources: flag(env, 'READY_REQUIRES_DATASOURCES'),
    fileAcceptDataLoss: flag(env, 'FILE_ACCEPT_DATA_LOSS'),
  };
}
