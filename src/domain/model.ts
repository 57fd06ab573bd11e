/**
 * A model of one loaded version: its spec, compiled field schema and create
 * function. It turns request bodies into stored records and applies the spec's
 * own rules (factory, validate, onUpdate, onDelete); it knows nothing of storage
 * or transport.
 */
import { compileFieldSchema, type FieldSchema } from './field-schema.js';
import { conflictError, MicrolibError, validationError } from './errors.js';
import type { ModelInstance, ModelSpecification, StoredRecord } from './model-spec.js';

export interface ModelIdentity {
  /** Remote that serves the model. */
  remote: string;
  /** Version of the remote (commit SHA or content hash). */
  version: string;
}

function hookError(what: string, error: unknown, toError: (message: string) => MicrolibError): MicrolibError {
  if (error instanceof MicrolibError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return toError(`${what}: ${message}`);
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Runs a spec hook; one that throws (or rejects) fails the request with its
 * message, host errors pass through. Synchronous hooks stay synchronous: most
 * are, and a promise per hook is measurable on the hot path.
 */
function runHook<T>(what: string, hook: () => T | Promise<T>, toError: (message: string) => MicrolibError = validationError): T | Promise<T> {
  try {
    const result = hook();
    return isPromise(result) ? result.catch((error: unknown) => Promise.reject(hookError(what, error, toError))) : result;
  } catch (error) {
    throw hookError(what, error, toError);
  }
}

export class Model {
  readonly name: string;
  readonly endpoint: string;
  readonly schema: FieldSchema;
  private readonly createInstance: (input: Record<string, unknown>) => ModelInstance | Promise<ModelInstance>;

  constructor(
    readonly spec: ModelSpecification,
    readonly identity: ModelIdentity,
  ) {
    this.name = spec.modelName;
    this.endpoint = spec.endpoint;
    this.schema = compileFieldSchema(spec.fields, spec.additionalFields === true);
    const create = spec.factory(spec.dependencies ?? {});
    if (typeof create !== 'function') throw new Error(`factory of ${spec.modelName} must return a create function`);
    this.createInstance = create;
  }

  /**
   * Builds a new record from a create body (which it may change: the body is
   * the request's own). Functions and undefined values in the result are
   * dropped when the datasource serialises it.
   */
  async createRecord(body: Record<string, unknown>, id: string, now: string): Promise<StoredRecord> {
    this.schema.checkCreate(body);
    // The id is the host's business, not the factory's.
    if (body.id !== undefined) delete body.id;
    const input = body;
    let instance = runHook(`${this.name} factory`, () => this.createInstance(input));
    if (isPromise(instance)) instance = await instance;
    if (typeof instance !== 'object' || instance === null) throw validationError(`${this.name} factory did not return an object`);
    if (this.spec.validate) {
      const validate = this.spec.validate;
      const created = instance;
      let replaced = runHook(`${this.name} is invalid`, () => validate(created, input));
      if (isPromise(replaced)) replaced = await replaced;
      if (replaced && typeof replaced === 'object') instance = replaced;
    }
    return { ...instance, id, createdAt: now, updatedAt: now, revision: 1 } as StoredRecord;
  }

  /** Applies a patch to a stored record. */
  async updateRecord(existing: StoredRecord, patch: Record<string, unknown>, now: string): Promise<StoredRecord> {
    this.schema.checkPatch(patch);
    let merged: ModelInstance = { ...existing, ...patch };
    if (this.spec.onUpdate) {
      const onUpdate = this.spec.onUpdate;
      const current = merged;
      const replaced = await runHook(`${this.name} update refused`, () => onUpdate(current, patch));
      if (replaced && typeof replaced === 'object') merged = replaced;
    }
    if (this.spec.validate) {
      const validate = this.spec.validate;
      const current = merged;
      const replaced = await runHook(`${this.name} is invalid`, () => validate(current, patch));
      if (replaced && typeof replaced === 'object') merged = replaced;
    }
    return {
      ...merged,
      id: existing.id,
      createdAt: existing.createdAt,
      updatedAt: now,
      revision: existing.revision + 1,
    };
  }

  /** Asks the spec whether a record may be deleted; a refusal is a conflict. */
  async checkDelete(existing: StoredRecord): Promise<void> {
    const onDelete = this.spec.onDelete;
    if (onDelete) await runHook(`${this.name} cannot be deleted`, () => onDelete({ ...existing }), (message) => conflictError(message));
  }
}
