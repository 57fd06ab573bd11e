/**
 * Whether a request may reload or roll back remotes: the admin token, development
 * mode, or (with authentication on) a JWT with the admin permission. One rule for
 * the reload routes and for the dashboard, which asks before offering the button.
 */
import type { IncomingMessage } from 'node:http';
import { validAdminToken, type RotatingSecret } from './reload-auth.js';

/** `allowed`; `refused` (a credential would help); `disabled` (no credential can: none is configured). */
export type ReloadAccess = 'allowed' | 'refused' | 'disabled';

export interface ReloadAccessDeps {
  adminToken: RotatingSecret | undefined;
  devMode: boolean;
  isAdmin?(req: IncomingMessage): Promise<boolean>;
}

export function createReloadAccess(deps: ReloadAccessDeps): (req: IncomingMessage) => Promise<ReloadAccess> {
  return async (req) => {
    if (deps.adminToken && validAdminToken(req.headers.authorization, deps.adminToken)) return 'allowed';
    if (deps.devMode) return 'allowed';
    if (deps.isAdmin && (await deps.isAdmin(req))) return 'allowed';
    return !deps.adminToken && !deps.isAdmin ? 'disabled' : 'refused';
  };
}
