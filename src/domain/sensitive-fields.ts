/**
 * Field encryption as pure functions: which fields of a model are sensitive,
 * and how a record or a filter changes when they are stored encrypted. The
 * cryptography itself sits behind {@link FieldCipher}, so this module does no
 * I/O and imports nothing from Node.
 *
 * A `lookup` field also stores a keyed hash of its value in a sibling field
 * (`<name>__hash`), so equality filters work while every stored ciphertext
 * still uses a random IV.
 *
 * @packageDocumentation
 */
import type { FieldCondition } from './datasource.js';
import type { FieldSpec, Json } from './model-spec.js';
import { MicrolibError } from './errors.js';

/** Encrypts single field values. Implemented by an adapter (e.g. AES-256-GCM). */
export interface FieldCipher {
  /** Encrypts `plaintext` bound to `field` (associated data), so the result cannot be moved to another field. */
  encrypt(plaintext: string, field: string): string;
  /** Reverses {@link FieldCipher.encrypt}; throws, naming the field but never the value, when that fails. */
  decrypt(envelope: string, field: string): string;
  /** True when `value` has the shape of an envelope this cipher produces. */
  isEnvelope(value: unknown): boolean;
  /** A keyed hash of `value` for equality lookups; stable for one key, different per field. */
  lookupHash(field: string, value: string): string;
  /**
   * Whether an envelope was written with the key new values are written with.
   * False while keys rotate for a value of the previous key, which is then
   * written again under the current one. Absent: every envelope is current.
   */
  isCurrent?(envelope: string): boolean;
  /** The lookup hash under the previous key, while keys rotate; undefined otherwise. */
  previousLookupHash?(field: string, value: string): string | undefined;
}

/** The sensitive fields of one model. */
export interface SensitiveFields {
  /** Top-level fields stored encrypted. */
  readonly names: readonly string[];
  /** Those of `names` that also store a lookup hash. */
  readonly lookups: readonly string[];
}

const LOOKUP_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'date']);
const HASH_SUFFIX = '__hash';

/** Name of the stored top-level field that holds the lookup hash of `name`. */
export function hashFieldName(name: string): string {
  return `${name}${HASH_SUFFIX}`;
}

/** True when a nested spec (object properties or array items) marks anything sensitive. */
function marksNested(field: FieldSpec): boolean {
  const nested = [...Object.values(field.properties ?? {}), ...(field.items ? [field.items] : [])];
  return nested.some((inner) => inner.sensitive === true || inner.lookup === true || marksNested(inner));
}

/**
 * Reads the sensitive and lookup fields of a model's field specs. Only top-level
 * fields are encrypted. Throws a plain Error describing a bad spec: `lookup`
 * without `sensitive`, `lookup` on a non-scalar type, `sensitive` on a nested
 * field, or a declared field whose name a hash field would take.
 */
export function sensitiveFieldsOf(fields: Record<string, FieldSpec> | undefined): SensitiveFields {
  const names: string[] = [];
  const lookups: string[] = [];
  if (!fields) return { names, lookups };
  for (const [name, field] of Object.entries(fields)) {
    // Nested fields would otherwise be stored in clear while the spec says they are not.
    if (marksNested(field)) {
      throw new Error(`field "${name}": only top-level fields can be sensitive; mark "${name}" itself sensitive instead`);
    }
    if (field.lookup && !field.sensitive) throw new Error(`field "${name}" declares lookup without sensitive`);
    if (!field.sensitive) continue;
    if (field.lookup && !LOOKUP_TYPES.has(field.type)) {
      throw new Error(`field "${name}" of type ${field.type} cannot declare lookup: only string, number, integer, boolean and date can`);
    }
    // The hash field is written and removed by the host; a declared field of that name would be lost.
    if (Object.hasOwn(fields, hashFieldName(name))) {
      throw new Error(`field "${hashFieldName(name)}" cannot be declared: the host uses it for sensitive field "${name}"`);
    }
    names.push(name);
    if (field.lookup) lookups.push(name);
  }
  return { names, lookups };
}

/**
 * Encrypts the sensitive fields of `record` in place, and sets the hash field of
 * each lookup field. Only fields present with a value other than undefined or
 * null are encrypted (and, when `only` is given, only those named in it); values
 * that already are envelopes are kept, so a merged record can be passed as is,
 * except those of a previous key, written again under the current one (a value
 * that no key opens is kept as it is). A sensitive field set to null loses its
 * hash field.
 */
export function encryptFields(
  record: Record<string, unknown>,
  sensitive: SensitiveFields,
  cipher: FieldCipher,
  only?: ReadonlySet<string>,
): void {
  const lookups = new Set(sensitive.lookups);
  for (const name of sensitive.names) {
    if (only && !only.has(name)) continue;
    if (!Object.hasOwn(record, name)) continue;
    const value = record[name];
    if (value === undefined) continue;
    if (value === null) {
      // A stale hash would still find the record by its old value.
      delete record[hashFieldName(name)];
      continue;
    }
    if (cipher.isEnvelope(value)) {
      if (cipher.isCurrent?.(value as string) === false) {
        try {
          reencrypt(record, name, value as string, lookups.has(name), cipher);
        } catch {
          // Unreadable under every key: it stays unreadable, and must not fail a write of other fields.
        }
      }
      continue;
    }
    const canonical = JSON.stringify(value);
    record[name] = cipher.encrypt(canonical, name);
    if (lookups.has(name)) record[hashFieldName(name)] = cipher.lookupHash(name, canonical);
  }
}

