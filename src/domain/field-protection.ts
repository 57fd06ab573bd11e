/**
 * The sensitive fields of one model bound to the host's cipher: what the model
 * applies to request bodies (no ciphertext or hash smuggled in), to records
 * before they are stored (encrypted), to records model code and adapters see
 * (in clear) and to list queries (lookups through the keyed hash).
 */
import type { FieldCondition, ListQuery } from './datasource.js';
import { badQueryError, validationError } from './errors.js';
import type { FieldSpec, StoredRecord } from './model-spec.js';
import { decryptFields, encryptFields, hashFieldName, lookupConditions, lookupFilter, reencryptFields, sensitiveFieldsOf, type FieldCipher, type SensitiveFields } from './sensitive-fields.js';

export type { FieldCipher };

export class FieldProtection {
  private constructor(
    private readonly sensitive: SensitiveFields,
    private readonly cipher: FieldCipher,
  ) {}

  /** The protection of a model's fields, or undefined when none is sensitive. Throws for a bad spec or a missing key. */
  static of(modelName: string, fields: Record<string, FieldSpec> | undefined, cipher: FieldCipher | undefined): FieldProtection | undefined {
    const sensitive = sensitiveFieldsOf(fields);
    if (sensitive.names.length === 0) return undefined;
    if (!cipher) throw new Error(`model ${modelName} declares sensitive fields, but this host has no field encryption key`);
    return new FieldProtection(sensitive, cipher);
  }

  /**
   * Refuses a body that carries ciphertext or a lookup hash: a client copying
   * another record's encrypted value into its own could otherwise read it
   * through `decrypt`.
   */
  checkInput(body: Record<string, unknown>): void {
    for (const name of this.sensitive.names) {
      if (this.cipher.isEnvelope(body[name])) throw validationError(`"${name}" must be sent in clear; the host encrypts it`, name);
      const hash = hashFieldName(name);
      if (hash in body) throw validationError(`"${hash}" is set by the host and cannot be written`, hash);
    }
  }

  /** Encrypts the record's sensitive values in place (values already encrypted stay as they are). */
  seal<T extends Record<string, unknown>>(record: T): T {
    encryptFields(record, this.sensitive, this.cipher);
    return record;
  }

  /** A copy of the record with its sensitive values in clear and without hash fields. */
  reveal(record: StoredRecord): StoredRecord {
    return decryptFields(record, this.sensitive, this.cipher);
  }

  /**
   * A copy of the record with every value of a previous key written again under
   * the current one, or undefined when all its values are current already.
   * Throws an `MLB_ERR_INTERNAL` MicrolibError naming a field no key opens.
   */
  reencrypt(record: StoredRecord): StoredRecord | undefined {
    const copy = { ...record };
    return reencryptFields(copy, this.sensitive, this.cipher).length > 0 ? copy : undefined;
  }

  /**
   * While keys rotate, the query as it finds records whose lookup hashes are
   * still those of the previous key; undefined when keys do not rotate or the
   * query filters on no lookup field.
   */
  previousKeyQuery(query: ListQuery): ListQuery | undefined {
    const previous = this.cipher.previousLookupHash?.bind(this.cipher);
    if (!previous) return undefined;
    const lookups = this.sensitive.lookups;
    const onLookup = (condition: FieldCondition) => lookups.includes(condition.field) && condition.value !== null;
    const filtersOnLookup =
      lookups.some((name) => query.filter[name] !== undefined && query.filter[name] !== null) || query.where?.some(onLookup) || query.anyOf?.some((branch) => branch.some(onLookup));
    if (!filtersOnLookup) return undefined;
    let rotating = true;
    const hash = (field: string, value: string) => {
      const found = previous(field, value);
      if (found === undefined) rotating = false;
      return found ?? '';
    };
    const previousQuery: ListQuery = { ...query, filter: lookupFilter(query.filter, this.sensitive, this.cipher, hash) };
    if (query.where) previousQuery.where = lookupConditions(query.where, this.sensitive, this.cipher, hash);
    if (query.anyOf) previousQuery.anyOf = query.anyOf.map((branch) => lookupConditions(branch, this.sensitive, this.cipher, hash));
    return rotating ? previousQuery : undefined;
  }

  /**
   * The query with equality and `$in` on lookup fields turned into hash lookups;
   * other operators on an encrypted field, and sorting on one, are refused.
   */
  query(query: ListQuery): ListQuery {
    for (const key of query.sort) {
      if (this.sensitive.names.includes(key.field)) throw badQueryError(`"${key.field}" is encrypted and cannot be sorted on`, 'sort');
    }
    const protectedQuery: ListQuery = { ...query, filter: lookupFilter(query.filter, this.sensitive, this.cipher) };
    if (query.where) protectedQuery.where = lookupConditions(query.where, this.sensitive, this.cipher);
    if (query.anyOf) protectedQuery.anyOf = query.anyOf.map((branch) => lookupConditions(branch, this.sensitive, this.cipher));
    return protectedQuery;
  }
}
