/**
 * Names of the events the host publishes for CRUD operations.
 *
 * @packageDocumentation
 */

/** A CRUD operation that produces an event. */
export type CrudOperation = 'create' | 'update' | 'delete';

const SUFFIX: Readonly<Record<CrudOperation, string>> = { create: 'Created', update: 'Updated', delete: 'Deleted' };

/**
 * The event name published after a CRUD operation on a model: the model name
 * as written, followed by `Created`, `Updated` or `Deleted` (the camel-case
 * names of the original MicroLib). For model `order`: `orderCreated`,
 * `orderUpdated`, `orderDeleted`. The model name is not re-cased, so a name is
 * always predictable from the spec's `modelName`; subscribe to `*Created` to
 * hear every create.
 *
 * @throws TypeError on an empty model name or an unknown operation.
 */
export function crudEventName(modelName: string, operation: CrudOperation): string {
  if (typeof modelName !== 'string' || modelName.length === 0) {
    throw new TypeError('modelName must be a non-empty string');
  }
  if (!Object.hasOwn(SUFFIX, operation)) {
    throw new TypeError(`unknown CRUD operation: ${String(operation)}`);
  }
  return modelName + SUFFIX[operation];
}
