/**
 * Driver clients shared by every `mongodb` datasource with the same URL and client
 * options: one connection pool per server however many models use it. A client
 * is counted by the datasources holding it and closed with the last of them.
 */
import { MongoClient } from 'mongodb';
import { MongoReachability } from './mongodb-reachability.js';
import type { MongoSettings } from './mongodb-settings.js';

/** A driver client shared by every datasource with the same URL and client options. */
export interface SharedClient {
  readonly key: string;
  readonly client: MongoClient;
  /** Whether the server answers, as every datasource on this client sees it. */
  readonly reachability: MongoReachability;
  refs: number;
  connecting: Promise<void> | undefined;
}

const sharedClients = new Map<string, SharedClient>();

/**
 * Clients currently shared and how many open datasources hold each; for tests
 * and diagnostics (the URLs are left out, as they may hold credentials).
 */
export function mongoClientStats(): { clients: number; references: number } {
  let references = 0;
  for (const shared of sharedClients.values()) references += shared.refs;
  return { clients: sharedClients.size, references };
}

/**
 * Closes every shared client now, whoever holds it. For process shutdown after
 * the datasources were closed, and for tests: a client left open (say by a
 * datasource never closed) keeps the process alive. Datasources still open fail
 * with MLB_ERR_UNAVAILABLE afterwards.
 * @returns how many clients were closed
 */
export async function closeAllMongoClients(): Promise<number> {
  const all = [...sharedClients.values()];
  sharedClients.clear();
  for (const shared of all) shared.reachability.close();
  await Promise.allSettled(all.map((shared) => shared.client.close()));
  return all.length;
}

/** The client for these settings, created (not yet connected) when none is shared yet; hold it until {@link releaseClient}. */
export function acquireClient(settings: Pick<MongoSettings, 'url' | 'clientOptions' | 'hosts'>): SharedClient {
  const key = JSON.stringify([settings.url, settings.clientOptions]);
  let shared = sharedClients.get(key);
  if (!shared) {
    const client = new MongoClient(settings.url, settings.clientOptions);
    const reachability = new MongoReachability(settings.hosts, () => client.db('admin').command({ ping: 1 }));
    shared = { key, client, reachability, refs: 0, connecting: undefined };
    sharedClients.set(key, shared);
  }
  shared.refs++;
  return shared;
}

/** Connects once per client; a failed attempt is forgotten so the next open tries again. */
export function connectClient(shared: SharedClient): Promise<void> {
  shared.connecting ??= shared.client.connect().then(
    () => undefined,
    (error: unknown) => {
      shared.connecting = undefined;
      throw error;
    },
  );
  return shared.connecting;
}

/** Gives back one hold on the client; the last one closes it. */
export async function releaseClient(shared: SharedClient): Promise<void> {
  shared.refs--;
  if (shared.refs > 0) return;
  // Forget it first: an open that starts while this one closes gets a new client.
  if (sharedClients.get(shared.key) === shared) sharedClients.delete(shared.key);
  shared.reachability.close();
  await shared.client.close();
}
