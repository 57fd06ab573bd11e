/**
 * Who may do what, wired once: bearer JWTs when AUTH_ENABLED (key set, verifier,
 * failure counting by client address, read past TRUST_PROXY's proxies), the admin
 * check shared by reloads and the dashboard, and the WebSocket stream's per-model
 * and by-name subscription rules. Without
 * AUTH_ENABLED every part is absent and the host is open (it warns at start).
 */
import type { IncomingMessage } from 'node:http';
import type { SecuritySettings } from './settings.js';
import { readAuthConfig } from '../../../adapters/auth/auth-config.js';
import { createRequestAuthenticator, type RequestAuthenticator } from '../../../adapters/auth/request-authenticator.js';
import { clientAddressOf } from '../../../adapters/http/client-address.js';
import type { EventStreamOptions } from '../../../adapters/ws/event-stream-server.js';
import type { CatalogView } from '../../../catalog/live-catalog.js';
import type { Logger } from '../../../adapters/logging/logger.js';
import { checkOperation, ownedBy, type Caller } from '../../../domain/access.js';
import { MicrolibError } from '../../../domain/errors.js';

export interface Security {
  authenticate: RequestAuthenticator | undefined;
  /** The permission of the host's own API (config, remotes, reloads, metrics). */
  adminPermission: string | undefined;
  /** Whether the request carries an admin JWT (reloads also accept ADMIN_TOKEN and the webhook HMAC). */
  isAdmin: ((req: IncomingMessage) => Promise<boolean>) | undefined;
  /** The WebSocket stream's authentication and subscription checks. */
  streamAccess: Pick<EventStreamOptions, 'authenticate' | 'authorizeModel' | 'authorizeEventNames'>;
}

export async function createSecurity(config: SecuritySettings, logger: Logger, catalog: CatalogView): Promise<Security> {
  if (!config.authEnabled) return { authenticate: undefined, adminPermission: undefined, isAdmin: undefined, streamAccess: {} };
  const auth = await readAuthConfig(config.authKeySetPath);
  // jose is loaded only when auth is on.
  const { createJwtVerifier } = await import('../../../adapters/auth/jwt-verifier.js');
  const authenticate = createRequestAuthenticator({
    verify: await createJwtVerifier(auth),
    logger: logger.child({ component: 'auth' }),
    maxFailuresPerMinute: config.authMaxFailuresPerMinute,
    clientAddress: clientAddressOf(config.trustProxy),
  });
  const admin = (permissions: readonly string[] | undefined) => !!permissions?.some((p) => p === auth.adminPermission || p === '*');
  return {
    authenticate,
    adminPermission: auth.adminPermission,
    isAdmin: (req) => authenticate(req).then((caller) => admin(caller.permissions), () => false),
    streamAccess: {
      authenticate,
      authorizeModel: (modelName: string, caller: Caller) => {
        const access = catalog.current.byName(modelName)?.model.spec.access;
        checkOperation(modelName, access, 'read', caller);
        return ownedBy(modelName, access, caller);
      },
      authorizeEventNames: (caller: { permissions?: readonly string[] }) => {
        // Events by name may carry any model's records: admins only.
        if (!admin(caller.permissions)) throw new MicrolibError('MLB_ERR_FORBIDDEN', `subscribing to events by name needs the permission ${auth.adminPermission}`);
      },
    },
  };
}
