/**
 * Where a remote's build output lives, as `remoteEntries.js` describes it: one
 * shape and one reader per source kind. The kinds form an open registry: a new
 * kind adds its shape to `SourceConfigs` and its reader to `sourceConfigReaders`
 * (the compiler asks for both), and the federation layer adds its factory.
 */
import path from 'node:path';
import { validRange } from 'semver';
import { RemoteEntriesError, stringField, type EntryFields } from './entry-fields.js';

/** A remote built into a folder on this machine. */
export interface LocalSourceConfig {
  kind: 'local';
  /** Folder holding remoteEntry.js and its chunks. */
  path: string;
}

/** A remote served over HTTP(S). */
export interface HttpSourceConfig {
  kind: 'http';
  /** URL of the folder holding remoteEntry.js (and mf-manifest.json). */
  url: string;
  /** Extra request headers, e.g. an authorization header for a private server. */
  headers?: Record<string, string>;
}

/** A remote whose build output is committed to a GitHub (or GitHub Enterprise) repository. */
export interface GitHubSourceConfig {
  kind: 'github';
  owner: string;
  repo: string;
  /** Branch, tag or commit to load. */
  ref: string;
  /**
   * Evergreen deployment: load the highest tag satisfying this semver range
   * (e.g. `^1.2.0`) instead of `ref`. Tags may carry a leading `v`.
   */
  semver?: string;
  /** Folder of the build output in the repository (`filedir` in the original format). */
  dir: string;
  /** REST API base URL: https://api.github.com or `https://<ghe-host>/api/v3`. Defaults to GITHUB_API_URL. */
  apiUrl?: string;
}

/** Every source kind's configuration, by kind name (the `kind` of an entry). */
export interface SourceConfigs {
  local: LocalSourceConfig;
  http: HttpSourceConfig;
  github: GitHubSourceConfig;
}

/** The name of a source kind. */
export type SourceKind = keyof SourceConfigs;

/** The checked source of one remote entry. */
export type SourceConfig = SourceConfigs[SourceKind];

/** How `remoteEntries.js` describes one source kind. */
export interface SourceConfigReader<C extends SourceConfig> {
  /** Checks and normalises the entry's fields (`where` names the entry for errors); relative paths resolve against `baseDir`. */
  read(fields: EntryFields, where: string, baseDir: string): C;
  /** Set when this kind cannot check a signed build: why, and a `publicKey` is refused. */
  unsignedBecause?: string;
}

/** One reader for every source kind. */
export type SourceConfigReaders = { readonly [K in SourceKind]: SourceConfigReader<SourceConfigs[K]> };

function relativeInside(value: string, key: string, where: string): string {
  if (value.includes('..') || value.startsWith('/') || /[\\\0]/.test(value)) {
    throw new RemoteEntriesError(where, `"${key}" must be a relative path inside the repository`);
  }
  return value.replace(/^\.\/?/, '').replace(/\/+$/, '');
}

export const sourceConfigReaders: SourceConfigReaders = {
  local: {
    read: (fields, where, baseDir) => ({ kind: 'local', path: path.resolve(baseDir, stringField(fields, 'path', where)!) }),
  },
  http: {
    read(fields, where) {
      const url = stringField(fields, 'url', where)!;
      if (!/^https?:\/\//.test(url)) throw new RemoteEntriesError(where, `"url" must be an http(s) URL, got "${url}"`);
      const headers = fields.headers;
      if (headers !== undefined && (typeof headers !== 'object' || headers === null)) {
        throw new RemoteEntriesError(where, '"headers" must be an object of strings');
      }
      return { kind: 'http', url: url.endsWith('/') ? url : `${url}/`, ...(headers ? { headers: headers as Record<string, string> } : {}) };
    },
    // It fetches only the files mf-manifest.json names, never the signed manifest: every load would be refused.
    unsignedBecause: 'http sources do not fetch the signed manifest yet',
  },
  github: {
    read(fields, where) {
      const owner = stringField(fields, 'owner', where)!;
      const repo = stringField(fields, 'repo', where)!;
      for (const [key, value] of [['owner', owner], ['repo', repo]] as const) {
        if (!/^[A-Za-z0-9_.-]+$/.test(value) || value === '.' || value === '..') {
          throw new RemoteEntriesError(where, `"${key}" is not a valid GitHub name: "${value}"`);
        }
      }
      const ref = stringField(fields, 'ref', where, false) ?? stringField(fields, 'branch', where, false) ?? 'main';
      const dir = relativeInside(stringField(fields, 'dir', where, false) ?? stringField(fields, 'filedir', where, false) ?? 'dist', 'dir', where);
      // The original format put the API base in `url`; ours calls it `apiUrl`.
      const apiUrl = stringField(fields, 'apiUrl', where, false) ?? stringField(fields, 'url', where, false);
      const range = stringField(fields, 'semver', where, false);
      if (range !== undefined && validRange(range) === null) throw new RemoteEntriesError(where, `"semver" is not a valid range: "${range}"`);
      return { kind: 'github', owner, repo, ref, dir, ...(apiUrl ? { apiUrl: apiUrl.replace(/\/+$/, '') } : {}), ...(range ? { semver: range } : {}) };
    },
  },
};

/** "a, b or c" */
function listOf(words: readonly string[], last: 'or' | 'and'): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} ${last} ${words.at(-1)}`;
}

const kindNames = () => listOf(Object.keys(sourceConfigReaders), 'or');

/** Entries without `kind`: this project's shorthand and the original MicroLib format (which always meant GitHub). */
function inferKind(fields: EntryFields, where: string): string {
  if (typeof fields.owner === 'string' && typeof fields.repo === 'string') return 'github';
  if (typeof fields.url === 'string') return 'http';
  if (typeof fields.path === 'string') return 'local';
  throw new RemoteEntriesError(where, `cannot tell the source: give "kind" (${kindNames()})`);
}

/** The source of an entry: its fields, or those of its nested `source` object. An unknown kind is refused, naming it. */
export function readSourceConfig(entry: EntryFields, where: string, baseDir: string): SourceConfig {
  const nested = entry.source;
  const fields: EntryFields = nested && typeof nested === 'object' ? (nested as EntryFields) : entry;
  const kind = stringField(fields, 'kind', where, false) ?? inferKind(fields, where);
  // Own keys only: "constructor" or "__proto__" is an unknown kind, not a property of every object.
  if (!Object.hasOwn(sourceConfigReaders, kind)) throw new RemoteEntriesError(where, `unknown source kind "${kind}" (expected ${kindNames()})`);
  return sourceConfigReaders[kind as SourceKind].read(fields, where, baseDir);
}

/** Refuses a `publicKey` on a source kind that cannot check signed builds. */
export function checkSignedBuildSupport(source: SourceConfig, where: string): void {
  const reason = sourceConfigReaders[source.kind].unsignedBecause;
  if (reason === undefined) return;
  const signing = Object.entries(sourceConfigReaders as Record<string, { unsignedBecause?: string }>)
    .filter(([, reader]) => reader.unsignedBecause === undefined)
    .map(([kind]) => kind);
  throw new RemoteEntriesError(where, `"publicKey" is supported for ${listOf(signing, 'and')} sources only; ${reason}`);
}
