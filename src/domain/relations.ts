/**
 * Relations between models by foreign key (`relations` in a spec): the related
 * record of a `manyToOne` / `oneToOne`, or the page of related records of a
 * `oneToMany`. The related model may come from another remote.
 */
import type { ListQuery, Page } from './datasource.js';
import { MicrolibError, notFoundError } from './errors.js';
import type { ModelService } from './model-service.js';
import type { Json, StoredRecord } from './model-spec.js';

/** Finds the service of a model by its name among what the host serves now. */
export type ServiceLookup = (modelName: string) => ModelService | undefined;

export type RelationResult = { kind: 'one'; record: StoredRecord | null } | { kind: 'many'; page: Page };

export async function resolveRelation(
  source: ModelService,
  id: string,
  relationName: string,
  lookup: ServiceLookup,
  page: Pick<ListQuery, 'limit' | 'offset' | 'cursor' | 'count' | 'sort'>,
): Promise<RelationResult> {
  const relation = source.model.spec.relations?.[relationName];
  if (!relation || !Object.hasOwn(source.model.spec.relations!, relationName)) {
    throw notFoundError(`${source.model.name} has no relation "${relationName}"`);
  }
  const target = lookup(relation.modelName);
  if (!target) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `relation "${relationName}" needs model "${relation.modelName}", which no loaded remote serves`);
  const record = await source.get(id);
  if (relation.type === 'oneToMany') {
    if (!target.model.schema.queryableType(relation.foreignKey)) {
      throw new MicrolibError('MLB_ERR_INTERNAL', `relation "${relationName}": ${relation.modelName}.${relation.foreignKey} is not a filterable field`);
    }
    const filter: Record<string, Json> = { [relation.foreignKey]: record.id };
    return { kind: 'many', page: await target.list({ ...page, filter }) };
  }
  const key = record[relation.foreignKey];
  if (typeof key !== 'string' || key === '') return { kind: 'one', record: null };
  try {
    return { kind: 'one', record: await target.get(key) };
  } catch (error) {
    // A dangling foreign key is data, not a failure of this request.
    if (error instanceof MicrolibError && (error.code === 'MLB_ERR_NOT_FOUND' || error.code === 'MLB_ERR_VALIDATION')) return { kind: 'one', record: null };
    throw error;
  }
}
