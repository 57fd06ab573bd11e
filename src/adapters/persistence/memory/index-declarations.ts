/**
 * The `indexes` option of the memory and file datasources, in the shape the
 * MongoDB datasource reads (`[{ fields: { total: 1 } }, { fields: { status: 1, createdAt: -1 } }]`),
 * so a spec can move between datasources unchanged, plus MongoDB's `'hashed'`
 * for an equality-only index. Checked when the datasource is created, so a bad
 * spec fails when its model loads.
 */
import { validationError } from '../../../domain/errors.js';

/** One field of an index and its direction. */
export interface IndexField {
  field: string;
  direction: 1 | -1;
}

/** A checked index declaration. */
export interface IndexDeclaration {
  /** The given name, or one made of the fields (`status_1_createdAt_-1`, as MongoDB names them). */
  name: string;
  /** Most significant first. */
  fields: IndexField[];
  /** A hash index (one field, equality and `$in` only) instead of a sorted one. */
  hashed: boolean;
}

/** Conditions name top-level fields only, so an index does too. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const INDEX_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
/** Every index costs memory and time on each write: a bound against a spec that asks for hundreds. */
export const MAX_INDEXES = 32;
export const MAX_INDEX_FIELDS = 16;

/**
 * Reads the `indexes` option: an array of `{ fields, name? }`, where `fields`
 * maps field names to 1 (ascending), -1 (descending) or `'hashed'` (alone).
 * @throws MicrolibError `MLB_ERR_VALIDATION` (field `indexes`) naming the entry at fault.
 */
export function readIndexDeclarations(value: unknown): IndexDeclaration[] {
  if (value === undefined) return [];
  const bad = (why: string) => validationError(`indexes: ${why}`, 'indexes');
  if (!Array.isArray(value)) throw bad('must be an array of { fields, name? }');
  if (value.length > MAX_INDEXES) throw bad(`at most ${MAX_INDEXES} indexes per collection`);
  const names = new Set<string>();
  const shapes = new Set<string>();
  return value.map((spec: unknown, i) => {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw bad(`entry ${i} must be an object`);
    const { fields, unique, name } = spec as { fields?: unknown; unique?: unknown; name?: unknown };
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields) || Object.keys(fields).length === 0) {
      throw bad(`entry ${i} needs "fields", e.g. { "total": 1 }`);
    }
    const entries = Object.entries(fields as Record<string, unknown>);
    if (entries.length > MAX_INDEX_FIELDS) throw bad(`entry ${i} has more than ${MAX_INDEX_FIELDS} fields`);
    const hashed = entries.some(([, direction]) => direction === 'hashed');
    if (hashed && entries.length > 1) throw bad(`entry ${i}: a "hashed" index takes one field on this datasource`);
    const indexFields = entries.map(([field, direction]): IndexField => {
      if (!FIELD_NAME.test(field) || field === '__proto__') throw bad(`entry ${i}: "${field}" is not a top-level field name (conditions name top-level fields only)`);
      if (direction !== 1 && direction !== -1 && direction !== 'hashed') throw bad(`entry ${i}: the direction of "${field}" must be 1, -1 or "hashed"`);
      return { field, direction: direction === -1 ? -1 : 1 };
    });
    if (unique !== undefined && unique !== false) {
      throw bad(`entry ${i}: "unique" is enforced by the mongodb datasource only; the memory and file datasources index for speed, not uniqueness`);
    }
    if (name !== undefined && (typeof name !== 'string' || !INDEX_NAME.test(name))) throw bad(`entry ${i}: "name" must be a short plain name`);
    const declared: IndexDeclaration = {
      name: (name as string | undefined) ?? indexFields.map((f) => `${f.field}_${hashed ? 'hashed' : f.direction}`).join('_'),
      fields: indexFields,
      hashed,
    };
    const shape = `${hashed}:${JSON.stringify(indexFields)}`;
    if (shapes.has(shape)) throw bad(`entry ${i} repeats the fields of an earlier index`);
    if (names.has(declared.name)) throw bad(`entry ${i}: another index is already named "${declared.name}"`);
    shapes.add(shape);
    names.add(declared.name);
    return declared;
  });
}
