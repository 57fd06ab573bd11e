/**
 * The primary's side of the IPC datasource: it opens the real datasource of a
 * collection on the first worker's `ds.open` (with that worker's options), keeps
 * it for every worker, and runs each call in the order it arrives. The
 * datasource itself decides conflicts, so two workers writing one id behave as
 * two requests in one process would.
 */
import type { Datasource, DatasourceFactory, DatasourceLogger } from '../domain/datasource.js';
import { MicrolibError } from '../domain/errors.js';
import type { IpcHandler } from './ipc-peer.js';
import { PRIMARY_OWNED_KINDS, type CallRequest, type OpenRequest } from './ipc-datasource.js';

const OPS = new Set<CallRequest['op']>(['get', 'create', 'replace', 'delete', 'list']);

export class OwnedDatasources {
  private readonly open = new Map<string, Promise<Datasource>>();
  private closed = false;

  constructor(
    private readonly factories: Readonly<Record<string, DatasourceFactory>>,
    private readonly logger?: DatasourceLogger,
  ) {}

  /** The handlers a worker's channel serves: `ds.open` answers the key later calls name. */
  handlers(): Record<string, IpcHandler> {
    return {
      'ds.open': (params) => this.openFor(params as OpenRequest),
      'ds.call': (params) => this.call(params as CallRequest),
    };
  }

  private async openFor({ kind, options }: OpenRequest): Promise<string> {
    if (this.closed) throw new MicrolibError('MLB_ERR_UNAVAILABLE', 'the cluster primary is stopping');
    const factory = (PRIMARY_OWNED_KINDS as readonly string[]).includes(kind) ? this.factories[kind] : undefined;
    if (!factory) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `the cluster primary does not own "${kind}" datasources`);
    const collection = String(options.collection);
    const key = `${kind}:${collection}`;
    if (!this.open.has(key)) {
      const created = factory({ ...options, collection, dataDir: String(options.dataDir), ...(this.logger ? { logger: this.logger } : {}) });
      const opening = created.open().then(() => created);
      // A failed open is tried again by the next worker that asks.
      opening.catch(() => this.open.delete(key));
      this.open.set(key, opening);
    }
    await this.open.get(key);
    return key;
  }

  private async call({ key, op, args }: CallRequest): Promise<unknown> {
    const opening = this.open.get(key);
    if (!opening || !OPS.has(op)) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `no open datasource "${key}" in the cluster primary`);
    const datasource = await opening;
    return (datasource[op] as (...a: unknown[]) => Promise<unknown>)(...args);
  }

  /** Closes every datasource (flushing the file datasource's log); later opens are refused. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map(async (pending) => (await pending.catch(() => undefined))?.close()));
  }
}
