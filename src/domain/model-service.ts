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
import { crudEventName, makeEvent, type CrudOperation, type DomainEvent } from './events/index.js';

export interface ServiceClock {
  now(): string;
  newId(): string;
}

/** Concurrent updates of one record retry this often before giving up with 409. */
const UPDATE_ATTEMPTS = 5;

/** Where a service announces its writes (the host's event broker). */
export interface WriteEvents {
  publish(event: DomainEvent): unknown;
  hasSubscribers(eventName: string): boolean;
}

export class ModelService {
  private readonly eventNames: Record<CrudOperation, string>;

  constructor(
    readonly model: Model,
    readonly datasource: Datasource,
    private readonly clock: ServiceClock,
    private readonly events?: WriteEvents,
  ) {
    this.eventNames = { create: crudEventName(model.name, 'create'), update: crudEventName(model.name, 'update'), delete: crudEventName(model.name, 'delete') };
  }

  /**
   * Announces a write as `<model>Created|Updated|Deleted` with the id and the
   * changes. Not awaited: local handlers must not slow or fail the request, and
   * the broker reports their errors itself.
   */
  private announce(operation: CrudOperation, record: StoredRecord, changes: unknown): StoredRecord {
    const eventName = this.eventNames[operation];
    if (this.events?.hasSubscribers(eventName)) {
      const modelName = this.model.name;
      void this.events.publish(makeEvent(eventName, { modelName, data: { id: record.id, revision: record.revision, changes } }));
    }
    return record;
  }



  private checkId(id: string): void {
    if (!ID_PATTERN.test(id)) throw validationError('"id" must be 1 to 64 letters, digits, "_" or "-"', 'id');
  }

  create(body: Record<string, unknown>): Promise<StoredRecord> {
    // Not `async`: the common, synchronous model path then costs no extra promise.
    try {
      const id = typeof body.id === 'string' ? body.id : this.clock.newId();
      const record = this.model.createRecord(body, id, this.clock.now());
      const stored = isPromise(record) ? record.then((r) => this.datasource.create(r)) : this.datasource.create(record);
      return this.events?.hasSubscribers(this.eventNames.create) ? stored.then((r) => this.announce('create', r, r)) : stored;
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
   * The optimistic write loop every change of a stored record shares: read the
   * record, check If-Match, let `prepare` apply the model's rules (outside the
   * retry: a rule's refusal is final), then `commit` with the revision it read.
   * With `expectedRevision` a stale revision fails with 412; without it, a
   * concurrent write is retried on the fresh record. `prepare` returning
   * undefined means nothing to write: the record is returned as it is.
   */
  private async writeFresh<P>(
    id: string,
    expectedRevision: number | undefined,
    prepare: (existing: StoredRecord) => Promise<P | undefined>,
    commit: (prepared: P, existing: StoredRecord) => Promise<StoredRecord>,
  ): Promise<StoredRecord> {
    for (let attempt = 1; ; attempt++) {
      const existing = await this.get(id);
      if (expectedRevision !== undefined && existing.revision !== expectedRevision) throw stale(this.model.name, id, existing.revision);
      const prepared = await prepare(existing);
      if (prepared === undefined) return existing;
      try {
        return await commit(prepared, existing);
      } catch (error) {
        if (!isConflict(error)) throw error;
        if (expectedRevision !== undefined) throw stale(this.model.name, id);
        if (attempt >= UPDATE_ATTEMPTS) throw error;
      }
    }
  }

  /** Merges a patch (see writeFresh for If-Match and concurrent writes). */
  update(id: string, patch: Record<string, unknown>, expectedRevision?: number): Promise<StoredRecord> {
    return this.writeFresh(
      id,
      expectedRevision,
      (existing) => this.model.updateRecord(existing, { ...patch }, this.clock.now()),
      async (next, existing) => this.announce('update', await this.datasource.replace(next, existing.revision), patch),
    );
  }

  /** Runs a command of the model on a record. */
  command(id: string, name: string, input: unknown, expectedRevision?: number): Promise<StoredRecord> {
    return this.writeFresh(
      id,
      expectedRevision,
      (existing) => this.model.commandRecord(existing, name, input, this.clock.now()),
      async (next, existing) => this.announce('update', await this.datasource.replace(next, existing.revision), { command: name }),
    );
  }

  /** Deletes a record the model agrees to delete. */
  remove(id: string, expectedRevision?: number): Promise<StoredRecord> {
    return this.writeFresh(
      id,
      expectedRevision,
      async (existing) => {
        await this.model.checkDelete(existing);
        return true;
      },
      async (_, existing) => {
        const removed = await this.datasource.delete(id, existing.revision);
        if (!removed) throw notFoundError(`${this.model.name} ${id} not found`);
        return this.announce('delete', removed, removed);
      },
    );
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
