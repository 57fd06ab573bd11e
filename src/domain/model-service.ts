/**
 * The use cases of one model: one method per verb (create, get, list, update,
 * remove), in the spirit of Feathers services. The HTTP adapter calls these;
 * they call the model for rules and its datasource for storage.
 */
import type { Datasource, ListQuery, Page, ReadOptions } from './datasource.js';
import { MicrolibError, notFoundError, validationError } from './errors.js';
import { ID_PATTERN, ID_RULE } from './field-schema.js';
import type { Model } from './model.js';
import type { FlowState, RecordMethods, StoredRecord } from './model-spec.js';
import { crudEventName, makeEvent, type CrudOperation, type DomainEvent } from './events/index.js';
import { checkOperation, checkOwner, checkPermissions, ownedBy, type Caller, type Operation } from './access.js';
import { checkListQuery, OPEN_FIELDS, type PageLimits, type RawListQuery } from './list-query.js';
import { reencryptLookupMatches } from './reencryption.js';

export interface ServiceClock {
  now(): string;
  newId(): string;
}

/** The command that reveals sensitive fields, and the permission it needs. */
const DECRYPT = 'decrypt';

/** Concurrent updates of one record retry this often before giving up with 409. */
const UPDATE_ATTEMPTS = 5;
/** Writes decide on the latest record, never on a replica that has not caught up. */
const LATEST: ReadOptions = { latest: true };

/** Where a service announces its writes (the host's event broker). */
export interface WriteEvents {
  publish(event: DomainEvent): unknown;
  hasSubscribers(eventName: string): boolean;
}

export type { Caller };

/** What the host's port machinery offers a service: record methods for model code, and flows. */
export interface PortMachinery {
  /** The record as model code sees it: with a method per port and per relation. */
  objectOf(service: ModelService, record: StoredRecord): StoredRecord & RecordMethods;
  /** Starts a flow at `port` on record `id`; resolves with the record after that first step. */
  startPort(service: ModelService, id: string, port: string, input: unknown): Promise<StoredRecord>;
}

/** A flow transition computed from the fresh record: the next flow state and changes to merge. */
export interface FlowTransition {
  flow: FlowState;
  changes?: Record<string, unknown>;
}

export class ModelService {
  private readonly eventNames: Record<CrudOperation, string>;

  constructor(
    readonly model: Model,
    readonly datasource: Datasource,
    private readonly clock: ServiceClock,
    private readonly events?: WriteEvents,
    private readonly methods?: PortMachinery,
  ) {
    this.eventNames = { create: crudEventName(model.name, 'create'), update: crudEventName(model.name, 'update'), delete: crudEventName(model.name, 'delete') };
  }

  /**
   * Announces a write as `<model>Created|Updated|Deleted` with the id, the
   * changes and the record as stored (as deleted, for a delete), so listeners
   * and other hosts need not read it back. Not awaited: local handlers must not
   * slow or fail the request, and the broker reports their errors itself.
   */
  private announce(operation: CrudOperation, record: StoredRecord, changes: unknown): StoredRecord {
    const eventName = this.eventNames[operation];
    if (this.events?.hasSubscribers(eventName)) {
      const modelName = this.model.name;
      void this.events.publish(makeEvent(eventName, { modelName, data: { id: record.id, revision: record.revision, changes, record } }));
    }
    return record;
  }

  private checkId(id: string): void {
    if (!ID_PATTERN.test(id)) throw validationError(ID_RULE, 'id');
  }

  /** Checks an operation for an authenticated caller; returns the owner the record must have, if the owner rule applies. */
  private authorize(operation: Operation, caller: Caller | undefined): string | undefined {
    if (caller === undefined) return undefined;
    checkOperation(this.model.name, this.model.spec.access, operation, caller);
    return ownedBy(this.model.name, this.model.spec.access, caller);
  }

