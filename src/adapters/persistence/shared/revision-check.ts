/** The optimistic-concurrency rule shared by every datasource's `replace` and `delete`. */
import { conflictError, notFoundError } from '../../../domain/errors.js';
import type { StoredRecord } from '../../../domain/model-spec.js';

/**
 * The rule `replace` and `delete` share: the record must exist (for replace) and,
 * when the caller names a revision, still be at that revision.
 * @throws MicrolibError `MLB_ERR_NOT_FOUND` or `MLB_ERR_CONFLICT`.
 */
export function checkRevision(
  collectionName: string,
  id: string,
  stored: StoredRecord | undefined,
  expectedRevision: number | undefined,
  operation: 'replace' | 'delete',
): asserts stored is StoredRecord {
  if (!stored) throw notFoundError(`No record with id "${id}" in ${collectionName}`);
  if (expectedRevision !== undefined && stored.revision !== expectedRevision) {
    throw conflictError(
      `Cannot ${operation} record "${id}" in ${collectionName}: it is at revision ${String(stored.revision)}, not ${String(expectedRevision)}`,
      'revision',
    );
  }
}
