/**
 * The primary's side of the IPC datasource: it opens the real datasource of a
 * collection on the first worker's `ds.open` (with that worker's options), keeps
 * it for every worker, and runs each write through the collection's change
 * stream (change-stream.ts), which the workers' read replicas follow. The
 * datasource itself decides conflicts, so two workers writing one id behave as
 * two requests in one process would. Reads never come here: workers answer
 * them from their replicas.
 */
import type { Datasource, DatasourceFactory, DatasourceLogger } from '../domain/datasource.js';
import { MicrolibError } from '../domain/errors.js';
import type { IpcHandler } from './ipc-peer.js';
import { PRIMARY_OWNED_KINDS, type OpenRequest } from './ipc-datasource.js';
import { ChangeStream, type ChangeSubscriber } from './change-stream.js';
import type { CollectionRequest, WriteOp, WriteRequest } from './replication-messages.js';

const WRITES = new Set<WriteOp>(['create', 'replace', 'delete']);

interface OwnedCollection {
  datasource: Datasource;
  stream: ChangeStream;
}

export class OwnedDatasources {
  private readonly open = new Map<string, Promise<OwnedCollection>>();
  private closed = false;

  constructor(
    private readonly factories: Readonly<Record<string, DatasourceFactory>>,
    private readonly logger?: DatasourceLogger,
  ) {}

  /**
   * The handlers one worker's channel serves; `subscriber` sends to that worker.
   * `ds.open` answers the key the other calls name.
   */
  handlers(subscriber: ChangeSubscriber): Record<string, IpcHandler> {
    return {
      'ds.open': (params) => this.openFor(params as OpenRequest),
      'ds.write': async (params) => {
        const { key, op, args } = params as WriteRequest;
        if (!WRITES.has(op)) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `"${String(op)}" is not a datasource write`);
        return (await this.collection(key)).stream.write(subscriber, op, args);
      },
      'ds.sync': async (params) => (await this.collection((params as CollectionRequest).key)).stream.snapshot(subscriber),
      'ds.position': async (params) => (await this.collection((params as CollectionRequest).key)).stream.current,
      'ds.unsubscribe': async (params) => (await this.collection((params as CollectionRequest).key)).stream.unsubscribe(subscriber),
    };
  }

  /** A worker's channel closed: its replicas receive nothing more. */
  forget(subscriber: ChangeSubscriber): void {
    for (const pending of this.open.values()) void pending.then((owned) => owned.stream.unsubscribe(subscriber), () => undefined);
  }

  private async openFor({ kind, options }: OpenRequest): Promise<string> {
    if (this.closed) throw new MicrolibError('MLB_ERR_UNAVAILABLE', 'the cluster primary is stopping');
    const factory = (PRIMARY_OWNED_KINDS as readonly string[]).includes(kind) ? this.factories[kind] : undefined;
    if (!factory) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `the cluster primary does not own "${kind}" datasources`);
    const collection = String(options.collection);
    const key = `${kind}:${collection}`;
    if (!this.open.has(key)) {
      const created = factory({ ...options, collection, dataDir: String(options.dataDir), ...(this.logger ? { logger: this.logger } : {}) });
      const opening = (async (): Promise<OwnedCollection> => {
        await created.open();
        try {
          return { datasource: created, stream: await ChangeStream.start(key, created) };
        } catch (error) {
          await created.close().catch(() => undefined);
          throw error;
        }
      })();
      // A failed open is tried again by the next worker that asks.
      opening.catch(() => this.open.delete(key));
      this.open.set(key, opening);
    }
    await this.open.get(key);
    return key;
  }

  private collection(key: string): Promise<OwnedCollection> {
    const opening = this.open.get(key);
    if (!opening) return Promise.reject(new MicrolibError('MLB_ERR_UNAVAILABLE', `no open datasource "${key}" in the cluster primary`));
    return opening;
  }

  /** Closes every datasource (flushing the file datasource's log); later opens are refused. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map(async (pending) => (await pending.catch(() => undefined))?.datasource.close()));
  }
}
