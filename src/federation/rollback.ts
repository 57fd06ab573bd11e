/**
 * Which kept version a rollback returns to, and the errors when there is none.
 * The errors carry a `code` so the HTTP adapter can map them without importing
 * federation.
 */
import type { RemoteState } from './remote-state.js';

/**
 * A rollback found nothing to return to (no kept version, an ambiguous prefix, or
 * the version already served). `code` lets callers recognise it without importing this class.
 */
export class NoPreviousVersionError extends Error {
  readonly code = 'NO_PREVIOUS_VERSION';
}

/** A rollback named a version the remote does not keep; `code` as above. */
export class UnknownVersionError extends Error {
  readonly code = 'UNKNOWN_VERSION';
}

/**
 * The version a rollback of the remote loads: the newest kept one, or the kept
 * version `to` names (in full, or a prefix only one kept version starts with).
 * Throws NoPreviousVersionError or UnknownVersionError when there is none.
 */
export function rollbackVersion(state: RemoteState, to?: string): string {
  const name = state.entry.name;
  const kept = state.history.filter((h) => h.version !== state.current?.version);
  if (kept.length === 0) throw new NoPreviousVersionError(`remote "${name}" has no previous version to roll back to`);
  if (to === undefined) return kept[0]!.version;
  const exact = kept.find((h) => h.version === to);
  const matches = exact ? [exact] : kept.filter((h) => h.version.startsWith(to));
  if (matches.length === 1) return matches[0]!.version;
  if (matches.length > 1) throw new NoPreviousVersionError(`"${to}" matches ${matches.length} kept versions of remote "${name}"; give more of it`);
  if (state.current?.version.startsWith(to)) throw new NoPreviousVersionError(`remote "${name}" already serves ${state.current.version}`);
  throw new UnknownVersionError(`remote "${name}" keeps no version "${to}" (kept: ${kept.map((h) => h.version).join(', ')})`);
}
