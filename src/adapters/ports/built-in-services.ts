/**
 * Services the host offers every adapter, next to those remotes expose: `events`
 * (publish on the host's broker) and `persistence` (the records of any served
 * model, through that model's own rules). A port names them like any service:
 * `{ adapter: 'notifyShipping', service: 'events' }`.
 */
import { MicrolibError } from '../../domain/errors.js';
import { makeEvent, type DomainEvent } from '../../domain/events/index.js';
import type { ModelService } from '../../domain/model-service.js';
import type { Json, StoredRecord } from '../../domain/model-spec.js';

/** The `events` service. */
export interface EventsService {
  /** Publishes an event on the host's broker (and, when configured, to other hosts). */
  notify(eventName: string, data?: unknown): Promise<void>;
}

/** The `persistence` service. */
export interface PersistenceService {
  get(modelName: string, id: string): Promise<StoredRecord | null>;
  list(modelName: string, filter?: Record<string, Json>, limit?: number): Promise<StoredRecord[]>;
  create(modelName: string, body: Record<string, unknown>): Promise<StoredRecord>;
}

export const BUILT_IN_SERVICES = ['events', 'persistence'] as const;

/**
 * The built-in services. With `reachable`, `persistence` serves only the models it
 * allows (the models a port's remote owns and relates to): a remote reads and
 * writes other teams' records only through relations its specs declare.
 */
export function builtInServices(
  deps: { publish(event: DomainEvent): unknown; lookup(modelName: string): ModelService | undefined },
  reachable?: { from: string; allows(modelName: string): boolean },
): Map<string, unknown> {
  const serviceOf = (modelName: string): ModelService => {
    if (reachable && !reachable.allows(modelName)) {
      throw new MicrolibError('MLB_ERR_FORBIDDEN', `persistence: model "${modelName}" is not reachable from ${reachable.from} (only its remote's own models and the models its relations name)`);
    }
    const service = deps.lookup(modelName);
    if (!service) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `persistence: no loaded remote serves model "${modelName}"`);
    return service;
  };
  const events: EventsService = {
    async notify(eventName, data) {
      if (typeof eventName !== 'string' || eventName === '') throw new TypeError('events.notify: eventName must be a non-empty string');
      await deps.publish(makeEvent(eventName, { data }));
    },
  };
  const persistence: PersistenceService = {
    async get(modelName, id) {
      try {
        return await serviceOf(modelName).get(id);
      } catch (error) {
        if (error instanceof MicrolibError && error.code === 'MLB_ERR_NOT_FOUND') return null;
        throw error;
      }
    },
    async list(modelName, filter = {}, limit = 100) {
      const page = await serviceOf(modelName).list({ filter, sort: [], limit: Math.min(Math.max(1, limit), 1000), offset: 0, count: false });
      return page.records;
    },
    create: (modelName, body) => serviceOf(modelName).create({ ...body }),
  };
  return new Map<string, unknown>([
    ['events', events],
    ['persistence', persistence],
  ]);
}
