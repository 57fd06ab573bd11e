/**
 * Relations between models by foreign key (`relations` in a spec): the related
 * record of a `manyToOne` / `oneToOne`, or the page of related records of a
 * `oneToMany`. The related model may come from another remote.
 */
import type { ListQuery, Page } from './datasource.js';
import { MicrolibError, notFoundError } from './errors.js';
import type { ModelService } from './model-service.js';
import type { Caller } from './access.js';
import type { Json, StoredRecord } from './model-spec.js';

/**
 * Where related records are read: a model this host serves (its ModelService),
 * or one another host serves (read over HTTP).
 */
export interface RelationTarget {
  /** The record, or a MLB_ERR_NOT_FOUND rejection; a local model checks the caller's access. */
  get(id: string, caller?: Caller): Promise<StoredRecord>;
  list(query: ListQuery, caller?: Caller): Promise<Page>;
  /** False when `field` cannot be filtered on; undefined when the target cannot tell (another host checks itself). */
  canFilter?(field: string): boolean;
}

/** Finds a model by its name among what this host serves now, or among the models of other hosts it knows. */
export type ServiceLookup = (modelName: string) => ModelService | RelationTarget | undefined;

function canFilter(target: ModelService | RelationTarget, field: string): boolean | undefined {
  if ('model' in target) return target.model.schema.queryableType(field) !== undefined;
  return target.canFilter?.(field);
}

export type RelationResult = { kind: 'one'; record: StoredRecord | null } | { kind: 'many'; page: Page };

export async function resolveRelation(
  source: ModelService,
  id: string,
  relationName: string,
  lookup: ServiceLookup,
  /** Paging, sort and extra filters and conditions of a `oneToMany` page (the foreign key filter is added). */
  page: Pick<ListQuery, 'limit' | 'offset' | 'cursor' | 'count' | 'sort' | 'where' | 'anyOf'> & { filter?: ListQuery['filter'] },
  /** The caller (an HTTP request): it must be allowed to read both models. */
  caller?: Caller,
): Promise<RelationResult> {
  const relation = source.model.spec.relations?.[relationName];
  if (!relation || !Object.hasOwn(source.model.spec.relations!, relationName)) {
    throw notFoundError(`${source.model.name} has no relation "${relationName}"`);
  }
  const target = lookup(relation.modelName);
  if (!target) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `relation "${relationName}" needs model "${relation.modelName}", which no loaded remote serves`);
  const record = await source.get(id, caller);
  if (relation.type === 'oneToMany') {
    if (canFilter(target, relation.foreignKey) === false) {
      throw new MicrolibError('MLB_ERR_INTERNAL', `relation "${relationName}": ${relation.modelName}.${relation.foreignKey} is not a filterable field`);
    }
    const filter: Record<string, Json> = { ...page.filter, [relation.foreignKey]: record.id };
    return { kind: 'many', page: await target.list({ ...page, filter }, caller) };
  }
  const key = record[relation.foreignKey];
  if (typeof key !== 'string' || key === '') return { kind: 'one', record: null };
  try {
    return { kind: 'one', record: await target.get(key, caller) };
  } catch (error) {
    // A dangling foreign key is data, not a failure of this request.
    if (error instanceof MicrolibError && (error.code === 'MLB_ERR_NOT_FOUND' || error.code === 'MLB_ERR_VALIDATION')) return { kind: 'one', record: null };
    throw error;
  }
}
