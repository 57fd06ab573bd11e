/**
 * POST /microlib/reload (GitHub push webhooks, or an operator with the admin
 * token) and POST /microlib/api/remotes/:name/rollback. GET never reloads.
 */
import express, { type Request, type Response } from 'express';
import { DeliveryLog, validWebhookSignature, type RotatingSecret } from './reload-auth.js';
import { admitted, createReloadAccess } from './reload-access.js';
import { createReloadBodyGate, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_UNVERIFIED, type ReloadBodyLimits } from './reload-body-gate.js';
import { BodyBudget, DEFAULT_BODY_BUDGET_BYTES } from './body-budget.js';
import { CANARY_CONFLICT, errorCode, NO_PREVIOUS_VERSION, UNKNOWN_VERSION, type ReloadReport, type RemoteControl } from './remote-control.js';

/** A GitHub push, as the webhook payload names it. */
export interface PushEvent {
  /** `owner/repo`, as in `repository.full_name`. */
  repository: string;
  /** `refs/heads/<branch>` or `refs/tags/<tag>`. */
  ref: string;
  /** The commit the ref points at after the push. */
  after: string;
  /** The commit the ref pointed at before the push. */
  before?: string;
  /** The push was a force push (may move the ref to an older commit). */
  forced?: boolean;
}

/** A remote a push concerns, and what to load. */
export interface PushTarget {
  remote: string;
  /** Load this commit; undefined: ask the source. */
  version: string | undefined;
  /** The commit this push replaced on the branch. */
  replaces?: string;
  /** Set for a pushed commit: whether the push was a force push. */
  forced?: boolean;
}

/** `R`: what a reload answers (passed on to `fanOut` and shown as is). */
export interface ReloadRoutesDeps<R extends ReloadReport = ReloadReport> {
  deployment: RemoteControl<R>;
  /** The remotes a push concerns (those following its repository and ref). */
  pushTargets(push: PushEvent): PushTarget[];
  /**
   * Webhook delivery ids already processed, kept where a restart does not lose them (a
   * file in DATA_DIR, or the cluster primary's); in this process's memory when absent.
   */
  deliveries?: { firstTime(id: string): Promise<boolean> };
  /** WEBHOOK_SECRET (and WEBHOOK_SECRET_PREVIOUS while it rotates). */
  webhookSecret: RotatingSecret | undefined;
  /** ADMIN_TOKEN (and ADMIN_TOKEN_PREVIOUS while it rotates). */
  adminToken: RotatingSecret | undefined;
  devMode: boolean;
  /** With authentication on: whether the request carries a JWT with the admin permission. */
  isAdmin?(req: Request): Promise<boolean>;
  /** Body size, unsigned webhook bodies read at once, and the host-wide body budget (defaults: 1 MiB, 8, a budget of its own). */
  bodyLimits?: ReloadBodyLimits;
  logger: { info(details: object, message: string): void; warn(details: object, message: string): void };
  /**
   * Cluster mode: applies a reload this process made to the other workers;
   * resolves with each worker's outcome, shown as the result's `workers`.
   */
  fanOut?(result: R): Promise<Array<{ outcome: ReloadReport['outcome'] }>>;
}

/** A query flag: absent, 0 or false → false; 1 or true → true; anything else → null (refused). */
function queryFlag(value: unknown): boolean | null {
  if (value === undefined || value === '0' || value === 'false') return false;
  if (value === '' || value === '1' || value === 'true') return true;
  return null;
}

function fail(res: Response, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.status(status).set(headers).json({ error: { code, message } });
}

type Answered = ReloadReport & { workers?: Array<{ outcome: ReloadReport['outcome'] }> };

/** 200 when nothing failed (in any worker), 422 (the build, not the host, is at fault) otherwise. */
function answer(res: Response, results: Answered[], extra: Record<string, unknown> = {}): void {
  const failed = results.some((r) => r.outcome === 'failed' || r.workers?.some((w) => w.outcome === 'failed'));
  res.status(failed ? 422 : 200).json({ ...extra, results });
}

