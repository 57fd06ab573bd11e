/**
 * The generated API, `/microlib/api/models/…`: the model router answers models
 * served here; with a placement, requests for models another placement serves
 * are forwarded to its nodes first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createModelRouter } from '../../../adapters/http/model-router.js';
import { createPlacementRouting } from '../../../adapters/http/placement-routing.js';
import { Forwarder } from '../../../adapters/http/forwarder.js';
import type { BodyBudget } from '../../../adapters/http/body-budget.js';
import type { RequestAuthenticator } from '../../../adapters/auth/request-authenticator.js';
import type { HostMetrics } from '../../../adapters/metrics/metrics.js';
import type { CatalogView } from '../../../catalog/live-catalog.js';
import type { NodePlacement } from '../../../config/placements.js';
import type { Feature } from '../../feature.js';
import type { InternalFailure } from '../../internal-failure.js';
import type { OtherModelLookup } from './model-lookups.js';
import type { ApiSettings } from './settings.js';

export interface ApiFeature extends Feature {
  handleModelRequest(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface ApiDeps {
  settings: ApiSettings;
  catalog: CatalogView;
  placement: NodePlacement;
  otherModels: OtherModelLookup;
  authenticate: RequestAuthenticator | undefined;
  metrics: HostMetrics;
  internalFailure: InternalFailure;
  /** The process's budget of buffered request bodies, shared with the admin routes. */
  bodyBudget: BodyBudget;
}

export function apiFeature({ settings, catalog, placement, otherModels, authenticate, metrics, internalFailure, bodyBudget }: ApiDeps): ApiFeature {
  const handleLocal = createModelRouter(catalog, {
    observe: (model, route, method, status, startedAt) => metrics.request(model, route, method, status, startedAt),
    ...(authenticate ? { authenticate } : {}),
    bodyLimitBytes: settings.bodyLimitBytes,
    bodyBudget,
    batchMaxItems: settings.batchMaxItems,
    defaultPageSize: settings.defaultPageSize,
    maxPageSize: settings.maxPageSize,
    remoteModel: otherModels,
    onInternalError: internalFailure('request failed'),
  });
  // Without a placement every model is served here: no routing layer, no node header.
  if (!placement.self) return { name: 'api', handleModelRequest: handleLocal };
  const forwarder = new Forwarder({ self: placement.label, timeoutMs: settings.forwardTimeoutMs });
  const handleModelRequest = createPlacementRouting({
    catalog,
    forwarder,
    nodeLabel: placement.label,
    handleLocal,
    ...(authenticate ? { authenticate } : {}),
    observe: (model, to, status) => metrics.forwarded(model, to, status),
    onInternalError: internalFailure('forwarding failed'),
  });
  return { name: 'api', handleModelRequest, stop: () => forwarder.close() };
}
