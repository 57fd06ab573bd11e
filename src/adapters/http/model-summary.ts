/** How the host's own API describes a served model (config, the dashboard's models). */
import { MODELS_PREFIX } from './models-prefix.js';
import type { ServedModel } from '../../catalog/catalog.js';

export function modelSummary({ model, service }: ServedModel) {
  return {
    name: model.name,
    endpoint: model.endpoint,
    path: `${MODELS_PREFIX}${model.endpoint}`,
    remote: model.identity.remote,
    version: model.identity.version,
    datasource: service.datasource.kind,
    commands: Object.keys(model.spec.commands ?? {}),
    ports: Object.keys(model.spec.ports ?? {}),
  };
}
