/**
 * A model another placement serves, read over HTTP from its nodes (for
 * relations and model code): the nodes take turns, one that cannot be reached
 * is skipped, and when none can the error names the placement.
 */
import type { Caller } from '../../domain/access.js';
import type { ListQuery, Page } from '../../domain/datasource.js';
import { MicrolibError } from '../../domain/errors.js';
import type { StoredRecord } from '../../domain/model-spec.js';
import type { RelationTarget } from '../../domain/relations.js';
import { FORWARDED_HEADER, type PlacementTarget } from './forwarder.js';
import { MODELS_PREFIX } from './models-prefix.js';
import { RemoteModelClient, UnreachableError } from './remote-model-client.js';
import type { PlacedElsewhere } from '../../catalog/catalog.js';
import type { CatalogView } from '../../catalog/live-catalog.js';

export interface PlacedModelOptions {
  modelName: string;
  endpoint: string;
  placement: PlacementTarget;
  timeoutMs: number;
  /** This node's label: the reads are marked as forwarded, so a node that disagrees refuses rather than forwards. */
  self: string;
}

export class PlacedModelClient implements RelationTarget {
  private readonly clients: RemoteModelClient[];
  private turn = 0;

  constructor(private readonly options: PlacedModelOptions) {
    this.clients = options.placement.nodes.map(
      (node) => new RemoteModelClient({ modelName: options.modelName, url: `${node}${MODELS_PREFIX}${options.endpoint}`, timeoutMs: options.timeoutMs, headers: { [FORWARDED_HEADER]: options.self }, passCredential: true }),
    );
  }

  get(id: string, caller?: Caller): Promise<StoredRecord> {
    return this.each((client) => client.get(id, caller));
  }

  list(query: ListQuery, caller?: Caller): Promise<Page> {
    return this.each((client) => client.list(query, caller));
  }

  private async each<T>(read: (client: RemoteModelClient) => Promise<T>): Promise<T> {
    const first = this.turn;
    this.turn = (first + 1) % this.clients.length;
    const reasons: string[] = [];
    for (let i = 0; i < this.clients.length; i++) {
      try {
        return await read(this.clients[(first + i) % this.clients.length]!);
      } catch (error) {
        if (!(error instanceof UnreachableError)) throw error;
        reasons.push(error.message);
      }
    }
    throw new MicrolibError('MLB_ERR_UNAVAILABLE', `${this.options.modelName} is served by placement "${this.options.placement.name}", which has no reachable node (${reasons.join('; ')})`);
  }
}

/**
 * Finds the model `modelName` among those the catalog of the moment places
 * elsewhere; one client per placed model, kept while the catalog keeps it.
 */
export function placedModelLookup(catalog: CatalogView, options: Pick<PlacedModelOptions, 'timeoutMs' | 'self'>) {
  const clients = new WeakMap<PlacedElsewhere, PlacedModelClient>();
  return (modelName: string): PlacedModelClient | undefined => {
    const placed = catalog.current.placedByModelName(modelName);
    if (!placed) return undefined;
    let client = clients.get(placed);
    if (!client) {
      client = new PlacedModelClient({ modelName, endpoint: placed.endpoint, placement: placed.placement, ...options });
      clients.set(placed, client);
    }
    return client;
  };
}
