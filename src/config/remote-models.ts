/**
 * The `remoteModels` export of remoteEntries.js: models other hosts serve, by
 * name, so relations can reach them over HTTP:
 *
 *   export const remoteModels = { customer: 'http://10.0.0.7:8070/microlib/api/models/customers' };
 *
 * A value may also be `{ url, headers }` (e.g. an authorization header).
 */
import { RemoteEntriesError } from './remote-entries.js';

export interface RemoteModelConfig {
  url: string;
  headers?: Record<string, string>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

export function normaliseRemoteModels(raw: unknown): Map<string, RemoteModelConfig> {
  const result = new Map<string, RemoteModelConfig>();
  if (raw === undefined) return result;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RemoteEntriesError('remoteModels', 'must be an object of model name → collection URL');
  for (const [name, value] of Object.entries(raw)) {
    const where = `remoteModels.${name}`;
    if (!NAME.test(name)) throw new RemoteEntriesError(where, 'is not a model name');
    const config = typeof value === 'string' ? { url: value } : (value as RemoteModelConfig | null);
    if (!config || typeof config.url !== 'string') throw new RemoteEntriesError(where, 'must be a URL or { url, headers }');
    let url: URL;
    try {
      url = new URL(config.url);
    } catch {
      throw new RemoteEntriesError(where, `not a URL: "${config.url}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RemoteEntriesError(where, 'must be an http:// or https:// URL');
    if (config.headers !== undefined && (typeof config.headers !== 'object' || Object.values(config.headers).some((h) => typeof h !== 'string'))) {
      throw new RemoteEntriesError(where, '"headers" must map header names to strings');
    }
    result.set(name, config.headers ? { url: config.url, headers: config.headers } : { url: config.url });
  }
  return result;
}