export function createReloadRoutes<R extends ReloadReport>(deps: ReloadRoutesDeps<R>): express.Router {
  const router = express.Router();
  const deliveries = new DeliveryLog();
  // Bodies are read only once the request may be worth it (reload-body-gate.ts).
  const bodies = createReloadBodyGate({
    ...(deps.bodyLimits ?? { maxBodyBytes: DEFAULT_MAX_BODY_BYTES, maxUnverified: DEFAULT_MAX_UNVERIFIED, budget: new BodyBudget(DEFAULT_BODY_BUDGET_BYTES) }),
    webhookSecret: deps.webhookSecret,
    devMode: deps.devMode,
    logger: deps.logger,
    authorised: (req, res) => authorised(req, res),
  });
  /** A reload here, then (in cluster mode) in every other worker. */
  const everywhere = async (reload: Promise<R>): Promise<Answered> => {
    const result = await reload;
    return deps.fanOut ? { ...result, workers: await deps.fanOut(result) } : result;
  };

  /** Admin check for manual reloads and rollbacks; answers and returns false when refused. */
  const access = createReloadAccess(deps);
  function authorised(req: Request, res: Response): Promise<boolean> {
    return admitted(access, req, res);
  }

  async function onWebhook(req: Request, res: Response, event: string): Promise<void> {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (deps.webhookSecret) {
      if (!validWebhookSignature(body, req.get('x-hub-signature-256'), deps.webhookSecret)) {
        deps.logger.warn({ event, delivery: req.get('x-github-delivery') }, 'webhook refused: bad or missing signature');
        return fail(res, 401, 'MLB_ERR_UNAUTHORIZED', 'invalid X-Hub-Signature-256 for this webhook secret');
      }
    } else if (!deps.devMode) {
      return fail(res, 403, 'MLB_ERR_FORBIDDEN', 'webhooks are disabled: set WEBHOOK_SECRET to the secret configured on GitHub');
    }
    const delivery = req.get('x-github-delivery');
    // A log that cannot be read or written is reported and the delivery goes on: a push still never moves a remote back.
    const firstDelivery = async (id: string): Promise<boolean> => {
      if (!deps.deliveries) return deliveries.firstTime(id);
      try {
        return await deps.deliveries.firstTime(id);
      } catch (error) {
        deps.logger.warn({ delivery: id, err: error }, 'webhook delivery log unavailable: the delivery is processed');
        return deliveries.firstTime(id);
      }
    };
    if (delivery && !(await firstDelivery(delivery))) {
      deps.logger.warn({ event, delivery }, 'webhook ignored: delivery already processed');
      return void res.json({ ignored: `delivery ${delivery} was already processed` });
    }
    if (event === 'ping') return void res.json({ pong: true });
    if (event !== 'push') return void res.status(202).json({ ignored: `event "${event}" does not deploy anything` });
    if (!/^application\/json/i.test(req.get('content-type') ?? '')) {
      return fail(res, 415, 'MLB_ERR_UNSUPPORTED_MEDIA_TYPE', 'set the webhook content type to application/json');
    }
    let push: { ref?: unknown; after?: unknown; before?: unknown; forced?: unknown; repository?: { full_name?: unknown } };
    try {
      push = JSON.parse(body.toString('utf8')) as typeof push;
    } catch {
      return fail(res, 400, 'MLB_ERR_BAD_JSON', 'the push payload is not valid JSON');
    }
    const { ref, after } = push;
    const repository = push.repository?.full_name;
    if (typeof ref !== 'string' || typeof after !== 'string' || typeof repository !== 'string') {
      return fail(res, 400, 'MLB_ERR_VALIDATION', 'a push payload needs ref, after and repository.full_name');
    }
    const before = typeof push.before === 'string' ? push.before : undefined;
    const forced = push.forced === true;
    const targets = deps.pushTargets({ repository, ref, after, forced, ...(before ? { before } : {}) });
    deps.logger.info({ repository, ref, after, forced, remotes: targets.map((t) => t.remote), delivery }, 'push webhook');
    if (targets.length === 0) return void res.json({ results: [], message: `no remote follows ${repository} ${ref}` });
    const results = await Promise.all(
      targets.map(async (t) => {
        const order = t.version !== undefined ? { reason: 'webhook' as const, version: t.version, push: { forced: t.forced === true }, ...(t.replaces ? { replaces: t.replaces } : {}) } : { reason: 'webhook' as const };
        const result = await deps.deployment.reload(t.remote, order);
        // An ignored push changed nothing here, so there is nothing for the other workers to follow.
        return result.ignored !== undefined ? result : everywhere(Promise.resolve(result));
      }),
    );
    const ignored = results.every((r) => r.ignored !== undefined) ? { ignored: results.map((r, i) => `${targets[i]!.remote}: ${r.ignored}`).join('; ') } : {};
    answer(res, results, ignored);
  }

  router.post('/microlib/reload', bodies.reload, async (req, res, next) => {
    try {
      const event = req.get('x-github-event');
      if (event) return await onWebhook(req, res, event);
      if (!(await authorised(req, res))) return;
      let remote = typeof req.query.remote === 'string' ? req.query.remote : undefined;
      // allowRemove: the new version may stop serving models the running one serves (refused otherwise).
      let allowRemove = queryFlag(req.query.allowRemove);
      if (allowRemove === null) return fail(res, 400, 'MLB_ERR_VALIDATION', 'allowRemove must be 1, true, 0 or false');
      if (Buffer.isBuffer(req.body) && req.body.length > 0) {
        try {
          const parsed = JSON.parse(req.body.toString('utf8')) as { remote?: unknown; allowRemove?: unknown };
          if (typeof parsed !== 'object' || parsed === null) throw new Error();
          if (parsed.remote !== undefined && typeof parsed.remote !== 'string') throw new Error();
          if (parsed.allowRemove !== undefined && typeof parsed.allowRemove !== 'boolean') throw new Error();
          remote ??= parsed.remote;
          allowRemove ||= parsed.allowRemove === true;
        } catch {
          return fail(res, 400, 'MLB_ERR_BAD_JSON', 'the body must be empty or {"remote": "<name>", "allowRemove": true|false}');
        }
      }
      if (remote && !deps.deployment.remote(remote)) return fail(res, 404, 'MLB_ERR_NOT_FOUND', `no remote named "${remote}"`);
      // A deploy would replace the version the canary is compared with (docs: canaries).
      const canary = remote ? deps.deployment.remote(remote)?.canary : undefined;
      if (remote && canary) return fail(res, 409, 'MLB_ERR_CONFLICT', `remote "${remote}" runs a canary of ${canary.loaded.version}: promote or abort it before reloading`);
      const names = remote ? [remote] : deps.deployment.remotes().map((r) => r.entry.name);
      const order = allowRemove ? { reason: 'manual' as const, allowRemove } : { reason: 'manual' as const };
      answer(res, await Promise.all(names.map((name) => everywhere(deps.deployment.reload(name, order)))));
    } catch (error) {
      next(error);
    }
  });

  router.all('/microlib/reload', (_req, res) => fail(res, 405, 'MLB_ERR_METHOD_NOT_ALLOWED', 'use POST to reload', { allow: 'POST' }));

  router.post('/microlib/api/remotes/:name/rollback', bodies.admin, async (req, res, next) => {
    try {
      if (!(await authorised(req, res))) return;
      const name = req.params.name;
      if (!deps.deployment.remote(name)) return fail(res, 404, 'MLB_ERR_NOT_FOUND', `no remote named "${name}"`);
      // An empty body rolls back to the newest kept version; {"version": "<version or prefix>"} to another.
      let version: string | undefined;
      if (Buffer.isBuffer(req.body) && req.body.length > 0) {
        try {
          const parsed = JSON.parse(req.body.toString('utf8')) as { version?: unknown };
          if (typeof parsed !== 'object' || parsed === null || (parsed.version !== undefined && (typeof parsed.version !== 'string' || parsed.version === ''))) throw new Error();
          version = parsed.version;
        } catch {
          return void res.status(400).json({ error: { code: 'MLB_ERR_VALIDATION', message: 'the body must be empty or {"version": "<a kept version>"}', field: 'version' } });
        }
      }
      answer(res, [await everywhere(deps.deployment.rollback(name, version))]);
    } catch (error) {
      const code = errorCode(error);
      if (code === NO_PREVIOUS_VERSION) return fail(res, 409, 'MLB_ERR_CONFLICT', (error as Error).message);
      if (code === UNKNOWN_VERSION) return fail(res, 404, 'MLB_ERR_NOT_FOUND', (error as Error).message);
      if (code === CANARY_CONFLICT) return fail(res, 409, 'MLB_ERR_CONFLICT', (error as Error).message);
      next(error);
    }
  });

  return router;
}
