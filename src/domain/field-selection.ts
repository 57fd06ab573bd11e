/**
 * Field selection, `?fields=a,b`: answers carry only the named fields and the
 * record's `id`. Names are checked against the model's fields (host fields are
 * always allowed), so a typo is a 400 naming it rather than a silently empty answer.
 */
import { badQueryError } from './errors.js';
import type { FieldSchema } from './field-schema.js';
import type { StoredRecord } from './model-spec.js';
import { isForbiddenField } from './query-operators.js';

/** The query parameter. */
export const FIELDS_PARAMETER = 'fields';

/** Always in a selected answer: a record without its id cannot be read again, changed or deleted. */
const ALWAYS = 'id';

/** More names than any model has fields; bounds the work a long parameter can cause. */
export const MAX_SELECTED_FIELDS = 100;

/**
 * The fields `value` (the parameter as written, comma-separated) selects, `id`
 * first. Throws MLB_ERR_BAD_QUERY (field `fields`) for an empty name, too many
 * names, or names the model does not have, naming every unknown one.
 */
export function readFieldSelection(value: string, schema: FieldSchema): readonly string[] {
  const names = value.split(',');
  if (names.length > MAX_SELECTED_FIELDS) throw badQueryError(`"${FIELDS_PARAMETER}" names at most ${MAX_SELECTED_FIELDS} fields`, FIELDS_PARAMETER);
  const selected = new Set<string>([ALWAYS]);
  const unknown: string[] = [];
  for (const name of names) {
    if (name === '') throw badQueryError(`"${FIELDS_PARAMETER}" has an empty name; write fields=a,b`, FIELDS_PARAMETER);
    if (isForbiddenField(name) || !schema.selectable(name)) unknown.push(name);
    else selected.add(name);
  }
  if (unknown.length > 0) {
    const list = unknown.map((name) => JSON.stringify(name.slice(0, 64))).join(', ');
    throw badQueryError(`"${FIELDS_PARAMETER}" names ${unknown.length === 1 ? 'a field' : 'fields'} this model does not have: ${list}`, FIELDS_PARAMETER);
  }
  return [...selected];
}

/** A copy of `record` with only `fields` (those it has). */
export function selectFields(record: StoredRecord, fields: readonly string[]): Partial<StoredRecord> {
  const selected: Record<string, unknown> = {};
  for (const name of fields) if (Object.hasOwn(record, name)) selected[name] = record[name];
  return selected as Partial<StoredRecord>;
}
