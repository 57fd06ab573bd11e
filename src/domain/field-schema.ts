/**
 * Turns a model's field specs into validators (Ajv, compiled once per loaded
 * version) and answers which fields can be filtered and sorted on. Errors name
 * the offending field, e.g. `items[0].quantity`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FieldSpec, Json } from './model-spec.js';
import { validationError } from './errors.js';
import { checkFieldSpecs } from './field-spec-check.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** Fields the host sets; a body may not write them (except `id` on create). */
export const HOST_FIELDS = ['id', 'createdAt', 'updatedAt', 'revision', 'flow'] as const;
/** Set by the host only on models with the owner rule (`access.owner`); elsewhere an ordinary field name. */
export const OWNER_FIELD = 'owner';
/** Ids the host accepts; names every object inherits are refused, as they are as body keys. */
export const ID_PATTERN = /^(?!(?:__proto__|constructor|prototype)$)[A-Za-z0-9_-]{1,64}$/;
/** What ID_PATTERN says, for error messages. */
export const ID_RULE = '"id" must be 1 to 64 letters, digits, "_" or "-", and not __proto__, constructor or prototype';

type JsonSchema = Record<string, unknown>;

function toJsonSchema(field: FieldSpec, forPatch: boolean): JsonSchema {
  const schema: JsonSchema = {};
  if (field.type === 'date') Object.assign(schema, { type: 'string', format: 'date-time' });
  // Their serializers (field-serializers.ts) have put them into their stored text already.
  else if (field.type === 'bigint' || field.type === 'decimal') schema.type = 'string';
  else schema.type = field.type;
  for (const key of ['enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'format'] as const) {
    if (field[key] !== undefined) schema[key] = field[key];
  }
  if (field.default !== undefined && !forPatch) schema.default = field.default;
  if (field.type === 'array' && field.items) schema.items = toJsonSchema(field.items, false);
  if (field.type === 'object' && field.properties) Object.assign(schema, objectSchema(field.properties, false, true));
  return schema;
}

function objectSchema(fields: Record<string, FieldSpec>, forPatch: boolean, additional: boolean): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(fields)) {
    properties[name] = toJsonSchema(field, forPatch);
    if (field.required && !forPatch) required.push(name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: additional };
}