/** Writes one envelope again under the current key, with its lookup hash. Throws when no key opens it. */
function reencrypt(record: Record<string, unknown>, name: string, envelope: string, lookup: boolean, cipher: FieldCipher): void {
  // Decrypted and encrypted again as is: the plaintext is already the canonical JSON.
  const canonical = cipher.decrypt(envelope, name);
  record[name] = cipher.encrypt(canonical, name);
  if (lookup) record[hashFieldName(name)] = cipher.lookupHash(name, canonical);
}

/**
 * Writes every envelope of `record` that is not under the current key again
 * under it (with its lookup hash), in place; returns the names of the fields
 * it rewrote. Throws an `MLB_ERR_INTERNAL` MicrolibError naming the field when
 * no key opens a value.
 */
export function reencryptFields(record: Record<string, unknown>, sensitive: SensitiveFields, cipher: FieldCipher): string[] {
  if (!cipher.isCurrent) return [];
  const lookups = new Set(sensitive.lookups);
  const rewritten: string[] = [];
  for (const name of sensitive.names) {
    const value = record[name];
    if (!cipher.isEnvelope(value) || cipher.isCurrent(value as string)) continue;
    try {
      reencrypt(record, name, value as string, lookups.has(name), cipher);
    } catch (error) {
      throw new MicrolibError('MLB_ERR_INTERNAL', `field "${name}" could not be decrypted`, name, { cause: error });
    }
    rewritten.push(name);
  }
  return rewritten;
}

/**
 * Returns a copy of `record` with each encrypted sensitive field back in clear and
 * the hash fields removed. Values that are not envelopes (null, or data written
 * before the field became sensitive) are returned as stored. The copy is shallow.
 * Throws an `MLB_ERR_INTERNAL` MicrolibError naming the field when a value cannot
 * be decrypted.
 */
export function decryptFields<T extends Record<string, unknown>>(record: T, sensitive: SensitiveFields, cipher: FieldCipher): T {
  const copy: Record<string, unknown> = { ...record };
  for (const name of sensitive.names) {
    // Removed for every sensitive field, so a hash left from an earlier `lookup` never leaks.
    delete copy[hashFieldName(name)];
    const value = copy[name];
    if (!cipher.isEnvelope(value)) continue;
    let plaintext: string;
    try {
      plaintext = cipher.decrypt(value as string, name);
    } catch (error) {
      throw new MicrolibError('MLB_ERR_INTERNAL', `field "${name}" could not be decrypted`, name, { cause: error });
    }
    try {
      copy[name] = JSON.parse(plaintext) as unknown;
    } catch {
      // No cause: JSON.parse's message quotes the text, which is the secret.
      throw new MicrolibError('MLB_ERR_INTERNAL', `field "${name}" could not be decrypted: its plaintext is not JSON`, name);
    }
  }
  return copy as T;
}

/**
 * Rewrites an equality filter for stored data: an equality on a lookup field
 * becomes an equality on its hash field. An equality on another sensitive field
 * throws an `MLB_ERR_BAD_QUERY` MicrolibError, since its ciphertext never equals
 * anything. A null value is kept as is, because null is stored in clear.
 * `hash` computes the hashes (default: the cipher's current key).
 */
export function lookupFilter(
  filter: Readonly<Record<string, Json>>,
  sensitive: SensitiveFields,
  cipher: FieldCipher,
  hash: (field: string, value: string) => string = (field, value) => cipher.lookupHash(field, value),
): Record<string, Json> {
  const names = new Set(sensitive.names);
  const lookups = new Set(sensitive.lookups);
  const result: Record<string, Json> = {};
  for (const [field, value] of Object.entries(filter)) {
    if (!names.has(field) || value === null) {
      result[field] = value;
    } else if (lookups.has(field)) {
      // Same canonical form as encryptFields, so equal values give equal hashes.
      result[hashFieldName(field)] = hash(field, JSON.stringify(value));
    } else {
      throw new MicrolibError(
        'MLB_ERR_BAD_QUERY',
        `cannot filter by "${field}": it is encrypted and not declared with \`lookup: true\``,
        field,
      );
    }
  }
  return result;
}

/**
 * Rewrites the conditions of a list query (`where`, one `anyOf` branch) for
 * stored data, as {@link lookupFilter} does equality: `eq` and `in` on a lookup
 * field become the same on its hash field (`eq` null is kept, null is stored in
 * clear). Any other operator on a sensitive field, or any operator on one
 * without `lookup`, throws an `MLB_ERR_BAD_QUERY` MicrolibError naming the field:
 * ciphertext neither orders nor shares prefixes with its plaintext.
 */
export function lookupConditions(
  conditions: readonly FieldCondition[],
  sensitive: SensitiveFields,
  cipher: FieldCipher,
  lookupHash: (field: string, value: string) => string = (field, value) => cipher.lookupHash(field, value),
): FieldCondition[] {
  const names = new Set(sensitive.names);
  const lookups = new Set(sensitive.lookups);
  const hash = (field: string, value: Json) => lookupHash(field, JSON.stringify(value));
  return conditions.map((condition) => {
    const { field } = condition;
    if (!names.has(field)) return condition;
    if (lookups.has(field)) {
      if (condition.op === 'eq') return condition.value === null ? condition : { field: hashFieldName(field), op: 'eq', value: hash(field, condition.value) };
      if (condition.op === 'in' && !condition.value.includes(null)) {
        return { field: hashFieldName(field), op: 'in', value: condition.value.map((value) => hash(field, value)) };
      }
      throw new MicrolibError('MLB_ERR_BAD_QUERY', `cannot use ${condition.op === 'in' ? '$in with null' : `$${condition.op}`} on "${field}": it is encrypted, and takes only = and $in`, field);
    }
    throw new MicrolibError('MLB_ERR_BAD_QUERY', `cannot filter by "${field}": it is encrypted and not declared with \`lookup: true\``, field);
  });
}
