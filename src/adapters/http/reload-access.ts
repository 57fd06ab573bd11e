/**
 * Whether a request may reload or roll back remotes: the admin token, development
 * mode, or (with authentication on) a JWT with the admin permission. One rule for
 * the reload routes and for the dashboard, which asks before offering the button.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/**
 * The admin check of reloads, rollbacks and canaries as an answer: true when the request may
 * go on, otherwise false once the refusal (403 when no credential can help, else 401) is sent.
 */
export async function admitted(access: (req: IncomingMessage) => Promise<ReloadAccess>, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const allowed = await access(req);
  if (allowed === 'allowed') return true;
  const refusal =
    allowed === 'disabled'
      ? { status: 403, headers: {}, code: 'MLB_ERR_FORBIDDEN', message: 'reloads are disabled: set ADMIN_TOKEN (or WEBHOOK_SECRET for GitHub), or MICROLIB_DEV_MODE=true for local development' }
      : {
          status: 401,
          headers: { 'www-authenticate': 'Bearer realm="microlib"' },
          code: 'MLB_ERR_UNAUTHORIZED',
          message: 'a valid admin credential is required (Authorization: Bearer <ADMIN_TOKEN or a JWT with the admin permission>)',
        };
  const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message } });
  res.writeHead(refusal.status, { ...refusal.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
  return false;
}
