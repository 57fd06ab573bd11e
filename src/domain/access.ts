/**
 * Access rules of a model (`access` in its spec) applied to a caller: which
 * permissions each operation needs, and the owner rule. Only enforced for an
 * authenticated caller; without authentication there is no caller to check.
 */
import { MicrolibError } from './errors.js';
import type { AccessSpec, StoredRecord } from './model-spec.js';

export type Operation = 'read' | 'create' | 'update' | 'delete';

/** Who asks. Until authentication is on, requests carry no caller and nothing is checked. */
export interface Caller {
  /**
   * Who the caller is, for the owner rule: the token's `sub`, or the first
   * fallback claim the key set's `ownerClaims` names. Absent when the token
   * names nobody: such a caller is refused on owner-protected models.
   */
  subject?: string;
  /** Permissions from the token's claims. */
  permissions?: readonly string[];
  /**
   * The bearer token the caller presented. Passed on only when this host reads a
   * model another node of the same application serves, on the caller's behalf;
   * never logged, stored or sent to hosts outside the application definition.
   */
  credential?: string;
}

function holds(caller: Caller, modelName: string, permission: string): boolean {
  const permissions = caller.permissions ?? [];
  return permissions.includes(permission) || permissions.includes(`${modelName}:*`) || permissions.includes('*');
}

/** Refuses (403) an operation whose permissions the caller lacks. */
export function checkOperation(modelName: string, access: AccessSpec | undefined, operation: Operation, caller: Caller | undefined): void {
  if (caller === undefined) return;
  const needed = access?.[operation] ?? [`${modelName}:${operation}`];
  const missing = needed.filter((permission) => !holds(caller, modelName, permission));
  if (missing.length > 0) throw new MicrolibError('MLB_ERR_FORBIDDEN', `${operation} on ${modelName} needs the permission${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
}

/** Permissions a command needs (its `acl`), checked like an operation's. */
export function checkPermissions(what: string, modelName: string, needed: readonly string[], caller: Caller | undefined): void {
  if (caller?.permissions === undefined) return;
  const missing = needed.filter((permission) => !holds(caller, modelName, permission));
  if (missing.length > 0) throw new MicrolibError('MLB_ERR_FORBIDDEN', `${what} needs the permission${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
}

/**
 * Whether the owner rule restricts this caller to its own records: the owner
 * they must have. A caller naming nobody is refused (403), for reads, lists and
 * writes alike: callers without an identity would otherwise all share one owner.
 */
export function ownedBy(modelName: string, access: AccessSpec | undefined, caller: Caller | undefined): string | undefined {
  if (!access?.owner || caller === undefined || holds(caller, modelName, `${modelName}:admin`)) return undefined;
  if (caller.subject === undefined || caller.subject === '') {
    throw new MicrolibError('MLB_ERR_FORBIDDEN', `${modelName} keeps each record to its owner, and this token names no owner (no "sub" nor another identity claim the key set's ownerClaims lists)`);
  }
  return caller.subject;
}

/** A record hidden by the owner rule looks like one that does not exist (no leak of its existence). */
export function checkOwner(modelName: string, record: StoredRecord, owner: string | undefined): void {
  if (owner !== undefined && record.owner !== owner) throw new MicrolibError('MLB_ERR_NOT_FOUND', `${modelName} ${record.id} not found`);
}
