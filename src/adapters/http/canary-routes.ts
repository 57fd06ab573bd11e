/**
 * Canaries by hand: POST /microlib/api/remotes/:name/canary starts one (or, while
 * one runs, changes its split), PATCH …/canary changes its split, POST …/promote
 * makes it the stable version, POST …/abort ends it. A weight set by hand holds;
 * `"auto": true` hands the canary to the remote's rollout instead. The same admin check as
 * reloads and rollbacks; in a cluster every worker applies the change.
 */
import express, { type Request, type Response } from 'express';
import { admitted, createReloadAccess } from './reload-access.js';
import type { RotatingSecret } from './reload-auth.js';
import { createReloadBodyGate, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_UNVERIFIED, type ReloadBodyLimits } from './reload-body-gate.js';
import { BodyBudget, DEFAULT_BODY_BUDGET_BYTES } from './body-budget.js';
import { checkCanaryPatch, checkCanaryStart, type Checked } from './canary-body.js';
import { CANARY_CONFLICT, CANARY_INPUT, errorCode, UNKNOWN_VERSION, type CanaryControl, type CanaryOutcome, type CanarySplit } from './remote-control.js';

/** How a canary change went in one worker of a cluster. */
export interface WorkerCanaryOutcome {
  outcome: CanaryOutcome['outcome'];
  error?: string;
}

export interface CanaryRoutesDeps<C extends CanaryOutcome = CanaryOutcome> {
  deployment: CanaryControl<C>;
  adminToken: RotatingSecret | undefined;
  devMode: boolean;
  isAdmin?(req: Request): Promise<boolean>;
  bodyLimits?: ReloadBodyLimits;
  logger: { info(details: object, message: string): void; warn(details: object, message: string): void };
  /** Cluster mode: applies a change this process made to the other workers; resolves with each worker's outcome, this one's first. */
  spread?(remote: string, result: C): Promise<WorkerCanaryOutcome[]>;
}

function fail(res: Response, status: number, code: string, message: string, field?: string): void {
  res.status(status).json({ error: { code, message, ...(field ? { field } : {}) } });
}

