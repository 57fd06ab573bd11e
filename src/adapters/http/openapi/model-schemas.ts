/**
 * The JSON schemas of one model, from the declared data of its spec only:
 * record, create and patch schemas, and the equality filters of its lists.
 */
import { ID_PATTERN, OWNER_FIELD } from '../../../domain/field-schema.js';
import type { FieldSpec, ModelSpecification } from '../../../domain/model-spec.js';

export type Obj = Record<string, unknown>;

/**
 * Sets an own, enumerable property even for names like `__proto__`: field and
 * relation names come from remotes, and plain assignment would rewire the prototype.
 */
export function put(target: Obj, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A data-only copy of a JSON value from a spec (drops anything JSON cannot carry, functions included). */
export function jsonCopy(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

/**
 * One field as JSON Schema, mirroring field-schema.ts (date → date-time string,
 * defaults only outside patches, nested objects accept extra properties and keep
 * their `required` even in a patch, since a patch replaces the whole value).
 */
function fieldSchema(field: FieldSpec, forPatch: boolean): Obj {
  const schema: Obj = {};
  if (field.type === 'date') Object.assign(schema, { type: 'string', format: 'date-time' });
  else schema.type = field.type;
  if (field.enum !== undefined) schema.enum = jsonCopy(field.enum);
  for (const key of ['minimum', 'maximum', 'minLength', 'maxLength'] as const) {
    if (typeof field[key] === 'number') schema[key] = field[key];
  }
  if (typeof field.pattern === 'string') schema.pattern = field.pattern;
  if (typeof field.format === 'string') schema.format = field.format;
  if (field.default !== undefined && !forPatch) {
    const value = jsonCopy(field.default);
    if (value !== undefined) schema.default = value;
  }
  if (typeof field.description === 'string') schema.description = field.description;
  if (field.type === 'array' && field.items) schema.items = fieldSchema(field.items, false);
  if (field.type === 'object' && field.properties) Object.assign(schema, objectSchema(field.properties, { required: true, additional: true }));
  return schema;
}

function objectSchema(fields: Record<string, FieldSpec>, options: { required: boolean; additional: boolean }): Obj {
  const properties: Obj = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(fields)) {
    put(properties, name, fieldSchema(field, false));
    if (options.required && field.required) required.push(name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: options.additional };
}

/** Record, create and patch schemas of one model. */
export function modelSchemas(spec: ModelSpecification): { record: Obj; create: Obj; patch: Obj } {
  const fields = spec.fields;
  // Without declared fields any JSON object is accepted (and stored).
  const additional = fields === undefined || spec.additionalFields === true;
  const recordProps: Obj = {};
  const createProps: Obj = {};
  const patchProps: Obj = {};
  const createRequired: string[] = [];
  for (const [name, field] of Object.entries(fields ?? {})) {
    const input = fieldSchema(field, false);
    put(createProps, name, input);
    if (field.required) createRequired.push(name);
    // Read-only fields may be set on create but a PATCH naming them answers 400.
    if (!field.readOnly) put(patchProps, name, fieldSchema(field, true));
    if (field.sensitive) {
      // Reads return the encrypted envelope, not the declared type.
      put(recordProps, name, {
        description: `${field.description ? `${field.description} ` : ''}(stored encrypted: reads return the encrypted form; the \`decrypt\` command returns it in clear)`,
        ...(field.readOnly ? { readOnly: true } : {}),
      });
    } else {
      put(recordProps, name, field.readOnly ? { ...input, readOnly: true } : input);
    }
  }
  const host: Obj = {
    id: { type: 'string', pattern: ID_PATTERN.source, readOnly: true, description: 'Unique id, set by the host unless given on create.' },
    createdAt: { type: 'string', format: 'date-time', readOnly: true },
    updatedAt: { type: 'string', format: 'date-time', readOnly: true },
    revision: { type: 'integer', minimum: 1, readOnly: true, description: 'Grows by one on every update; sent as the ETag.' },
    flow: { type: 'object', readOnly: true, description: 'The flow of ports running (or last run) on this record.' },
  };
  if (spec.access?.owner === true) {
    put(host, OWNER_FIELD, { type: 'string', readOnly: true, description: 'Subject of the caller who created the record.' });
  }
  for (const [name, schema] of Object.entries(host)) put(recordProps, name, schema);
  // A client may choose the id on create (checked against the id pattern); no other host field is writable.
  put(createProps, 'id', { type: 'string', pattern: ID_PATTERN.source, description: 'Optional id chosen by the client.' });
  return {
    record: { type: 'object', properties: recordProps, required: ['id', 'createdAt', 'updatedAt', 'revision'], additionalProperties: additional },
    create: { type: 'object', properties: createProps, ...(createRequired.length ? { required: createRequired } : {}), additionalProperties: additional },
    patch: { type: 'object', properties: patchProps, additionalProperties: additional },
  };
}

/** Host and declared scalar fields usable as `?field=value`; an encrypted field only with `lookup`. */
export function filterParameters(spec: ModelSpecification): Obj[] {
  // The host fields are filterable on every model (see FieldSchema.queryableType).
  const params: Obj[] = [
    { name: 'id', in: 'query', required: false, description: 'Equality filter on `id`.', schema: { type: 'string' } },
    { name: 'createdAt', in: 'query', required: false, description: 'Equality filter on `createdAt`.', schema: { type: 'string', format: 'date-time' } },
    { name: 'updatedAt', in: 'query', required: false, description: 'Equality filter on `updatedAt`.', schema: { type: 'string', format: 'date-time' } },
    { name: 'revision', in: 'query', required: false, description: 'Equality filter on `revision`.', schema: { type: 'integer' } },
  ];
  for (const [name, field] of Object.entries(spec.fields ?? {})) {
    if (!['string', 'number', 'integer', 'boolean', 'date'].includes(field.type)) continue;
    if (field.sensitive && !field.lookup) continue;
    // Paging names and host fields are never declared-field filters (and duplicates would be invalid).
    if (['limit', 'offset', 'cursor', 'sort', 'count', 'id', 'createdAt', 'updatedAt', 'revision', 'flow'].includes(name)) continue;
    const schema: Obj = field.type === 'date' ? { type: 'string', format: 'date-time' } : { type: field.type };
    if (field.enum !== undefined) schema.enum = jsonCopy(field.enum);
    params.push({ name, in: 'query', required: false, description: `Equality filter on \`${name}\`.`, schema });
  }
  return params;
}
