/**
 * A model of one loaded version: its spec, compiled field schema and create
 * function. It turns request bodies into stored records and applies the spec's
 * own rules (factory, validate, onUpdate, onDelete); it knows nothing of storage
 * or transport.
 */
import { compileFieldSchema, type FieldSchema } from './field-schema.js';
import { applyMixins } from './mixins/mixin.js';
import { conflictError, MicrolibError, ModelCodeError, validationError } from './errors.js';
import type { Dependencies, FlowState, RecordMethods, ModelSpecification, StoredRecord, ValidateEvent } from './model-spec.js';
import { portSettings, type PortDefaults, type PortOverride, type PortSettings } from './ports/port-settings.js';
import { FieldProtection, type FieldCipher } from './field-protection.js';
import { compileFieldSerializers, type FieldSerializers } from './field-serializers.js';

/** How the host configures the ports of a model. */
export interface PortConfiguration {
  defaults: PortDefaults;
  /** Overrides keyed `<port>` for this model. */
  overrides?: ReadonlyMap<string, PortOverride>;
}

/** What the host provides a model beyond its spec. */
export interface ModelOptions {
  ports?: PortConfiguration;
  /** Encrypts `sensitive` fields; required when the spec declares any. */
  cipher?: FieldCipher;
}

/** Fields model code cannot set through changes it returns: the host owns them. */
const HOST_OWNED: readonly string[] = ['id', 'createdAt', 'updatedAt', 'revision', 'flow'];

/** The original MicroLib's event mask, passed to `validate`. */
const ON_UPDATE: ValidateEvent = 1;
const ON_CREATE: ValidateEvent = 2;

/**
 * What an update changes so far, for a validate with the original's semantics:
 * the patch, plus each field an earlier hook (onUpdate, a mixin) set to a value
 * the record did not have, so a validate returning `{ ...model, ...changes }`
 * keeps it. Without such a hook, a copy of the patch.
 */
function changesSince(before: Record<string, unknown>, next: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const changes = Object.assign({}, patch);
  for (const key of Object.keys(next)) {
    if (next[key] !== before[key] && !HOST_OWNED.includes(key)) changes[key] = next[key];
  }
  return changes;
}

export interface ModelIdentity {
  /** Remote that serves the model. */
  remote: string;
  /** Version of the remote (commit SHA or content hash). */
  version: string;
}

