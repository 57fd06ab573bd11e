/**
 * A model another host serves, read over its generated REST API: what a
 * relation to it needs (one record by id, a page by foreign key). Every call
 * has a deadline, and a failure says which host and why.
 */
import type { ListQuery, Page } from '../../domain/datasource.js';
import type { Caller } from '../../domain/access.js';
import { MicrolibError } from '../../domain/errors.js';
import type { StoredRecord } from '../../domain/model-spec.js';
import { conditionParameter } from '../../domain/query-operators.js';
import type { RelationTarget } from '../../domain/relations.js';

export interface RemoteModelOptions {
  modelName: string;
  /** The collection URL, e.g. http://10.0.0.7:8070/microlib/api/models/customers. */
  url: string;
  timeoutMs: number;
  /** Extra headers, e.g. an authorization header for the other host. */
  headers?: Record<string, string>;
  /**
   * Send the caller's bearer token (nodes of one application trust the same
   * tokens); a 403 there is the caller's 403. Off for other hosts (`remoteModels`).
   */
  passCredential?: boolean;
}

/** The other host could not be reached at all: the request never got there. */
export class UnreachableError extends MicrolibError {
  constructor(message: string) {
    super('MLB_ERR_UNAVAILABLE', message);
  }
}

export class RemoteModelClient implements RelationTarget {
  private readonly base: string;

  constructor(private readonly options: RemoteModelOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  async get(id: string, caller?: Caller): Promise<StoredRecord> {
    const { status, body } = await this.fetchJson(`${this.base}/${encodeURIComponent(id)}`, caller);
    if (status === 404) throw new MicrolibError('MLB_ERR_NOT_FOUND', `${this.options.modelName} ${id} not found at ${this.base}`);
    return body as StoredRecord;
  }

  async list(query: ListQuery, caller?: Caller): Promise<Page> {
    const params = new URLSearchParams();
    for (const [field, value] of Object.entries(query.filter)) params.set(field, typeof value === 'string' ? value : JSON.stringify(value));
    for (const condition of query.where ?? []) params.append(...conditionParameter(condition));
    query.anyOf?.forEach((branch, index) => {
      for (const condition of branch) params.append(...conditionParameter(condition, index));
    });
    params.set('limit', String(query.limit));
    if (query.cursor !== undefined) params.set('cursor', query.cursor);
    else if (query.offset > 0) params.set('offset', String(query.offset));
    if (query.sort.length > 0) params.set('sort', query.sort.map((key) => `${key.direction < 0 ? '-' : ''}${key.field}`).join(','));
    if (query.count) params.set('count', '');
    const { status, body } = await this.fetchJson(`${this.base}?${params}`, caller);
    if (status === 404) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `${this.base} does not serve ${this.options.modelName}`);
    const page = body as { data?: StoredRecord[]; total?: number; nextCursor?: string };
    if (!Array.isArray(page.data)) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `${this.base} answered a list without "data"`);
    return { records: page.data, ...(page.total !== undefined ? { total: page.total } : {}), ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
  }

  private async fetchJson(url: string, caller: Caller | undefined): Promise<{ status: number; body: unknown }> {
    const where = `${this.options.modelName} at ${new URL(url).origin}`;
    const passing = this.options.passCredential === true && caller?.credential !== undefined;
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers, ...(passing ? { authorization: `Bearer ${caller!.credential}` } : {}) };
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new MicrolibError('MLB_ERR_TIMEOUT', `${where} did not answer within ${this.options.timeoutMs} ms`);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new UnreachableError(`${where} is unreachable: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      if ((error as { name?: string }).name === 'TimeoutError') throw new MicrolibError('MLB_ERR_TIMEOUT', `${where} did not answer within ${this.options.timeoutMs} ms`);
      throw new MicrolibError('MLB_ERR_UNAVAILABLE', `${where} answered ${response.status} without JSON`);
    }
    if (response.status === 404 || response.ok) return { status: response.status, body };
    const message = (body as { error?: { message?: string } } | null)?.error?.message;
    if (passing && response.status === 403) throw new MicrolibError('MLB_ERR_FORBIDDEN', `${where}: ${message ?? 'forbidden'}`);
    throw new MicrolibError('MLB_ERR_UNAVAILABLE', `${where} answered ${response.status}${message ? `: ${message}` : ''}`);
  }
}
