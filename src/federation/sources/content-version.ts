/**
 * The version of a build that has no version of its own (a folder, a web
 * server): a hash of its content, so the same bytes always name the same
 * cached snapshot and a changed build names a new one.
 */
import { createHash } from 'node:crypto';

/** `sha256-` and the first 20 hex digits of the SHA-256 of `parts`, in order. */
export function contentVersion(parts: Iterable<string | Uint8Array>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return `sha256-${hash.digest('hex').slice(0, 20)}`;
}