export function createCanaryRoutes<C extends CanaryOutcome>(deps: CanaryRoutesDeps<C>): express.Router {
  const router = express.Router();
  const access = createReloadAccess(deps);
  const bodies = createReloadBodyGate({
    ...(deps.bodyLimits ?? { maxBodyBytes: DEFAULT_MAX_BODY_BYTES, maxUnverified: DEFAULT_MAX_UNVERIFIED, budget: new BodyBudget(DEFAULT_BODY_BUDGET_BYTES) }),
    webhookSecret: undefined,
    devMode: deps.devMode,
    logger: deps.logger,
    authorised: (req, res) => admitted(access, req, res),
  });

  /** Runs a change here, then (in cluster mode) in every other worker, and answers it. */
  async function answer(res: Response, name: string, change: Promise<C>): Promise<void> {
    const result = await change;
    const workers = deps.spread && result.outcome !== 'failed' && result.change !== undefined ? await deps.spread(name, result) : undefined;
    const failedWorkers = workers?.filter((w) => w.outcome === 'failed') ?? [];
    const body: Record<string, unknown> = { canary: { ...result, change: undefined }, ...(workers ? { workers } : {}) };
    if (result.outcome === 'failed') {
      res.status(422).json({ ...body, error: { code: 'MLB_ERR_LOAD_FAILED', message: result.error ?? 'the canary failed to load; nothing changed' } });
    } else if (failedWorkers.length > 0) {
      res.status(422).json({ ...body, error: { code: 'MLB_ERR_LOAD_FAILED', message: `${failedWorkers.length} other worker(s) could not apply it: ${failedWorkers.map((w) => w.error).join('; ')}` } });
    } else {
      res.json(body);
    }
  }

  /** Refusals with a `code` (canary.ts, rollback.ts) as 4xx; anything else goes on to the error handler. */
  function refused(res: Response, error: unknown): boolean {
    const code = errorCode(error);
    const message = (error as Error).message;
    const field = (error as { field?: unknown }).field;
    const named = typeof field === 'string' ? field : undefined;
    if (code === CANARY_CONFLICT) fail(res, 409, 'MLB_ERR_CONFLICT', message, named);
    else if (code === CANARY_INPUT) fail(res, 400, 'MLB_ERR_VALIDATION', message, named);
    else if (code === UNKNOWN_VERSION) fail(res, 404, 'MLB_ERR_NOT_FOUND', message, 'version');
    else return false;
    return true;
  }

  /** The remote's name, or a 404 answered. */
  function remoteOf(req: Request<{ name: string }>, res: Response) {
    const remote = deps.deployment.remote(req.params.name);
    if (!remote) fail(res, 404, 'MLB_ERR_NOT_FOUND', `no remote named "${req.params.name}"`);
    return remote;
  }

  function bodyOf<T>(checked: Checked<T>, res: Response): T | undefined {
    if (checked.ok) return checked.value;
    fail(res, 400, 'MLB_ERR_VALIDATION', checked.message, checked.field);
    return undefined;
  }

  const bodyBytes = (req: Request) => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));

  router.post('/microlib/api/remotes/:name/canary', bodies.admin, async (req: Request<{ name: string }>, res, next) => {
    try {
      const remote = remoteOf(req, res);
      if (!remote) return;
      const order = bodyOf(checkCanaryStart(bodyBytes(req)), res);
      if (!order) return;
      const running = remote.canary;
      // Posting again while a canary runs changes its split, unless it names another version.
      const sameVersion = order.ref === undefined && (order.version === undefined || running?.loaded.version.startsWith(order.version));
      if (running && sameVersion) {
        const weight = order.auto ? running.split.weight : order.weight;
        const split: CanarySplit = { weight, sticky: order.sticky ?? running.split.sticky, mode: order.mode ?? running.split.mode };
        // A weight given by hand holds: the rollout stops stepping it (auto: true hands it back).
        return await answer(res, remote.entry.name, deps.deployment.updateCanary(remote.entry.name, split, order.auto ? true : false));
      }
      const split: CanarySplit = { weight: order.weight, sticky: order.sticky, mode: order.mode ?? 'canary' };
      const start = {
        ...(order.ref !== undefined ? { ref: order.ref } : {}),
        ...(order.version !== undefined ? { version: order.version } : {}),
        split,
        allowRemove: order.allowRemove,
        ...(order.auto ? { auto: true } : {}),
      };
      await answer(res, remote.entry.name, deps.deployment.startCanary(remote.entry.name, start));
    } catch (error) {
      if (!refused(res, error)) next(error);
    }
  });

  router.patch('/microlib/api/remotes/:name/canary', bodies.admin, async (req: Request<{ name: string }>, res, next) => {
    try {
      const remote = remoteOf(req, res);
      if (!remote) return;
      const change = bodyOf(checkCanaryPatch(bodyBytes(req)), res);
      if (!change) return;
      const running = remote.canary;
      if (!running) return fail(res, 409, 'MLB_ERR_CONFLICT', `remote "${remote.entry.name}" runs no canary: start one with POST /microlib/api/remotes/${remote.entry.name}/canary`);
      const split: CanarySplit = {
        weight: change.weight ?? running.split.weight,
        sticky: change.sticky === undefined ? running.split.sticky : (change.sticky ?? undefined),
        mode: change.mode ?? running.split.mode,
      };
      // A weight given by hand holds: the rollout stops stepping it, unless the body says auto.
      const auto = change.auto ?? (change.weight !== undefined ? false : undefined);
      await answer(res, remote.entry.name, deps.deployment.updateCanary(remote.entry.name, split, auto));
    } catch (error) {
      if (!refused(res, error)) next(error);
    }
  });

  for (const action of ['promote', 'abort'] as const) {
    router.post(`/microlib/api/remotes/:name/${action}`, bodies.admin, async (req: Request<{ name: string }>, res, next) => {
      try {
        const remote = remoteOf(req, res);
        if (!remote) return;
        if (bodyBytes(req).length > 0 && bodyOf(checkEmpty(bodyBytes(req)), res) === undefined) return;
        const name = remote.entry.name;
        await answer(res, name, action === 'promote' ? deps.deployment.promoteCanary(name) : deps.deployment.abortCanary(name));
      } catch (error) {
        if (!refused(res, error)) next(error);
      }
    });
  }

  router.all(['/microlib/api/remotes/:name/canary', '/microlib/api/remotes/:name/promote', '/microlib/api/remotes/:name/abort'], (req, res) => {
    const allow = req.path.endsWith('/canary') ? 'POST, PATCH' : 'POST';
    res.set('allow', allow);
    fail(res, 405, 'MLB_ERR_METHOD_NOT_ALLOWED', `use ${allow}`);
  });

  return router;
}

/** Promote and abort take no settings: an empty body or `{}`. */
function checkEmpty(body: Buffer): Checked<true> {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.keys(parsed).length === 0) return { ok: true, value: true };
  } catch {
    // answered below
  }
  return { ok: false, message: 'promote and abort take no body (or {})', field: 'body' };
}
