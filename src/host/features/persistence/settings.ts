/** Where records live: the default datasource, the data folder, MongoDB, the key of sensitive fields. */
import path from 'node:path';
import { ConfigError, flag, optional, text, type Env } from '../../../config/env-reader.js';

export interface PersistenceSettings {
  /** Datasource for models whose spec names none. */
  defaultDatasource: string;
  dataDir: string;
  /** MongoDB server of the `mongodb` datasource, and its database. */
  mongodbUrl: string | undefined;
  mongodbDatabase: string;
  /** Password the key of sensitive fields is derived from; without it a generated key in DATA_DIR is used. */
  encryptionPassword: string | undefined;
  /** Open a `file` log holding fewer records than its sidecar says were acknowledged, instead of refusing it. */
  fileAcceptDataLoss: boolean;
}

export function readPersistenceSettings(env: Env, cwd: string): PersistenceSettings {
  const defaultDatasource = text(env, 'DATASOURCE_ADAPTER', 'file');
  const mongodbUrl = optional(env, 'MONGODB_URL');
  if (defaultDatasource === 'mongodb' && !mongodbUrl) throw new ConfigError('MONGODB_URL', 'is required with DATASOURCE_ADAPTER=mongodb');
  return {
    defaultDatasource,
    dataDir: path.resolve(cwd, text(env, 'DATA_DIR', 'data')),
    mongodbUrl,
    mongodbDatabase: text(env, 'MONGODB_DATABASE', 'microlib'),
    encryptionPassword: optional(env, 'ENCRYPTION_PWD'),
    fileAcceptDataLoss: flag(env, 'FILE_ACCEPT_DATA_LOSS'),
  };
}
