/**
 * The use cases of one model: one method per verb (create, get, list, update,
 * remove), in the spirit of Feathers services. The HTTP adapter calls these;
 * they call the model for rules and its datasource for storage.
 */
import type { Datasource, ListQuery, Page, ReadOptions } from './datasource.js';
import { conflictError, MicrolibError, notFoundError, validationError } from './errors.js';
import { ID_PATTERN, ID_RULE } from './field-schema.js';
import type { Model } from './model.js';
import type { FlowState, RecordMethods, StoredRecord } from './model-spec.js';
import { crudEventName, makeEvent, type CrudOperation, type DomainEvent } from './events/index.js';
import { checkOperation, checkOwner, checkPermissions, ownedBy, type Caller, type Operation } from './access.js';
import { checkListQuery, OPEN_FIELDS, type PageLimits, type RawListQuery } from './list-query.js';
import { reencryptLookupMatches } from './reencryption.js';
import { createEach, HOOKS_IN_FLIGHT, settleBounded } from './batch-writes.js';
import { readFieldSelection } from './field-selection.js';

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

/** One item of a batch patch: the record, its changes, and the revision it must still have (If-Match), if any. */
export interface BatchPatch {
  readonly id: string;
  readonly changes: Record<string, unknown>;
  readonly expectedRevision?: number | undefined;
}

/** One item of a batch delete. */
export interface BatchDeletion {
  readonly id: string;
  readonly expectedRevision?: number | undefined;
}

