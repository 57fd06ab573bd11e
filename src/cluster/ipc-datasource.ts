/**
 * A cluster worker's datasource for the single-process kinds (memory, file):
 * every call goes to the primary, which owns the one real datasource of the
 * collection, so a record written through one worker is read through any
 * other. Implements the `Datasource` port and passes its conformance suite.
 */
import type { Datasource, DatasourceFactory, DatasourceOptions, ListQuery, Page } from '../domain/datasource.js';
import type { StoredRecord } from '../domain/model-spec.js';
import { DatasourceLifecycle } from '../adapters/persistence/shared/datasource-lifecycle.js';
import type { IpcPeer } from './ipc-peer.js';

/** The datasource kinds whose state lives in one process and so must be owned by the primary. */
export const PRIMARY_OWNED_KINDS = ['memory', 'file'] as const;

export interface OpenRequest {
  kind: string;
  options: Record<string, unknown>;
}

export interface CallRequest {
  /** What `ds.open` answered: names the primary's datasource. */
  key: string;
  op: 'get' | 'create' | 'replace' | 'delete' | 'list';
  args: unknown[];
}

/** Options that can cross the channel: functions (a logger) stay behind. */
function portable(options: DatasourceOptions): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([name, value]) => name !== 'logger' && typeof value !== 'function'));
}

export class IpcDatasource implements Datasource {
  private readonly lifecycle: DatasourceLifecycle;
  private key: string | undefined;

  constructor(
    private readonly peer: IpcPeer,
    readonly kind: string,
    private readonly options: DatasourceOptions,
  ) {
    this.lifecycle = new DatasourceLifecycle(`${kind} datasource "${options.collection}" (through the cluster primary)`);
  }

  async open(): Promise<void> {
    this.lifecycle.beginOpen();
    try {
      this.key = (await this.peer.call('ds.open', { kind: this.kind, options: portable(this.options) } satisfies OpenRequest)) as string;
      this.lifecycle.endOpen(true);
    } catch (error) {
      this.lifecycle.endOpen(false);
      throw error;
    }
  }

  private async call<T>(op: CallRequest['op'], ...args: unknown[]): Promise<T> {
    this.lifecycle.assertOpen();
    return (await this.peer.call('ds.call', { key: this.key!, op, args } satisfies CallRequest)) as T;
  }

  get(id: string): Promise<StoredRecord | undefined> {
    return this.call('get', id);
  }

  create(record: StoredRecord): Promise<StoredRecord> {
    return this.call('create', record);
  }

  replace(record: StoredRecord, expectedRevision?: number): Promise<StoredRecord> {
    return this.call('replace', record, expectedRevision);
  }

  delete(id: string, expectedRevision?: number): Promise<StoredRecord | undefined> {
    return this.call('delete', id, expectedRevision);
  }

  list(query: ListQuery): Promise<Page> {
    return this.call('list', query);
  }

  /** Closes this worker's handle only: the primary keeps the datasource for the other workers. */
  async close(): Promise<void> {
    if (this.lifecycle.beginClose()) this.lifecycle.endClose();
  }
}

/** `factories` with the primary-owned kinds replaced by IPC datasources over `peer`. */
export function ipcDatasourceFactories(factories: Readonly<Record<string, DatasourceFactory>>, peer: IpcPeer): Record<string, DatasourceFactory> {
  const wrapped: Record<string, DatasourceFactory> = { ...factories };
  for (const kind of PRIMARY_OWNED_KINDS) {
    if (factories[kind]) wrapped[kind] = (options) => new IpcDatasource(peer, kind, options);
  }
  return wrapped;
}
