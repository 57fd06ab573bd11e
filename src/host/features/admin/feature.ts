/**
 * The host's own endpoints (express-app.ts): on a server, loaded while the host
 * starts; in a function, on the first request outside the generated API, since
 * Express and the admin routes take a good part of a cold start and most
 * functions only serve the API.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminDeps } from './express-app.js';

export type { AdminDeps } from './express-app.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export function adminApp(deps: AdminDeps, options: { loadOnFirstRequest?: boolean } = {}): Listener {
  let loading: Promise<Listener> | undefined;
  const load = () => (loading ??= import('./express-app.js').then(({ expressAdminApp }) => expressAdminApp(deps)));
  if (!options.loadOnFirstRequest) void load().catch(() => undefined);
  let loaded: Listener | undefined;
  return (req, res) => {
    if (loaded) return loaded(req, res);
    load().then(
      (listener) => {
        loaded = listener;
        listener(req, res);
      },
      (error: unknown) => {
        deps.logger.error({ err: error }, 'the admin endpoints failed to load');
        const body = JSON.stringify({ error: { code: 'MLB_ERR_INTERNAL', message: 'the admin endpoints failed to load; the log says why' } });
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
      },
    );
  };
}