/** What became of one item of a batch: the record written (or deleted), or why it was not. */
export type BatchOutcome = PromiseSettledResult<StoredRecord>;

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
      const created = this.add(body, caller);
      return isPromise(created) ? created : Promise.resolve(created);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * As `create`, but done at once (no promise) when the model's code and the
   * datasource (`Datasource.createNow`) can; it then throws instead of
   * rejecting. The HTTP create route uses it to answer in the turn the body
   * arrived in.
   */
  add(body: Record<string, unknown>, caller?: Caller): StoredRecord | Promise<StoredRecord> {
    const owner = caller === undefined ? undefined : this.authorize('create', caller) ?? (this.model.spec.access?.owner ? caller.subject : undefined);
    const id = typeof body.id === 'string' ? body.id : this.clock.newId();
    let record = this.model.createRecord(body, id, this.clock.now());
    if (owner !== undefined) record = isPromise(record) ? record.then((r) => Object.assign(r, { owner })) : Object.assign(record, { owner });
    if (!isPromise(record) && this.datasource.createNow !== undefined) {
      const stored = this.datasource.createNow(record);
      return this.announce('create', stored, stored);
    }
    const stored = isPromise(record) ? record.then((r) => this.datasource.create(r)) : this.datasource.create(record);
    return this.events?.hasSubscribers(this.eventNames.create) ? stored.then((r) => this.announce('create', r, r)) : stored;
  }

  /**
   * Creates each of `bodies` as `create` would (access checked once for the
   * caller, then per item: the field schema, the model's hooks, the owner rule
   * and a `<model>Created` event), storing the records together
   * (`Datasource.createMany`). Resolves with one outcome per body, in order; an
   * id used by an earlier item of the batch is a conflict. Rejects only when the
   * caller may not create at all.
   */
  async createMany(bodies: readonly unknown[], caller?: Caller): Promise<BatchOutcome[]> {
    const owner = caller === undefined ? undefined : this.authorize('create', caller) ?? (this.model.spec.access?.owner ? caller.subject : undefined);
    const outcomes: BatchOutcome[] = await settleBounded(bodies, HOOKS_IN_FLIGHT, async (body) => {
      if (!isPlainObject(body)) throw validationError('a batch item must be a JSON object');
      const record = await this.model.createRecord(body, typeof body.id === 'string' ? body.id : this.clock.newId(), this.clock.now());
      return owner === undefined ? record : Object.assign(record, { owner });
    });
    const firstAt = new Map<string, number>();
    const records: StoredRecord[] = [];
    const at: number[] = [];
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'rejected') return;
      const id = outcome.value.id;
      const first = firstAt.get(id);
      if (first !== undefined) {
        outcomes[index] = { status: 'rejected', reason: conflictError(`id "${id}" is already taken by item ${first} of this batch`, 'id') };
        return;
      }
      firstAt.set(id, index);
      records.push(outcome.value);
      at.push(index);
    });
    const stored = await createEach(this.datasource, records);
    stored.forEach((outcome, k) => {
      if (outcome.status === 'fulfilled') this.announce('create', outcome.value, outcome.value);
      outcomes[at[k]!] = outcome;
    });
    return outcomes;
  }

  /**
   * Patches each record of `items` as `update` would (access checked once, then
   * per item: the owner rule, If-Match, the model's hooks, an event), writing
   * the records together once every item is prepared. A record written by
   * another request meanwhile is patched again on its fresh version, unless
   * the item names a revision (412). An id may appear once per batch.
   */
  async updateMany(items: readonly BatchPatch[], caller?: Caller): Promise<BatchOutcome[]> {
    const owner = this.authorize('update', caller);
    return this.writeMany(
      items,
      owner,
      (existing, item) => this.model.updateRecord(existing, { ...item.changes }, this.clock.now()),
      async (next, existing, item) => this.announce('update', await this.datasource.replace(next, existing.revision), item.changes),
      (item) => this.update(item.id, item.changes, undefined, caller),
    );
  }

  /** Deletes each record of `items` as `remove` would, the deletes issued together (see updateMany). */
  async removeMany(items: readonly BatchDeletion[], caller?: Caller): Promise<BatchOutcome[]> {
    const owner = this.authorize('delete', caller);
    return this.writeMany(
      items,
      owner,
      async (existing) => {
        await this.model.checkDelete(existing);
        return existing;
      },
      async (_, existing) => {
        const removed = await this.datasource.delete(existing.id, existing.revision);
        if (!removed) throw notFoundError(`${this.model.name} ${existing.id} not found`);
        return this.announce('delete', removed, removed);
      },
      (item) => this.remove(item.id, undefined, caller),
    );
  }

  /**
   * The two steps of a batch patch or delete: read, check and `prepare` every
   * item (a bounded number at once: hooks may run in a worker), then `commit`
   * all prepared items at once, so a datasource that batches writes (the file
   * datasource's group commit) makes them durable together. A commit that loses
   * a race is a 412 for an item with a revision, else `retry` (the one-record path).
   */
  private async writeMany<I extends BatchDeletion, P>(
    items: readonly I[],
    owner: string | undefined,
    prepare: (existing: StoredRecord, item: I) => Promise<P>,
    commit: (prepared: P, existing: StoredRecord, item: I) => Promise<StoredRecord>,
    retry: (item: I) => Promise<StoredRecord>,
  ): Promise<BatchOutcome[]> {
    const firstAt = new Map<string, number>();
    items.forEach((item, index) => {
      if (!firstAt.has(item.id)) firstAt.set(item.id, index);
    });
    const prepared = await settleBounded(items, HOOKS_IN_FLIGHT, async (item, index) => {
      this.checkId(item.id);
      const first = firstAt.get(item.id)!;
      if (first !== index) throw validationError(`${this.model.name} ${item.id} is item ${first} of this batch already; a batch writes each record once`, 'id');
      const existing = await this.get(item.id, undefined, LATEST);
      checkOwner(this.model.name, existing, owner);
      if (item.expectedRevision !== undefined && existing.revision !== item.expectedRevision) throw stale(this.model.name, item.id, existing.revision);
      return { existing, next: await prepare(existing, item) };
    });
    return Promise.all(
      prepared.map(async (outcome, index): Promise<BatchOutcome> => {
        if (outcome.status === 'rejected') return outcome;
        const item = items[index]!;
        try {
          return { status: 'fulfilled', value: await commit(outcome.value.next, outcome.value.existing, item) };
        } catch (error) {
          if (!isConflict(error)) return { status: 'rejected', reason: error };
          if (item.expectedRevision !== undefined) return { status: 'rejected', reason: stale(this.model.name, item.id) };
          return retry(item).then(
            (value) => ({ status: 'fulfilled', value }),
            (reason: unknown) => ({ status: 'rejected', reason }),
          );
        }
      }),
    );
  }

  /** The fields `?fields=` selects on this model (MLB_ERR_BAD_QUERY naming unknown ones). */
  fieldSelection(value: string): readonly string[] {
    return readFieldSelection(value, this.model.schema);
  }

  /** With `options.latest`, the record as every acknowledged write left it (see ReadOptions): writes decide on that. */
  async get(id: string, caller?: Caller, options?: ReadOptions): Promise<StoredRecord> {
    const owner = this.authorize('read', caller);
    this.checkId(id);
    return this.found(id, await (options ? this.datasource.get(id, options) : this.datasource.get(id)), owner);
  }

  /**
   * As `get`, but answered at once (no promise) when the datasource can
   * (`Datasource.getNow`); it then throws instead of rejecting. The HTTP read
   * route uses it to answer in the turn the request arrived in.
   */
  read(id: string, caller?: Caller, options?: ReadOptions): StoredRecord | Promise<StoredRecord> {
    if (this.datasource.getNow === undefined) return this.get(id, caller, options);
    const owner = this.authorize('read', caller);
    this.checkId(id);
    return this.found(id, this.datasource.getNow(id, options), owner);
  }

  /** The record a read found, or MLB_ERR_NOT_FOUND; the owner rule applies. */
  private found(id: string, record: StoredRecord | undefined, owner: string | undefined): StoredRecord {
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isConflict(error: unknown): boolean {
  return error instanceof MicrolibError && error.code === 'MLB_ERR_CONFLICT';
}

function stale(model: string, id: string, current?: number): MicrolibError {
  const now = current === undefined ? '' : ` (current revision ${current})`;
  return new MicrolibError('MLB_ERR_PRECONDITION_FAILED', `${model} ${id} was changed by another request${now}`, 'If-Match');
}
