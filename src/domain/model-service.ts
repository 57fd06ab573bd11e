/**
 * The use cases of one model: one method per verb (create, get, list, update,
 * remove), in the spirit of Feathers services. The HTTP adapter calls these;
 * they call the model for rules and the datasource port for storage.
 */
import type { Datasource, ListQuery, Page } from './datasource.js';
import { MicrolibError, notFoundError, validationError } from './errors.js';
import { ID_PATTERN } from './field-schema.js';
import type { Model } from './model.js';
import type { StoredRecord } from './model-spec.js';

export interface ServiceClock {
  now(): string;
  newId(): string;
}

/** Concurrent updates of one record retry this often before giving up with 409. */
const UPDATE_ATTEMPTS = 5;

export class ModelService {
  constructor(
    readonly model: Model,
    readonly datasource: Datasource,
    private readonly clock: ServiceClock,
  ) {}

  private checkId(id: string): void {
    if (!ID_PATTERN.test(id)) throw validationError('"id" must be 1 to 64 letters, digits, "_" or "-"', 'id');
  }

  create(body: Record<string, unknown>): Promise<StoredRecord> {
    // Not `async`: the common, synchronous model path then costs no extra promise.
    try {
      const id = typeof body.id === 'string' ? body.id : this.clock.newId();
      const record = this.model.createRecord(body, id, this.clock.now());
      return isPromise(record) ? record.then((r) => this.datasource.create(r)) : this.datasource.create(record);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async get(id: string): Promise<StoredRecord> {
    this.checkId(id);
    const record = await this.datasource.get(id);
    if (!record) throw notFoundError(`${this.model.name} ${id} not found`);
    return record;
  }

  list(query: ListQuery): Promise<Page> {
    return this.datasource.list(query);
  }

  /**
   * Merges a patch. With `expectedRevision` (If-Match) a stale revision fails with
   * 412; without it, a concurrent write is retried on the fresh record.
   */
  async update(id: string, patch: Record<string, unknown>, expectedRevision?: number): Promise<StoredRecord> {
    for (let attempt = 1; ; attempt++) {
      const existing = await this.get(id);
      if (expectedRevision !== undefined && existing.revision !== expectedRevision) throw stale(this.model.name, id, existing.revision);
      const next = await this.model.updateRecord(existing, { ...patch }, this.clock.now());
      try {
        return await this.datasource.replace(next, existing.revision);
      } catch (error) {
        if (!isConflict(error)) throw error;
        if (expectedRevision !== undefined) throw stale(this.model.name, id);
        if (attempt >= UPDATE_ATTEMPTS) throw error;
      }
    }
  }

  /** Runs a command of the model on a record; concurrent writes are retried like updates. */
  async command(id: string, name: string, input: unknown, expectedRevision?: number): Promise<StoredRecord> {
    for (let attempt = 1; ; attempt++) {
      const existing = await this.get(id);
      if (expectedRevision !== undefined && existing.revision !== expectedRevision) throw stale(this.model.name, id, existing.revision);
      const next = await this.model.commandRecord(existing, name, input, this.clock.now());
      if (!next) return existing;
      try {
        return await this.datasource.replace(next, existing.revision);
      } catch (error) {
        if (!isConflict(error)) throw error;
        if (expectedRevision !== undefined) throw stale(this.model.name, id);
        if (attempt >= UPDATE_ATTEMPTS) throw error;
      }
    }
  }

  async remove(id: string, expectedRevision?: number): Promise<StoredRecord> {
    for (let attempt = 1; ; attempt++) {
      const existing = await this.get(id);
      if (expectedRevision !== undefined && existing.revision !== expectedRevision) throw stale(this.model.name, id, existing.revision);
      await this.model.checkDelete(existing);
      try {
        const removed = await this.datasource.delete(id, existing.revision);
        if (!removed) throw notFoundError(`${this.model.name} ${id} not found`);
        return removed;
      } catch (error) {
        if (!isConflict(error)) throw error;
        if (expectedRevision !== undefined) throw stale(this.model.name, id);
        if (attempt >= UPDATE_ATTEMPTS) throw error;
      }
    }
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function isConflict(error: unknown): boolean {
  return error instanceof MicrolibError && error.code === 'MLB_ERR_CONFLICT';
}

function stale(model: string, id: string, current?: number): MicrolibError {
  const now = current === undefined ? '' : ` (current revision ${current})`;
  return new MicrolibError('MLB_ERR_PRECONDITION_FAILED', `${model} ${id} was changed by another request${now}`, 'If-Match');
}
