/**
 * The source kinds this host can load remotes from: a map from kind name to a
 * factory. A new kind plugs in with one entry here (and its configuration
 * shape and reader in `src/config/source-configs.ts`, which refuses an unknown
 * kind when remoteEntries.js is read).
 */
import type { SourceConfig, SourceConfigs, SourceKind } from '../../config/source-configs.js';
import { createGitHubSource } from './github-source.js';
import { createHttpSource } from './http-source.js';
import { createLocalSource } from './local-source.js';
import type { Source } from './source.js';

/** Host-wide settings a source may use (from the environment). */
export interface SourceSettings {
  githubApiUrl: string;
  githubToken: string | undefined;
  fetchTimeoutMs: number;
}

/** Makes the source of one remote from its configuration. */
export type SourceFactory<C extends SourceConfig> = (config: C, settings: SourceSettings) => Source;

/** One factory for every source kind. */
export type SourceKinds = { readonly [K in SourceKind]: SourceFactory<SourceConfigs[K]> };

export const builtInSources: SourceKinds = {
  local: (config) => createLocalSource(config),
  http: (config, settings) => createHttpSource(config, { timeoutMs: settings.fetchTimeoutMs }),
  github: (config, settings) => createGitHubSource(config, { apiUrl: settings.githubApiUrl, token: settings.githubToken, timeoutMs: settings.fetchTimeoutMs }),
};

/** The source of a remote, by the kind its configuration names. */
export function createSource(config: SourceConfig, settings: SourceSettings, kinds: SourceKinds = builtInSources): Source {
  // Own keys only, so "constructor" is no kind; the config reader refused unknown kinds already, this guards hand-made configs.
  if (!Object.hasOwn(kinds, config.kind)) throw new Error(`unknown source kind "${config.kind}" (expected ${Object.keys(kinds).join(', ')})`);
  // The map pairs each kind with its own configuration shape, which TypeScript cannot follow through the lookup.
  const factory = kinds[config.kind] as SourceFactory<typeof config>;
  return factory(config, settings);
}
