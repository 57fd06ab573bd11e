/**
 * JSON the dashboard reads besides config, remotes, ports and events:
 * `GET /microlib/api/models` (each served model with its record count) and
 * `GET /microlib/api/access` (what the caller may do, so the page offers only that).
 * Mounted behind the admin check of `/microlib/api` when authentication is on.
 */
import express from 'express';
import type { IncomingMessage } from 'node:http';
import type { CatalogView } from '../../catalog/live-catalog.js';
import { modelSummary } from './model-summary.js';
import type { ReloadAccess } from './reload-access.js';

export interface DashboardApiDeps {
  catalog: CatalogView;
  authEnabled: boolean;
  reloadAccess(req: IncomingMessage): Promise<ReloadAccess>;
  /** A count slower than this shows as unknown rather than holding the page (a datasource may be down). */
  countTimeoutMs?: number;
}

async function countRecords(count: () => Promise<number | undefined>, timeoutMs: number): Promise<{ records: number | null; countError: string | null }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const total = await Promise.race([count(), deadline]);
    return { records: total ?? null, countError: null };
  } catch (error) {
    return { records: null, countError: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export function createDashboardApi(deps: DashboardApiDeps): express.Router {
  const router = express.Router();
  const timeoutMs = deps.countTimeoutMs ?? 2_000;

  router.get('/microlib/api/models', async (_req, res, next) => {
    try {
      const routes = [...deps.catalog.current.models()];
      const models = await Promise.all(
        routes.map(async (route) => ({
          ...modelSummary(route),
          // The datasource itself, not the service: an admin counts every record, whoever owns it.
          ...(await countRecords(async () => (await route.service.datasource.list({ filter: {}, sort: [], limit: 1, offset: 0, count: true })).total, timeoutMs)),
        })),
      );
      res.json({ models });
    } catch (error) {
      next(error);
    }
  });

  router.get('/microlib/api/access', async (req, res, next) => {
    try {
      // Reaching this with authentication on means the token holds the admin permission.
      res.json({ authEnabled: deps.authEnabled, reload: await deps.reloadAccess(req) });
    } catch (error) {
      next(error);
    }
  });

  return router;
}
