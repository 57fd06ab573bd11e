/**
 * The JSON schemas of one model, from the declared data of its spec only:
 * record, create and patch schemas, and the filters of its lists.
 */
import { ID_PATTERN, OWNER_FIELD } from '../../../domain/field-schema.js';
import type { FieldSpec, ModelSpecification } from '../../../domain/model-spec.js';
import { MAX_CONDITIONS, MAX_LIST_VALUES, MAX_OR_BRANCHES, operatorsFor, type FilterType, type QueryOperatorName } from '../../../domain/query-operators.js';

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

/** `bigint` and `decimal` fields as JSON carries them: strings (see FieldType in domain/model-spec.ts). */
const SERIALIZED = {
  bigint: {
    type: 'string',
    pattern: '^-?(0|[1-9][0-9]{0,18})$',
    format: 'int64',
    description: 'A signed 64-bit integer as a decimal string (a 64-bit integer in MessagePack).',
  },
  decimal: { type: 'string', pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$', format: 'decimal', description: 'An exact decimal number as a string, kept as written.' },
} as const;

/**
 * One field as JSON Schema, mirroring field-schema.ts (date → date-time string,
 * defaults only outside patches, nested objects accept extra properties and keep
 * their `required` even in a patch, since a patch replaces the whole value).
 */
function fieldSchema(field: FieldSpec, forPatch: boolean): Obj {
  const schema: Obj = {};
  if (field.type === 'date') Object.assign(schema, { type: 'string', format: 'date-time' });
  else if (field.type === 'bigint' || field.type === 'decimal') Object.assign(schema, SERIALIZED[field.type]);
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

/** A value of a field of `type` for examples (the first enum value when there is one). */
function exampleOf(type: FilterType, enumValues: readonly unknown[] | undefined, second = false): unknown {
  if (enumValues && enumValues.length > 0) return jsonCopy(enumValues[second && enumValues.length > 1 ? 1 : 0]);
  switch (type) {
    case 'number':
      return second ? 99.5 : 10;
    case 'integer':
      return second ? 20 : 10;
    case 'boolean':
      return !second;
    case 'date':
      return second ? '2024-06-01T00:00:00Z' : '2024-05-01T00:00:00Z';
    case 'bigint':
      return second ? '9007199254740993' : '9007199254740992';
    case 'decimal':
      return second ? '99.50' : '12.30';
    default:
      return second ? 'b' : 'a';
  }
}

const OPERATOR_TEXT: Record<QueryOperatorName, string> = {
  $ne: 'not equal to the value (also records without the field)',
  $gt: 'greater than the value',
  $gte: 'greater than or equal to the value',
  $lt: 'less than the value',
  $lte: 'less than or equal to the value',
  $in: 'equal to one of the comma-separated values',
  $nin: 'equal to none of the comma-separated values (also records without the field)',
  $exists: '`true`: records that have the field (null included); `false`: records without it',
  $prefix: 'a string starting with the value (case-sensitive)',
};

/** The query parameters of one field: equality (unless `exists only`) and each operator its type takes. */
function fieldParameters(name: string, type: FilterType | undefined, schema: Obj, enumValues: readonly unknown[] | undefined, only?: readonly QueryOperatorName[]): Obj[] {
  const params: Obj[] = [];
  if (type) params.push({ name, in: 'query', required: false, description: `Equality filter on \`${name}\`.`, schema, example: exampleOf(type, enumValues) });
  for (const operator of operatorsFor(type)) {
    if (only && !only.includes(operator)) continue;
    let description = `Records whose \`${name}\` is ${OPERATOR_TEXT[operator]}.`;
    let valueSchema: Obj = schema;
    let example: unknown = type ? exampleOf(type, enumValues) : true;
    if (operator === '$in' || operator === '$nin') {
      description += ` Write \`\\,\` for a comma inside a value and \`\\\\\` for a backslash; the parameter may repeat; at most ${MAX_LIST_VALUES} values in all.`;
      valueSchema = { type: 'string' };
      example = `${String(exampleOf(type!, enumValues))},${String(exampleOf(type!, enumValues, true))}`;
    } else if (operator === '$exists') {
      valueSchema = { type: 'boolean' };
      example = true;
    } else if (operator === '$prefix') {
      valueSchema = { type: 'string', minLength: 1 };
    } else if (type === 'date' && operator !== '$ne') {
      description += ' Compared as instants: `2024-05-01T12:00:00+02:00` is `2024-05-01T10:00:00Z`; without an offset the time is UTC.';
    }
    params.push({ name: `${name}[${operator}]`, in: 'query', required: false, description, schema: valueSchema, example });
  }
  return params;
}

/** The `$or` parameter: the syntax and limits of an "or" of conditions, with an example. */
const OR_PARAMETER: Obj = {
  name: '$or',
  in: 'query',
  required: false,
  style: 'deepObject',
  explode: true,
  description:
    `Records that meet all conditions of at least one branch: \`$or[<branch>][<field>]=value\` or \`$or[<branch>][<field>][<operator>]=value\`, ` +
    `with the fields and operators listed above, e.g. \`$or[0][status]=open&$or[1][total][$gt]=100\`. ` +
    `At most ${MAX_OR_BRANCHES} branches (0 to ${MAX_OR_BRANCHES - 1}), no \`$or\` inside a branch, and at most ${MAX_CONDITIONS} filters per request.`,
  schema: { type: 'object' },
};

/**
 * Host and declared fields usable as filters: `?field=value` and
 * `?field[$op]=value` for each operator the field's type takes (see
 * domain/query-operators.ts), `$exists` alone for object and array fields, and
 * an encrypted field only with `lookup` (equality and `$in`); then `$or`.
 */
export function filterParameters(spec: Pick<ModelSpecification, 'fields'>): Obj[] {
  // The host fields are filterable on every model (see FieldSchema.queryableType).
  const dateTime = { type: 'string', format: 'date-time' };
  const params: Obj[] = [
    ...fieldParameters('id', 'string', { type: 'string' }, undefined),
    ...fieldParameters('createdAt', 'date', dateTime, undefined),
    ...fieldParameters('updatedAt', 'date', dateTime, undefined),
    ...fieldParameters('revision', 'integer', { type: 'integer' }, undefined),
  ];
  for (const [name, field] of Object.entries(spec.fields ?? {})) {
    // Paging names and host fields are never declared-field filters (and duplicates would be invalid).
    if (['limit', 'offset', 'cursor', 'sort', 'count', 'fields', 'id', 'createdAt', 'updatedAt', 'revision', 'flow', '$or'].includes(name)) continue;
    if (field.sensitive && !field.lookup) continue;
    const scalar = ['string', 'number', 'integer', 'boolean', 'date', 'bigint', 'decimal'].includes(field.type);
    const schema: Obj = field.type === 'date' ? { ...dateTime } : field.type === 'bigint' || field.type === 'decimal' ? { ...SERIALIZED[field.type] } : { type: field.type };
    if (scalar && field.enum !== undefined) schema.enum = jsonCopy(field.enum);
    const type = scalar ? (field.type as FilterType) : undefined;
    params.push(...fieldParameters(name, type, schema, field.enum, field.sensitive ? ['$in'] : undefined));
  }
  params.push(OR_PARAMETER);
  return params;
}
