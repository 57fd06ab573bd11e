/**
 * A cluster worker's datasource for the single-process kinds (memory, file):
 * the primary owns the one real datasource of the collection and is its single
 * writer, so every write goes to it (and its conflict checks decide); reads are
 * answered in the worker from its read replica of the collection (read-replica.ts),
 * which the primary's change stream keeps up to date, so they never cross IPC.
 *
 * Consistency: a write is answered only once this worker's replica has applied
 * it (and every change before it), so a read after one's own write sees it;
 * another worker's write shows here as soon as its change arrives (one IPC hop:
 * microseconds to a few milliseconds; `microlib_cluster_replica_lag_seconds`).
 * A read with `latest` (what writes decide on) first asks the primary its
 * stream position and waits for the replica to reach it.
 *
 * Implements the `Datasource` port and passes its conformance suite.
 */
import type { Datasource, DatasourceFactory, DatasourceOptions, ListQuery, Page, ReadOptions } from '../domain/datasource.js';
import { MicrolibError, type ErrorCode } from '../domain/errors.js';
import type { StoredRecord } from '../domain/model-spec.js';
import { DatasourceLifecycle } from '../adapters/persistence/shared/datasource-lifecycle.js';
import { cloneJson } from '../adapters/persistence/shared/json-order.js';
import type { IpcPeer } from './ipc-peer.js';
import type { ReadReplica } from './read-replica.js';
import type { WriteAnswer, WriteFailure, WriteOp, WriteRequest } from './replication-messages.js';
import { WorkerReplicas } from './worker-replicas.js';

/** The datasource kinds whose state lives in one process and so must be owned by the primary. */
export const PRIMARY_OWNED_KINDS = ['memory', 'file'] as const;

export interface OpenRequest {
  kind: string;
  options: Record<string, unknown>;
}

/** Options that can cross the channel: functions (a logger) stay behind. */
function portable(options: DatasourceOptions): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([name, value]) => name !== 'logger' && typeof value !== 'function'));
}

function revive(error: WriteFailure): Error {
  return error.code ? new MicrolibError(error.code as ErrorCode, error.message, error.field) : new Error(error.message);
}

export class IpcDatasource implements Datasource {
  private readonly lifecycle: DatasourceLifecycle;
  private readonly replicas: WorkerReplicas;
  private key: string | undefined;
  private replica: ReadReplica | undefined;

  constructor(
    peer: IpcPeer,
    readonly kind: string,
    private readonly options: DatasourceOptions,
  ) {
    this.lifecycle = new DatasourceLifecycle(`${kind} datasource "${options.collection}" (through the cluster primary)`);
    this.replicas = WorkerReplicas.of(peer);
  }

  async open(): Promise<void> {
    this.lifecycle.beginOpen();
    try {
      const key = (await this.replicas.call('ds.open', { kind: this.kind, options: portable(this.options) } satisfies OpenRequest)) as string;
      this.replica = await this.replicas.acquire(key, this.options['indexes']);
      this.key = key;
      this.lifecycle.endOpen(true);
    } catch (error) {
      this.lifecycle.endOpen(false);
      throw error;
    }
  }

  async get(id: string, options?: ReadOptions): Promise<StoredRecord | undefined> {
    this.lifecycle.assertOpen();
    const replica = this.replica as ReadReplica;
    if (options?.latest) await replica.reached((await this.replicas.call('ds.position', { key: this.key })) as number);
    return replica.records.get(id, options?.readOnly);
  }

  async list(query: ListQuery): Promise<Page> {
    this.lifecycle.assertOpen();
    return (this.replica as ReadReplica).records.list(query);
  }

  create(record: StoredRecord): Promise<StoredRecord> {
    return this.write('create', [record]) as Promise<StoredRecord>;
  }

  replace(record: StoredRecord, expectedRevision?: number): Promise<StoredRecord> {
    return this.write('replace', [record, expectedRevision]) as Promise<StoredRecord>;
  }

  delete(id: string, expectedRevision?: number): Promise<StoredRecord | undefined> {
    return this.write('delete', [id, expectedRevision]) as Promise<StoredRecord | undefined>;
  }

  /** Closes this worker's handle only: the primary keeps the datasource for the other workers. */
  async close(): Promise<void> {
    if (!this.lifecycle.beginClose()) return;
    if (this.key !== undefined && this.replica) this.replicas.release(this.key, this.replica);
    this.lifecycle.endClose();
  }

  /**
   * A write through the primary, answered once this worker's replica has reached
   * its place in the stream (a failure too: after a conflict, the record that won
   * is what this worker reads next).
   */
  private async write(op: WriteOp, args: unknown[]): Promise<unknown> {
    this.lifecycle.assertOpen();
    const replica = this.replica as ReadReplica;
    const answer = (await this.replicas.call('ds.write', { key: this.key as string, op, args } satisfies WriteRequest)) as WriteAnswer;
    if (answer.ok && answer.change) {
      const change = answer.change;
      // The answer's value and its change's record arrive as one object: the replica keeps a copy of its own.
      replica.receive([change.record ? { ...change, record: cloneJson(change.record) } : change]);
    }
    if (replica.position < answer.seq) await replica.reached(answer.seq);
    if (!answer.ok) throw revive(answer.error);
    return answer.value;
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
