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

/** A spec hook that throws rejects the request with its message; host errors pass through. */
async function runHook<T>(what: string, hook: () => T | Promise<T>, toError = validationError): Promise<T> {
  try {
    return await hook();
  } catch (error) {
    if (error instanceof MicrolibError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw toError(`${what}: ${message}`);
  }
}

/** Keeps only JSON data: functions and undefined go, dates become ISO strings. */
function toData(value: ModelInstance): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
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

  /** Builds a new record from a create body. */
  async createRecord(body: Record<string, unknown>, id: string, now: string): Promise<StoredRecord> {
    this.schema.checkCreate(body);
    const { id: _ignored, ...input } = body;
    let instance = await runHook(`${this.name} factory`, () => this.createInstance(input));
    if (typeof instance !== 'object' || instance === null) throw validationError(`${this.name} factory did not return an object`);
    if (this.spec.validate) {
      const validate = this.spec.validate;
      const replaced = await runHook(`${this.name} is invalid`, () => validate(instance, input));
      if (replaced && typeof replaced === 'object') instance = replaced;
    }
    return { ...toData(instance), id, createdAt: now, updatedAt: now, revision: 1 };
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
      ...toData(merged),
      id: existing.id,
      createdAt: existing.createdAt,
      updatedAt: now,
      revision: existing.revision + 1,
    };
  }

  /** Asks the spec whether a record may be deleted; a refusal is a conflict. */
  async checkDelete(existing: StoredRecord): Promise<void> {
    const onDelete = this.spec.onDelete;
    if (onDelete) await runHook(`${this.name} cannot be deleted`, () => onDelete({ ...existing }), (m) => conflictError(m));
  }
}