function hookError(what: string, error: unknown, toError: (message: string) => MicrolibError): MicrolibError {
  if (error instanceof MicrolibError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const refusal = toError(`${what}: ${message}`);
  return new ModelCodeError(refusal.code, refusal.message, refusal.field, { cause: error });
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Runs a spec hook; one that throws (or rejects) fails the request with its
 * message, host errors pass through. Synchronous hooks stay synchronous: most
 * are, and a promise per hook is measurable on the hot path.
 */
function runHook<T, A extends unknown[]>(
  what: string,
  hook: (...args: A) => T | Promise<T>,
  args: A,
  toError: (message: string) => MicrolibError = validationError,
): T | Promise<T> {
  try {
    const result = hook(...args);
    return isPromise(result) ? result.catch((error: unknown) => Promise.reject(hookError(what, error, toError))) : result;
  } catch (error) {
    throw hookError(what, error, toError);
  }
}

/**
 * A copy of `instance` with the host's fields set last (they win over any the
 * spec's code set). Object.assign, not a spread: V8 builds `{ ...a, b: 1 }` in a
 * slow path that cost ~3 µs per record, a tenth of a request.
 */
function withHostFields(instance: Record<string, unknown>, id: string, createdAt: string, updatedAt: string, revision: number): StoredRecord {
  const record = Object.assign({}, instance) as StoredRecord;
  record.id = id;
  record.createdAt = createdAt;
  record.updatedAt = updatedAt;
  record.revision = revision;
  return record;
}

/** The spec's field schema, compiled (or the shared compile of the same text). */
const fieldSchemaOf = (spec: ModelSpecification): FieldSchema => compileFieldSchema(spec.fields, spec.additionalFields === true, spec.access?.owner === true);

export class Model {
  readonly name: string;
  readonly endpoint: string;
  readonly schema: FieldSchema;
  /** Effective settings of each port (spec + host configuration + defaults). */
  readonly ports: ReadonlyMap<string, PortSettings>;
  /** Encryption of the spec's sensitive fields, when it has any. */
  readonly protection: FieldProtection | undefined;
  /** The stored form of its `bigint`, `decimal` and `date` fields, when it has any (see field-serializers.ts). */
  readonly serializers: FieldSerializers | undefined;
  private readonly createInstance: (input: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Prefixes of hook error messages, built once rather than per request. */
  private readonly labels: { factory: string; invalid: string; updateRefused: string; cannotDelete: string };
  /** onUpdate and validate get the record before the write, as in the original MicroLib (see HookSemantics). */
  private readonly originalHooks: boolean;

  /**
   * Compiles the spec's field schema ahead of construction (compiled schemas are
   * shared by their text), so a host can compile while it waits for something
   * else, e.g. the field key's scrypt on the thread pool. Throws as construction would.
   */
  static precompile(spec: ModelSpecification): void {
    fieldSchemaOf(spec);
  }

  constructor(
    readonly spec: ModelSpecification,
    readonly identity: ModelIdentity,
    /** Host services handed to the factory next to the spec's own dependencies. */
    injected: Dependencies = {},
    options: ModelOptions = {},
  ) {
    const portConfig = options.ports ?? { defaults: { timeoutMs: 30_000 } };
    this.name = spec.modelName;
    this.endpoint = spec.endpoint;
    this.ports = new Map(
      Object.entries(spec.ports ?? {}).map(([port, portSpec]) => [port, portSettings(spec.modelName, port, portSpec, portConfig.overrides?.get(port), portConfig.defaults)]),
    );
    this.schema = fieldSchemaOf(spec);
    this.protection = FieldProtection.of(spec.modelName, spec.fields, options.cipher);
    this.serializers = compileFieldSerializers(spec.fields);
    const create = spec.factory(Object.assign({}, spec.dependencies, injected));
    if (typeof create !== 'function') throw new Error(`factory of ${spec.modelName} must return a create function`);
    this.createInstance = create;
    this.originalHooks = spec.hookSemantics !== 'merged';
    const name = spec.modelName;
    this.labels = { factory: `${name} factory`, invalid: `${name} is invalid`, updateRefused: `${name} update refused`, cannotDelete: `${name} cannot be deleted` };
  }

  /**
   * Builds a new record from a create body (which it may change: the body is
   * the request's own). Functions and undefined values in the result are
   * dropped when the datasource serialises it. Synchronous unless a spec hook
   * returns a promise: creates are the hot path.
   */
  createRecord(body: Record<string, unknown>, id: string, now: string): StoredRecord | Promise<StoredRecord> {
    this.serializers?.input(body);
    this.schema.checkCreate(body);
    this.protection?.checkInput(body);
    // The id is the host's business, not the factory's.
    if (body.id !== undefined) delete body.id;
    const instance = runHook(this.labels.factory, this.createInstance, [body]);
    return isPromise(instance) ? instance.then((value) => this.validateCreated(value, body, id, now)) : this.validateCreated(instance, body, id, now);
  }

  private validateCreated(instance: Record<string, unknown>, input: Record<string, unknown>, id: string, now: string): StoredRecord | Promise<StoredRecord> {
    if (typeof instance !== 'object' || instance === null) throw validationError(`${this.name} factory did not return an object`);
    if (this.spec.mixins?.length) {
      const mixed = runHook(this.labels.invalid, applyMixins, [this.spec.mixins, 'create', instance, input]);
      // A remote running in a worker answers with a promise.
      if (isPromise(mixed)) return mixed.then((value) => this.validateMixed(value, input, id, now));
      instance = mixed;
    }
    return this.validateMixed(instance, input, id, now);
  }

  private validateMixed(instance: Record<string, unknown>, input: Record<string, unknown>, id: string, now: string): StoredRecord | Promise<StoredRecord> {
    const built = instance;
    const protection = this.protection;
    const serializers = this.serializers;
    const finish = (replaced: Record<string, unknown> | void): StoredRecord => {
      const record = withHostFields(replaced && typeof replaced === 'object' ? replaced : built, id, now, now, 1);
      serializers?.output(record);
      return protection ? protection.seal(record) : record;
    };
    if (!this.spec.validate) return finish(undefined);
    // The body reaches the record only through the factory: validate's changes are none (the original's
    // create) or the factory's own fields, so merging them cannot undo what the factory computed (a hash).
    const changes = this.originalHooks ? {} : Object.assign({}, built);
    const replaced = runHook(this.labels.invalid, this.spec.validate, [built, changes, ON_CREATE]);
    return isPromise(replaced) ? replaced.then(finish) : finish(replaced);
  }

  /** Applies a patch to a stored record. */
  async updateRecord(existing: StoredRecord, patch: Record<string, unknown>, now: string): Promise<StoredRecord> {
    this.serializers?.input(patch);
    this.schema.checkPatch(patch);
    this.protection?.checkInput(patch);
    // Model code sees sensitive values in clear; they are encrypted again below.
    const stored = this.protection ? this.protection.reveal(existing) : existing;
    const { onUpdate, validate } = this.spec;
    // Hooks with the original's semantics see the record before the update, frozen as the original's models are.
    const before = this.originalHooks && (onUpdate || validate) ? Object.freeze(Object.assign({}, stored)) : undefined;
    let merged: Record<string, unknown> = Object.assign({}, stored, patch);
    if (onUpdate) {
      const replaced = await runHook(this.labels.updateRefused, onUpdate, [before ?? merged, patch, ON_UPDATE]);
      if (replaced && typeof replaced === 'object') merged = replaced;
    }
    if (this.spec.mixins?.length) merged = await runHook(this.labels.invalid, applyMixins, [this.spec.mixins, 'update', merged, patch, existing]);
    if (validate) {
      const changes = before ? changesSince(before, merged, patch) : patch;
      const replaced = await runHook(this.labels.invalid, validate, [before ?? merged, changes, ON_UPDATE]);
      if (replaced && typeof replaced === 'object') merged = replaced;
    }
    const record = withHostFields(merged, existing.id, existing.createdAt, now, existing.revision + 1);
    // The flow and owner are the host's: a hook returning a fresh object does not drop them.
    if (existing.flow !== undefined) record.flow = existing.flow;
    if (this.spec.access?.owner && existing.owner !== undefined) record.owner = existing.owner;
    this.serializers?.output(record);
    return this.protection ? this.protection.seal(record) : record;
  }

  /**
   * Runs a function command of the spec on a stored record. A command returning
   * an object changes the record (commands are the model's own code, so
   * read-only fields are theirs to change); `validate` still has the last word.
   * `object` is the record as the command sees it (with port and relation
   * methods). Resolves with the next record, or undefined when nothing changed.
   */
  async commandRecord(existing: StoredRecord, name: string, input: unknown, now: string, object: StoredRecord & RecordMethods = this.reveal(existing)): Promise<StoredRecord | undefined> {
    const command = this.command(name);
    if (typeof command !== 'function') throw new Error(`command "${name}" of ${this.name} names a port; run it through the flow runner`);
    const changes = await runHook(`${this.name} ${name} refused`, command, [object, input]);
    if (!changes || typeof changes !== 'object') return undefined;
    return this.applyChanges(existing, changes as Record<string, unknown>, now);
  }

  /** The command of that name (a function or a port name); a 404 when the spec has none. */
  command(name: string): NonNullable<ModelSpecification['commands']>[string]['command'] {
    const commands = this.spec.commands;
    const command = commands && Object.hasOwn(commands, name) ? commands[name] : undefined;
    if (!command) throw new MicrolibError('MLB_ERR_NOT_FOUND', `${this.name} has no command "${name}"`);
    return command.command;
  }

  /**
   * Merges changes the model's own code returned (a command, a port callback or
   * undo) into a stored record, lets `validate` have the last word (with the
   * record before them and these changes, under the original's semantics), and
   * sets the record's flow. Host-owned fields in `changes` are ignored.
   */
  async applyChanges(existing: StoredRecord, changes: Record<string, unknown> | undefined, now: string, flow: FlowState | undefined = existing.flow): Promise<StoredRecord> {
    // reveal() already returns a copy, so the merge below writes to no stored object.
    let merged: Record<string, unknown> = changes ? this.reveal(existing) : existing;
    if (changes) {
      const own = Object.assign({}, changes);
      for (const field of HOST_OWNED) delete own[field];
      if (this.spec.access?.owner) delete own.owner;
      const before = this.originalHooks && this.spec.validate ? Object.freeze(Object.assign({}, merged)) : undefined;
      Object.assign(merged, own);
      if (this.spec.validate) {
        const replaced = await runHook(this.labels.invalid, this.spec.validate, [before ?? merged, own, ON_UPDATE]);
        if (replaced && typeof replaced === 'object') merged = replaced;
      }
    }
    const record = withHostFields(merged, existing.id, existing.createdAt, now, existing.revision + 1);
    if (flow === undefined) delete record.flow;
    else record.flow = flow;
    if (this.spec.access?.owner && existing.owner !== undefined) record.owner = existing.owner;
    this.serializers?.output(record);
    // Sealed even without changes: a value of a previous key is then written under the current one.
    return this.protection ? this.protection.seal(record) : record;
  }

  /** The record as model code and adapters see it: sensitive values in clear. */
  reveal(record: StoredRecord): StoredRecord {
    return this.protection ? this.protection.reveal(record) : Object.assign({}, record);
  }

  /** Asks the spec whether a record may be deleted; a refusal is a conflict. */
  async checkDelete(existing: StoredRecord): Promise<void> {
    const onDelete = this.spec.onDelete;
    if (onDelete) await runHook(this.labels.cannotDelete, onDelete, [{ ...existing }], (message) => conflictError(message));
  }
}
