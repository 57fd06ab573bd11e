/** Picks the source implementation for a remote entry. New source kinds plug in here. */
import type { SourceConfig } from '../../config/remote-entries.js';
import { createGitHubSource } from './github-source.js';
import { createHttpSource } from './http-source.js';
import { createLocalSource } from './local-source.js';
import type { RemoteSource } from './source.js';

export interface SourceSettings {
  githubApiUrl: string;
  githubToken: string | undefined;
  fetchTimeoutMs: number;
}

export function createSource(config: SourceConfig, settings: SourceSettings): RemoteSource {
  switch (config.kind) {
    case 'local':
      return createLocalSource(config);
    case 'http':
      return createHttpSource(config, { timeoutMs: settings.fetchTimeoutMs });
    case 'github':
      return createGitHubSource(config, { apiUrl: settings.githubApiUrl, token: settings.githubToken, timeoutMs: settings.fetchTimeoutMs });
  }
}
