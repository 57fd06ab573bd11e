/**
 * Checks the field specs a remote's model declares before they become JSON
 * Schemas. Every keyword the generated schema takes from a spec is checked here
 * (its type, enum, bounds, pattern, format, items, properties), so the schema
 * compiler need not validate what we generate against the JSON Schema
 * meta-schema: that validation compiled the meta-schema first, tens of ms of
 * every cold start. Errors name the field, e.g. `address.zip`.
 */
import type { FieldSpec } from './model-spec.js';

const FIELD_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'date', 'bigint', 'decimal']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isLength = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;

/** Throws an Error naming the first field whose spec cannot become a schema. */
export function checkFieldSpecs(fields: Record<string, FieldSpec>, parent = ''): void {
  for (const [name, field] of Object.entries(fields)) checkFieldSpec(field, parent ? `${parent}.${name}` : name);
}

function checkFieldSpec(field: FieldSpec, at: string): void {
  const fail = (problem: string): never => {
    throw new Error(`field "${at}": ${problem}`);
  };
  if (!isObject(field)) fail('must be an object such as { type: "string" }');
  if (!FIELD_TYPES.has(field.type)) fail(`type must be one of ${[...FIELD_TYPES].join(', ')}, got ${JSON.stringify(field.type)}`);
  if (field.enum !== undefined && !Array.isArray(field.enum)) fail('enum must be an array of allowed values');
  for (const bound of ['minimum', 'maximum'] as const) {
    if (field[bound] !== undefined && !Number.isFinite(field[bound])) fail(`${bound} must be a finite number`);
  }
  for (const bound of ['minLength', 'maxLength'] as const) {
    if (field[bound] !== undefined && !isLength(field[bound])) fail(`${bound} must be a whole number, 0 or more`);
  }
  if (field.pattern !== undefined) {
    if (typeof field.pattern !== 'string') fail('pattern must be a regular expression as text');
    try {
      // As the validator will use it: Unicode-aware.
      new RegExp(field.pattern, 'u');
    } catch (error) {
      fail(`pattern is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  if (field.format !== undefined && typeof field.format !== 'string') fail('format must be the name of a format, e.g. "email"');
  if (field.type === 'array' && field.items !== undefined) checkFieldSpec(field.items, `${at}[]`);
  if (field.type === 'object' && field.properties !== undefined) {
    if (!isObject(field.properties)) fail('properties must be an object of field specs');
    checkFieldSpecs(field.properties, at);
  }
}
