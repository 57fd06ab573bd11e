/**
 * The options of a `mongodb` datasource, read and checked when the datasource is
 * created so a bad spec fails when its model loads: connection string, database,
 * collection, indexes, write concern and the shared client's options.
 */
import type { IndexDescription, MongoClientOptions, WriteConcernSettings } from 'mongodb';
import type { DatasourceOptions } from '../../../domain/datasource.js';
import { validationError } from '../../../domain/errors.js';
import { SEQ } from './mongodb-documents.js';

/** Index paths may reach into nested objects, one safe name per segment. */
const SAFE_PATH = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}$/;
const SAFE_COLLECTION = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}$/;
const SAFE_DATABASE = /^[A-Za-z0-9_-]{1,63}$/;
const DEFAULT_DATABASE = 'microlib';
const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 2000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** One index the model spec asks for, created at open. */
export interface MongoIndexSpec {
  /** Fields and directions, most significant first; `id` means the record id. */
  fields: Record<string, 1 | -1>;
  /** Refuse two records with the same values (a write that would: MLB_ERR_CONFLICT naming the first field). */
  unique?: boolean;
  /** Index name; MongoDB's default is built from the fields. */
  name?: string;
}

/** The options this datasource reads from {@link DatasourceOptions} (the spec's `datasource` object plus host defaults). */
export interface MongoDatasourceOptions {
  /** Connection string; credentials in it never appear in messages. */
  url?: string;
  /** Connection string the host passes (from MONGODB_URL), used when the spec gives no `url`. */
  defaultUrl?: string;
  /** Database name; default `defaultDatabase`, else `microlib`. */
  database?: string;
  /** Database name the host passes (from MONGODB_DATABASE). */
  defaultDatabase?: string;
  /** Collection name; default the model name. */
  collectionName?: string;
  /** Indexes created (if missing) at open. */
  indexes?: MongoIndexSpec[];
  /** `majority` (default), a number of members (at least 1), or `{ w, journal, wtimeoutMS }`. Journaled unless `journal: false`. */
  writeConcern?: 'majority' | number | { w?: 'majority' | number; journal?: boolean; wtimeoutMS?: number };
  /** How long an operation waits for a usable server before failing with MLB_ERR_UNAVAILABLE (default 2000). */
  serverSelectionTimeoutMS?: number;
  /** Time limit for opening one connection (default 5000). */
  connectTimeoutMS?: number;
  /** Time limit for one socket read; default none (the driver's monitor notices dead servers). */
  socketTimeoutMS?: number;
  /** Connections per server in the shared client (driver default 100). */
  maxPoolSize?: number;
}

/** The checked options of one datasource. */
export interface MongoSettings {
  url: string;
  /** The hosts part of the URL, for messages (no credentials). */
  hosts: string;
  /** Blanks the URL's credentials out of any text. */
  scrub: (text: string) => string;
  database: string;
  collectionName: string;
  indexes: IndexDescription[];
  writeConcern: WriteConcernSettings;
  clientOptions: MongoClientOptions;
}

/**
 * Reads and checks the options; see {@link MongoDatasourceOptions}.
 * @throws MicrolibError `MLB_ERR_VALIDATION` naming the bad option.
 */
export function readSettings(options: DatasourceOptions): MongoSettings {
  const url = options['url'] ?? options['defaultUrl'];
  if (typeof url !== 'string' || url.length === 0) {
    throw validationError('The mongodb datasource needs a connection string: set MONGODB_URL or the datasource option "url"', 'url');
  }
  const { hosts, scrub } = describeUrl(url);
  const database = options['database'] ?? options['defaultDatabase'] ?? DEFAULT_DATABASE;
  if (typeof database !== 'string' || !SAFE_DATABASE.test(database)) {
    throw validationError(`Database name ${JSON.stringify(database)} is not valid (letters, digits, "_" and "-", at most 63)`, 'database');
  }
  const collectionName = options['collectionName'] ?? options.collection;
  if (typeof collectionName !== 'string' || !SAFE_COLLECTION.test(collectionName) || collectionName.startsWith('system.')) {
    throw validationError(
      `Collection name ${JSON.stringify(collectionName)} is not valid (letters, digits, "_", "-" and ".", at most 120, not "system.")`,
      'collectionName',
    );
  }
  const clientOptions: MongoClientOptions = {
    appName: 'microlib',
    serverSelectionTimeoutMS: readPositiveInt(options, 'serverSelectionTimeoutMS', DEFAULT_SERVER_SELECTION_TIMEOUT_MS),
    connectTimeoutMS: readPositiveInt(options, 'connectTimeoutMS', DEFAULT_CONNECT_TIMEOUT_MS),
  };
  const socketTimeoutMS = readPositiveInt(options, 'socketTimeoutMS', undefined);
  if (socketTimeoutMS !== undefined) clientOptions.socketTimeoutMS = socketTimeoutMS;
  const maxPoolSize = readPositiveInt(options, 'maxPoolSize', undefined);
  if (maxPoolSize !== undefined) clientOptions.maxPoolSize = maxPoolSize;
  return {
    url,
    hosts,
    scrub,
    database,
    collectionName,
    indexes: readIndexes(options['indexes']),
    writeConcern: readWriteConcern(options['writeConcern']),
    clientOptions,
  };
}

