/**
 * Reads the body of reload and rollback requests (`req.body`, a Buffer) only once it
 * may be worth reading: an operator's body after the admin check, a webhook's once its
 * signature header has the right form. Bodies are capped (413, before a byte is read
 * when Content-Length says more), charged to the host-wide body budget (503), and only
 * a few webhook bodies, whose signature cannot be checked before they end, are read at
 * once (503). A refused request's connection closes: nothing of it is kept.
 */
import type { RotatingSecret } from './reload-auth.js';
import type { NextFunction, Request, Response } from 'express';
import { MicrolibError } from '../../domain/errors.js';
import { statusOf } from './respond.js';
import { BusyError, type BodyBudget } from './body-budget.js';
import { declaredLength, readBoundedBody, tooLarge } from './bounded-body.js';

export interface ReloadBodyLimits {
  /** Largest webhook, reload or rollback body, in bytes (GitHub's pushes are far smaller). */
  maxBodyBytes: number;
  /** Webhook bodies read at once before their signature can be checked. */
  maxUnverified: number;
  /** The host-wide budget of buffered body bytes. */
  budget: BodyBudget;
}

export interface ReloadBodyGateDeps extends ReloadBodyLimits {
  webhookSecret: RotatingSecret | undefined;
  devMode: boolean;
  logger: { warn(details: object, message: string): void };
  /** The admin check of manual reloads and rollbacks: answers the refusal itself and resolves false. */
  authorised(req: Request, res: Response): Promise<boolean>;
}

export const DEFAULT_MAX_BODY_BYTES = 1_048_576;
export const DEFAULT_MAX_UNVERIFIED = 8;
/** GitHub sends at most 25 MB (the largest WEBHOOK_MAX_BODY_BYTES, too). */
export const GITHUB_MAX_PAYLOAD_BYTES = 26_214_400;

/** The only form GitHub sends: the HMAC-SHA256 of the body, hex. */
const SIGNATURE = /^sha256=[0-9a-f]{64}$/i;
/** GitHub delivers a push in well under a second; a slow unsigned body would only hold a slot. */
const UNVERIFIED_DEADLINE_MS = 10_000;

/** Express middleware, for any route parameters. */
type Gate = <P>(req: Request<P>, res: Response, next: NextFunction) => void;

export interface ReloadBodyGate {
  /** POST /microlib/reload: a webhook (X-GitHub-Event) or a manual reload. */
  reload: Gate;
  /** Routes for admins only (rollback). */
  admin: Gate;
}

export function createReloadBodyGate(deps: ReloadBodyGateDeps): ReloadBodyGate {
  let unverified = 0;

  /** Refuses at once what no reading could make acceptable: a compressed body, or a declared length over the cap. */
  function acceptable(req: Request, res: Response): boolean {
    const encoding = req.get('content-encoding');
    if (encoding && encoding.trim().toLowerCase() !== 'identity') {
      refuse(res, 415, 'MLB_ERR_UNSUPPORTED_MEDIA_TYPE', `content-encoding "${encoding}" is not accepted: send the body uncompressed`);
      return false;
    }
    if ((declaredLength(req) ?? 0) > deps.maxBodyBytes) {
      refuse(res, 413, 'MLB_ERR_PAYLOAD_TOO_LARGE', tooLarge(deps.maxBodyBytes).message);
      return false;
    }
    return true;
  }

  /** Reads the body into `req.body`; false when refused (answered). */
  async function read(req: Request, res: Response, deadlineMs?: number): Promise<boolean> {
    const claim = deps.budget.claim();
    // The body is held until the answer is sent (a webhook's reload may take seconds).
    res.once('close', claim.release);
    try {
      req.body = await readBoundedBody(req, { limit: deps.maxBodyBytes, claim, ...(deadlineMs !== undefined ? { deadlineMs } : {}) });
      return true;
    } catch (error) {
      claim.release();
      if (!(error instanceof MicrolibError)) throw error;
      const status = error.code === 'MLB_ERR_TIMEOUT' ? 408 : statusOf(error.code);
      refuse(res, status, error.code, error.message, retryAfter(error));
      return false;
    }
  }

  async function webhook(req: Request, res: Response, next: NextFunction, event: string): Promise<void> {
    if (deps.webhookSecret) {
      if (!SIGNATURE.test(req.get('x-hub-signature-256') ?? '')) {
        deps.logger.warn({ event, delivery: req.get('x-github-delivery') }, 'webhook refused before its body: missing or malformed X-Hub-Signature-256');
        return refuse(res, 401, 'MLB_ERR_UNAUTHORIZED', 'X-Hub-Signature-256 must be "sha256=" and 64 hex digits, the HMAC of the body with the webhook secret');
      }
    } else if (!deps.devMode) {
      return refuse(res, 403, 'MLB_ERR_FORBIDDEN', 'webhooks are disabled: set WEBHOOK_SECRET to the secret configured on GitHub');
    }
    if (!acceptable(req, res)) return;
    if (unverified >= deps.maxUnverified) {
      deps.logger.warn({ event, delivery: req.get('x-github-delivery'), reading: unverified }, 'webhook refused: too many webhook bodies being read at once');
      return refuse(res, 503, 'MLB_ERR_UNAVAILABLE', `the host is reading ${unverified} webhook deliveries already (WEBHOOK_MAX_UNVERIFIED); retry shortly`, { 'retry-after': '1' });
    }
    unverified++;
    const complete = await read(req, res, UNVERIFIED_DEADLINE_MS).finally(() => unverified--);
    // The route checks the signature at once, before anything else.
    if (complete) next();
  }

  async function manual(req: Request, res: Response, next: NextFunction): Promise<void> {
    // Until the caller is known, any answer closes the connection: the body is not read.
    res.setHeader('connection', 'close');
    if (!(await deps.authorised(req, res))) return;
    res.removeHeader('connection');
    if (acceptable(req, res) && (await read(req, res))) next();
  }

  return {
    reload(req, res, next) {
      const event = req.get('x-github-event');
      (event ? webhook(req as Request, res, next, event) : manual(req as Request, res, next)).catch(next);
    },
    admin(req, res, next) {
      manual(req as Request, res, next).catch(next);
    },
  };
}

/** Answers before (or instead of) reading the body, and closes the connection after the answer. */
function refuse(res: Response, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.status(status).set({ ...headers, connection: 'close' }).json({ error: { code, message } });
}

function retryAfter(error: MicrolibError): Record<string, string> {
  return error instanceof BusyError ? { 'retry-after': String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) } : {};
}
