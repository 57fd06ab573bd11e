/**
 * In front of the model router: a request for a model placed on another node
 * is forwarded there; every answer names the node that served it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MicrolibError } from '../../domain/errors.js';
import { refusalHeaders, type RequestAuthenticator } from '../auth/request-authenticator.js';
import { FORWARDED_HEADER, NODE_HEADER, type Forwarder } from './forwarder.js';
import { MODELS_PREFIX } from './models-prefix.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';
import { internalError, isClientFacing, sendError } from './respond.js';
import type { CatalogView } from '../../catalog/live-catalog.js';

export interface PlacementRoutingOptions {
  catalog: CatalogView;
  forwarder: Forwarder;
  /** `<placement>/<node name>` of this node. */
  nodeLabel: string;
  /** The model router: requests for models served here (or unknown). */
  handleLocal(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /**
   * When authentication is on, callers are checked here before forwarding, so
   * failures count against their own address, not against this node's.
   */
  authenticate?: RequestAuthenticator;
  onInternalError(error: unknown, req: IncomingMessage): void;
  /** Told of every forwarded request once answered. */
  observe?(model: string, placement: string, status: number): void;
}

function endpointOf(url: string): string {
  const end = url.length;
  let stop = end;
  for (let i = MODELS_PREFIX.length; i < end; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */) {
      stop = i;
      break;
    }
  }
  return url.slice(MODELS_PREFIX.length, stop);
}

export function createPlacementRouting(options: PlacementRoutingOptions) {
  const { catalog, forwarder, nodeLabel, handleLocal } = options;
  return async function handleModelRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader(NODE_HEADER, nodeLabel);
    // Set here, not by respond.ts, for answers forwarded from another node.
    res.setHeader(REQUEST_ID_HEADER, requestIdOf(req));
    const current = catalog.current;
    const placed = current.hasPlacedModels ? current.placedAtEndpoint(endpointOf(req.url ?? '/')) : undefined;
    if (!placed) return handleLocal(req, res);
    try {
      const via = req.headers[FORWARDED_HEADER];
      if (via !== undefined) {
        // Forwarding again could loop between nodes whose definitions differ.
        throw new MicrolibError(
          'MLB_ERR_PLACEMENT_MISMATCH',
          `node ${String(via)} forwarded a request for model "${placed.modelName}" to ${nodeLabel}, which places it on "${placed.placement.name}": the nodes' placements in remoteEntries.js disagree`,
        );
      }
      if (options.authenticate) await options.authenticate(req);
      await forwarder.forward(req, res, placed.placement);
    } catch (error) {
      if (!isClientFacing(error)) {
        options.onInternalError(error, req);
        return sendError(res, internalError(req));
      }
      sendError(res, error, refusalHeaders(error));
    } finally {
      options.observe?.(placed.modelName, placed.placement.name, res.statusCode);
    }
  };
}