function readPositiveInt(options: DatasourceOptions, name: string, fallback: number): number;
function readPositiveInt(options: DatasourceOptions, name: string, fallback: undefined): number | undefined;
function readPositiveInt(options: DatasourceOptions, name: string, fallback: number | undefined): number | undefined {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw validationError(`${name} must be a positive integer`, name);
  return value;
}

/** The hosts part of a connection string (for messages) and a function that blanks its credentials out of any text. */
function describeUrl(url: string): { hosts: string; scrub: (text: string) => string } {
  const match = /^(mongodb(?:\+srv)?):\/\/([^/?#]*)/.exec(url);
  if (!match) throw validationError('The MongoDB connection string must start with mongodb:// or mongodb+srv://', 'url');
  const authority = match[2] as string;
  // Credentials end at the last "@" of the authority (an "@" inside them must be %-encoded, but be lenient).
  const at = authority.lastIndexOf('@');
  const hosts = at < 0 ? authority : authority.slice(at + 1);
  const secrets: string[] = [];
  if (at >= 0) {
    const userInfo = authority.slice(0, at);
    const colon = userInfo.indexOf(':');
    const password = colon < 0 ? '' : userInfo.slice(colon + 1);
    secrets.push(userInfo);
    if (password) {
      secrets.push(password);
      try {
        secrets.push(decodeURIComponent(password));
      } catch {
        // A malformed %-escape: the raw form is already covered.
      }
    }
  }
  const scrub = (text: string) => secrets.reduce((clean, secret) => (secret ? clean.split(secret).join('****') : clean), text);
  return { hosts: hosts || '(no host)', scrub };
}

function readIndexes(value: unknown): IndexDescription[] {
  if (value === undefined) return [];
  const bad = (why: string) => validationError(`indexes: ${why}`, 'indexes');
  if (!Array.isArray(value)) throw bad('must be an array of { fields, unique?, name? }');
  return value.map((spec: unknown, i) => {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw bad(`entry ${i} must be an object`);
    const { fields, unique, name } = spec as Partial<MongoIndexSpec>;
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields) || Object.keys(fields).length === 0) {
      throw bad(`entry ${i} needs "fields", e.g. { "email": 1 }`);
    }
    const key: Record<string, 1 | -1> = {};
    for (const [field, direction] of Object.entries(fields)) {
      if (!SAFE_PATH.test(field) || field.split('.').some((part) => part === '__proto__' || part === SEQ)) throw bad(`entry ${i}: "${field}" is not a field name`);
      if (direction !== 1 && direction !== -1) throw bad(`entry ${i}: the direction of "${field}" must be 1 or -1`);
      key[field === 'id' ? '_id' : field] = direction;
    }
    if (unique !== undefined && typeof unique !== 'boolean') throw bad(`entry ${i}: "unique" must be true or false`);
    if (name !== undefined && (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(name))) throw bad(`entry ${i}: "name" must be a short plain name`);
    const description: IndexDescription = { key };
    if (unique) description.unique = true;
    if (name !== undefined) description.name = name;
    return description;
  });
}

/** Only acknowledged write concerns: a write resolves once the server confirmed it, never before. */
function readWriteConcern(value: unknown): WriteConcernSettings {
  const bad = () =>
    validationError('writeConcern must be "majority", a member count of at least 1, or { w, journal, wtimeoutMS } (unacknowledged writes are not allowed)', 'writeConcern');
  const checkW = (w: unknown): 'majority' | number => {
    if (w === 'majority' || (typeof w === 'number' && Number.isSafeInteger(w) && w >= 1)) return w;
    throw bad();
  };
  if (value === undefined) return { w: 'majority', journal: true };
  if (typeof value === 'string' || typeof value === 'number') return { w: checkW(value), journal: true };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad();
  const { w, journal, wtimeoutMS } = value as { w?: unknown; journal?: unknown; wtimeoutMS?: unknown };
  const settings: WriteConcernSettings = { w: checkW(w ?? 'majority'), journal: true };
  if (journal !== undefined) {
    if (typeof journal !== 'boolean') throw bad();
    settings.journal = journal;
  }
  if (wtimeoutMS !== undefined) {
    if (typeof wtimeoutMS !== 'number' || !Number.isSafeInteger(wtimeoutMS) || wtimeoutMS < 0) throw bad();
    settings.wtimeoutMS = wtimeoutMS;
  }
  return settings;
}