  create(body: Record<string, unknown>, caller?: Caller): Promise<StoredRecord> {
    // Not `async`: the common, synchronous model path then costs no extra promise.
    try {
      const owner = caller === undefined ? undefined : this.authorize('create', caller) ?? (this.model.spec.access?.owner ? caller.subject : undefined);
      const id = typeof body.id === 'string' ? body.id : this.clock.newId();
      let record = this.model.createRecord(body, id, this.clock.now());
      if (owner !== undefined) record = isPromise(record) ? record.then((r) => Object.assign(r, { owner })) : Object.assign(record, { owner });
      const stored = isPromise(record) ? record.then((r) => this.datasource.create(r)) : this.datasource.create(record);
      return this.events?.hasSubscribers(this.eventNames.create) ? stored.then((r) => this.announce('create', r, r)) : stored;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** With `options.latest`, the record as every acknowledged write left it (see ReadOptions): writes decide on that. */
  async get(id: string, caller?: Caller, options?: ReadOptions): Promise<StoredRecord> {
    const owner = this.authorize('read', caller);
    this.checkId(id);
    const record = await (options ? this.datasource.get(id, options) : this.datasource.get(id));
    if (!record) throw notFoundError(`${this.model.name} ${id} not found`);
    checkOwner(this.model.name, record, owner);
    return record;
  }

  /** The ListQuery of a list request's parameters, checked against this model's fields and `limits` (else MLB_ERR_BAD_QUERY). */
  listQuery(raw: RawListQuery, limits: PageLimits): ListQuery {
    return checkListQuery(raw, this.model.schema, limits);
  }

  /**
   * The ListQuery of a page of relation `name`: checked against the related
   * model when `lookup` finds it served here; a model another host serves
   * checks its own fields there.
   */
  relationQuery(name: string, raw: RawListQuery, limits: PageLimits, lookup: (modelName: string) => object | undefined): ListQuery {
    const relations = this.model.spec.relations;
    const related = relations && Object.hasOwn(relations, name) ? lookup(relations[name]!.modelName) : undefined;
    return checkListQuery(raw, related instanceof ModelService ? related.model.schema : OPEN_FIELDS, limits);
  }

  list(query: ListQuery, caller?: Caller): Promise<Page> {
    const protection = this.model.protection;
    try {
      const owner = this.authorize('read', caller);
      // The owner rule is a filter: others' records are not in the caller's lists, nor in their count.
      if (owner !== undefined) query = { ...query, filter: { ...query.filter, owner } };
      if (!protection) return this.datasource.list(query);
      const stored = protection.query(query);
      // While keys rotate, the records this lookup would miss under the previous key's hash are re-encrypted first.
      if (protection.previousKeyQuery(query)) return reencryptLookupMatches(this.datasource, protection, query).then(() => this.datasource.list(stored));
      return this.datasource.list(stored);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The optimistic write loop every change of a stored record shares: read the
   * record, check If-Match, let `prepare` apply the model's rules (outside the
   * retry: a rule's refusal is final), then `commit` with the revision it read.
   * With `expectedRevision` a stale revision fails with 412; without it, a
   * concurrent write is retried on the fresh record. `prepare` returning
   * undefined means nothing to write: the record is returned as it is.
   * `authorize` runs first (a refusal rejects) and names the owner the record
   * must have, when the owner rule applies.
   */
  private async writeFresh<P>(
    id: string,
    expectedRevision: number | undefined,
    prepare: (existing: StoredRecord) => Promise<P | undefined>,
    commit: (prepared: P, existing: StoredRecord) => Promise<StoredRecord>,
    authorize: () => string | undefined = () => undefined,
  ): Promise<StoredRecord> {
    const owner = authorize();
    for (let attempt = 1; ; attempt++) {
      const existing = await this.get(id, undefined, LATEST);
      checkOwner(this.model.name, existing, owner);
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
  update(id: string, patch: Record<string, unknown>, expectedRevision?: number, caller?: Caller): Promise<StoredRecord> {
    return this.writeFresh(
      id,
      expectedRevision,
      (existing) => this.model.updateRecord(existing, { ...patch }, this.clock.now()),
      async (next, existing) => this.announce('update', await this.datasource.replace(next, existing.revision), patch),
      () => this.authorize('update', caller),
    );
  }

  /**
   * Runs a command of the model on a record: a function command's changes are
   * stored; a command naming a port starts a flow there. With permissions in
   * `caller`, the command's `acl` is enforced.
   */
  async command(id: string, name: string, input: unknown, expectedRevision?: number, caller?: Caller): Promise<StoredRecord> {
    if (name === DECRYPT && this.model.protection && !Object.hasOwn(this.model.spec.commands ?? {}, DECRYPT)) return this.decrypt(id, caller);
    const command = this.model.command(name);
    // A command without an acl changes the record: it needs what an update needs.
    const acl = this.model.spec.commands?.[name]?.acl;
    if (acl === undefined) this.authorize('update', caller);
    else checkPermissions(`command "${name}" of ${this.model.name}`, this.model.name, acl, caller);
    const owner = ownedBy(this.model.name, this.model.spec.access, caller);
    this.checkId(id);
    if (typeof command === 'string') {
      const existing = await this.get(id, undefined, LATEST);
      checkOwner(this.model.name, existing, owner);
      if (expectedRevision !== undefined && existing.revision !== expectedRevision) throw stale(this.model.name, id, existing.revision);
      return this.startPort(id, command, input);
    }
    let unchanged = false;
    const record = await this.writeFresh(
      id,
      expectedRevision,
      async (existing) => {
        const next = await this.model.commandRecord(existing, name, input, this.clock.now(), this.methods?.objectOf(this, existing));
        unchanged = next === undefined;
        return next;
      },
      async (next, existing) => this.announce('update', await this.datasource.replace(next, existing.revision), { command: name }),
      () => owner,
    );
    // A command that returned nothing may still have changed the record through its ports.
    return unchanged ? this.get(id) : record;
  }

  /** The built-in `decrypt` command of a model with sensitive fields: the record in clear, written nowhere. */
  private async decrypt(id: string, caller: Caller | undefined): Promise<StoredRecord> {
    checkPermissions(`command "${DECRYPT}" of ${this.model.name}`, this.model.name, [DECRYPT], caller);
    return this.model.reveal(await this.get(id, caller));
  }

  /** Runs a port on a record as the first step of a flow; a caller (an HTTP request) needs what an update needs. */
  async startPort(id: string, port: string, input: unknown, caller?: Caller): Promise<StoredRecord> {
    if (!this.methods) throw new MicrolibError('MLB_ERR_NOT_IMPLEMENTED', `ports are not available on this host`);
    if (caller !== undefined) {
      const owner = this.authorize('update', caller);
      if (owner !== undefined) checkOwner(this.model.name, await this.get(id), owner);
    }
    return this.methods.startPort(this, id, port, input);
  }

  /** Refuses a port a client cannot call: none of that name (MLB_ERR_NOT_FOUND), or an outbound one (MLB_ERR_FORBIDDEN). */
  checkInboundPort(name: string): void {
    const port = this.model.ports.get(name);
    if (!port) throw new MicrolibError('MLB_ERR_NOT_FOUND', `${this.model.name} has no port "${name}"`);
    if (port.type !== 'inbound') throw new MicrolibError('MLB_ERR_FORBIDDEN', `port "${name}" of ${this.model.name} is outbound: only inbound ports can be called over HTTP`);
  }

  /**
   * A client runs inbound port `name` on a record (the first step of a flow).
   * With `expectedRevision` (If-Match) the record must still be at that revision.
   */
  async callPort(id: string, name: string, input: unknown, expectedRevision: number | undefined, caller?: Caller): Promise<StoredRecord> {
    this.checkInboundPort(name);
    if (expectedRevision !== undefined) {
      const existing = await this.get(id, caller, LATEST);
      if (existing.revision !== expectedRevision) throw stale(this.model.name, id, existing.revision);
    }
    return this.startPort(id, name, input, caller);
  }

  /**
   * Stores a flow transition computed from the fresh record (recomputed after a
   * concurrent write). `compute` returning undefined leaves the record as it is.
   */
  transition(id: string, compute: (existing: StoredRecord) => FlowTransition | undefined): Promise<StoredRecord> {
    return this.writeFresh(
      id,
      undefined,
      async (existing) => {
        const next = compute(existing);
        return next === undefined ? undefined : this.model.applyChanges(existing, next.changes, this.clock.now(), next.flow);
      },
      async (next, existing) => this.announce('update', await this.datasource.replace(next, existing.revision), { flow: next.flow?.status }),
    );
  }

  /** A new unique id (flows use it). */
  newId(): string {
    return this.clock.newId();
  }

  now(): string {
    return this.clock.now();
  }

  /** Deletes a record the model agrees to delete. */
  remove(id: string, expectedRevision?: number, caller?: Caller): Promise<StoredRecord> {
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
      () => this.authorize('delete', caller),
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
