/** Collection names become file names, so they are checked before any path is built from them. */
import { validationError } from '../../../domain/errors.js';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Returns the name when it is a safe file name stem: letters, digits, `_`, `-`
 * and `.`, starting with a letter or digit, at most 128 characters, no `..`.
 * @throws MicrolibError `MLB_ERR_VALIDATION` (field `collection`) otherwise.
 */
export function checkCollectionName(name: unknown): string {
  if (typeof name !== 'string' || !SAFE_NAME.test(name) || name.includes('..')) {
    throw validationError(
      `Collection name ${JSON.stringify(name)} is not a safe file name (letters, digits, "_", "-", "."; no path separators or "..")`,
      'collection',
    );
  }
  return name;
}
