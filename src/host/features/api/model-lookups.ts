/**
 * Models this node does not serve but can read: those of other hosts
 * (`remoteModels` in remoteEntries.js) and those another placement serves.
 * Relations and port calls find them by name here.
 */
import type { RelationTarget } from '../../../domain/relations.js';
import { RemoteModelClient } from '../../../adapters/http/remote-model-client.js';
import { placedModelLookup } from '../../../adapters/http/placed-model-client.js';
import type { CatalogView } from '../../../catalog/live-catalog.js';
import type { NodePlacement } from '../../../config/placements.js';
import { normaliseRemoteModels } from '../../../config/remote-models.js';
import type { ApiSettings } from './settings.js';

/** A model of another host or placement, by name; undefined when none has that name. */
export type OtherModelLookup = (modelName: string) => RelationTarget | undefined;

export function otherModels(remoteModelsConfig: unknown, catalog: CatalogView, placement: NodePlacement, settings: Pick<ApiSettings, 'relationTimeoutMs'>): OtherModelLookup {
  const remoteModels = new Map(
    [...normaliseRemoteModels(remoteModelsConfig)].map(([name, { url, headers }]) => [
      name,
      new RemoteModelClient({ modelName: name, url, timeoutMs: settings.relationTimeoutMs, ...(headers ? { headers } : {}) }),
    ]),
  );
  const placedModel = placedModelLookup(catalog, { timeoutMs: settings.relationTimeoutMs, self: placement.label });
  return (name) => remoteModels.get(name) ?? placedModel(name);
}