/** `/items/0/quantity` → `items[0].quantity`. */
function fieldPath(error: ErrorObject): string {
  const parts = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const extra = (error.params as { missingProperty?: string; additionalProperty?: string });
  const leaf = extra.missingProperty ?? extra.additionalProperty;
  if (leaf !== undefined) parts.push(leaf);
  return parts.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function describe(error: ErrorObject, field: string): string {
  switch (error.keyword) {
    case 'required':
      return `"${field}" is required`;
    case 'additionalProperties':
      return `"${field}" is not a field of this model`;
    case 'enum':
      return `"${field}" must be one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}`;
    default:
      return `"${field}" ${error.message ?? 'is invalid'}`;
  }
}

export interface FieldSchema {
  /** True when the spec declares `fields`; false accepts any JSON object. */
  readonly declared: boolean;
  /** Validates a create body in place (applies defaults). Throws a validation error naming the field. */
  checkCreate(body: Record<string, unknown>): void;
  /** Validates a patch body. Throws on read-only or unknown fields. */
  checkPatch(patch: Record<string, unknown>): void;
  /** The type of a field usable in filters and sort, or undefined when it is not one. */
  queryableType(field: string): 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'bigint' | 'decimal' | 'any' | undefined;
  /** The values a declared field's `enum` allows, or undefined when it declares none. */
  enumOf(field: string): readonly Json[] | undefined;
  /**
   * Whether a record of this model may have `field` at all: a host field, a
   * declared field of any type, or (on a model without declared fields) any plain name.
   */
  hasField(field: string): boolean;
  /**
   * Whether `?fields=` may name `field`: a host field (`flow` included), a declared
   * field, or any plain name on a model without declared fields or with `additionalFields`.
   */
  selectable(field: string): boolean;
}

const SCALARS = new Set(['string', 'number', 'integer', 'boolean', 'date', 'bigint', 'decimal']);
const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

interface Validators {
  create: ValidateFunction;
  patch: ValidateFunction;
}

/**
 * Compiled validators by schema text. A reload usually keeps a model's schema,
 * and compiling is most of a reload's CPU time, so identical schemas reuse their
 * validators. Bounded, because each entry holds its compiled functions.
 */
const compiled = new Map<string, Validators>();

/** One Ajv instance for every model. */
let ajvInstance: Ajv | undefined;
function sharedAjv(): Ajv {
  if (!ajvInstance) {
    // validateSchema: the field specs are checked before they become schemas (field-spec-check.ts); validating
    // our own output against the meta-schema would compile that first, tens of ms of every cold start.
    ajvInstance = new Ajv({ allErrors: false, useDefaults: true, strict: false, coerceTypes: false, validateSchema: false });
    addFormats(ajvInstance);
  }
  return ajvInstance;
}
const COMPILED_MAX = 256;

function validatorsFor(fields: Record<string, FieldSpec>, additional: boolean): Validators {
  const createSchema = objectSchema(fields, false, additional);
  // A client may choose the id on create; it is checked before the schema runs.
  (createSchema.properties as Record<string, JsonSchema>).id = {};
  const patchSchema = objectSchema(fields, true, additional);
  const key = JSON.stringify([createSchema, patchSchema]);
  const hit = compiled.get(key);
  if (hit) {
    // Refresh its place: the map's order is least recently used first.
    compiled.delete(key);
    compiled.set(key, hit);
    return hit;
  }
  const ajv = sharedAjv();
  const validators = { create: ajv.compile(createSchema), patch: ajv.compile(patchSchema) };
  // The validators live on without them: the instance keeps no schema it compiled (the map above bounds what is kept).
  ajv.removeSchema(createSchema).removeSchema(patchSchema);
  compiled.set(key, validators);
  if (compiled.size > COMPILED_MAX) compiled.delete(compiled.keys().next().value as string);
  return validators;
}

/** Compiles the field specs of one model; throws a plain Error describing a bad spec. */
export function compileFieldSchema(fields: Record<string, FieldSpec> | undefined, additionalFields: boolean, ownerRule = false): FieldSchema {
  const hostFields: readonly string[] = ownerRule ? [...HOST_FIELDS, OWNER_FIELD] : HOST_FIELDS;
  const hostFieldSet = new Set<string>(hostFields);
  let createValidator: ValidateFunction | undefined;
  let patchValidator: ValidateFunction | undefined;
  const readOnly = new Set<string>();
  if (fields) {
    for (const [name, field] of Object.entries(fields)) {
      if (hostFieldSet.has(name)) throw new Error(`field "${name}" is set by the host and cannot be declared`);
      if (!SAFE_NAME.test(name)) throw new Error(`field name "${name}" must be a plain identifier`);
    }
    try {
      checkFieldSpecs(fields);
      for (const [name, field] of Object.entries(fields)) if (field.readOnly) readOnly.add(name);
      ({ create: createValidator, patch: patchValidator } = validatorsFor(fields, additionalFields));
    } catch (error) {
      throw new Error(`invalid field schema: ${(error as Error).message}`);
    }
  }

  const run = (validator: ValidateFunction | undefined, body: Record<string, unknown>) => {
    if (!validator || validator(body)) return;
    const error = validator.errors![0]!;
    const field = fieldPath(error);
    throw validationError(describe(error, field), field || undefined);
  };

  const rejectHostFields = (body: Record<string, unknown>, allowId: boolean) => {
    for (const name of hostFields) {
      if (!(name in body)) continue;
      if (name === 'id' && allowId) {
        if (typeof body.id !== 'string' || !ID_PATTERN.test(body.id)) {
          throw validationError(ID_RULE, 'id');
        }
        continue;
      }
      throw validationError(`"${name}" is set by the host and cannot be written`, name);
    }
  };

  return {
    declared: fields !== undefined,
    checkCreate(body) {
      rejectHostFields(body, true);
      run(createValidator, body);
    },
    checkPatch(patch) {
      rejectHostFields(patch, false);
      for (const name of Object.keys(patch)) {
        if (readOnly.has(name)) throw validationError(`"${name}" is read-only and cannot be changed`, name);
      }
      run(patchValidator, patch);
    },
    queryableType(field) {
      if (field === 'id' || field === 'createdAt' || field === 'updatedAt') return field === 'id' ? 'string' : 'date';
      if (field === 'revision') return 'integer';
      if (field === 'flow') return undefined;
      if (!fields) return SAFE_NAME.test(field) ? 'any' : undefined;
      const spec = fields[field];
      if (!spec || !SCALARS.has(spec.type)) return undefined;
      return spec.type as 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'bigint' | 'decimal';
    },
    enumOf(field) {
      const spec = fields && Object.hasOwn(fields, field) ? fields[field] : undefined;
      return spec?.enum;
    },
    hasField(field) {
      if (hostFieldSet.has(field)) return field !== 'flow';
      if (!fields) return SAFE_NAME.test(field);
      return Object.hasOwn(fields, field);
    },
    selectable(field) {
      if (hostFieldSet.has(field)) return true;
      if (!fields || additionalFields) return SAFE_NAME.test(field);
      return Object.hasOwn(fields, field);
    },
  };
}
