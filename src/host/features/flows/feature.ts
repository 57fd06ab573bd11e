/**
 * Port calls and flows: circuit breakers per port, the log of recent port
 * failures, the host's built-in services, and the flow runner that drives
 * each record's flow through its ports. Ports bind when called, to the catalog
 * of the moment (`../../flow-world.ts`), so a hot deploy serves the next call.
 */
import { BreakerRegistry } from '../../../domain/ports/breaker-registry.js';
import { FlowRunner } from '../../../domain/flows/flow-runner.js';
import { PortFailureLog } from '../../../domain/ports/port-failure-log.js';
import { MicrolibError } from '../../../domain/errors.js';
import type { DomainEvent, EventBroker } from '../../../domain/events/index.js';
import { builtInServices } from '../../../adapters/ports/built-in-services.js';
import type { Logger } from '../../../adapters/logging/logger.js';
import { createFlowWorld, type HostServices, type VersionedCatalogs } from '../../flow-world.js';
import type { Feature } from '../../feature.js';
import type { OtherModelLookup } from '../api/model-lookups.js';
import type { FlowSettings } from './settings.js';

export interface FlowsFeature extends Feature {
  readonly flows: FlowRunner;
  readonly breakers: BreakerRegistry;
  readonly portFailures: PortFailureLog;
}

export interface FlowsDeps {
  settings: FlowSettings & { workerSlot: number | undefined; drainTimeoutMs: number };
  logger: Logger;
  catalog: VersionedCatalogs;
  broker: EventBroker;
  otherModels: OtherModelLookup;
}

export function flowsFeature({ settings, logger, catalog, broker, otherModels }: FlowsDeps): FlowsFeature {
  const breakers = new BreakerRegistry((model, port, change) =>
    logger.warn({ model, port, from: change.from, to: change.to }, `circuit of port ${model}.${port} is ${change.to}`),
  );
  const portFailures = new PortFailureLog();
  const serviceDeps = {
    publish: (event: DomainEvent) => broker.publish(event),
    lookup: (name: string) => {
      const placed = catalog.current.placedByModelName(name);
      if (placed) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `persistence: model "${name}" runs in placement "${placed.placement.name}" (${placed.placement.nodes.join(', ')}), not on this node; read it through a relation or its API there`);
      return catalog.current.byName(name)?.service;
    },
  };
  const unscoped = builtInServices(serviceDeps);
  const hostServices: HostServices = (forModel, reachable) =>
    forModel === undefined || reachable === undefined ? unscoped : builtInServices(serviceDeps, { from: `a port of model "${forModel}"`, allows: reachable });
  const flows = new FlowRunner({
    world: createFlowWorld(catalog, otherModels, hostServices),
    breakers,
    publish: (event) => broker.publish(event),
    onError: (error, { phase, ...where }) =>
      phase === 'start'
        ? logger.warn({ err: error, ...where }, `event ${where.event} did not start a flow`)
        : logger.error({ err: error, ...where }, 'flow stopped; it resumes when the host or the model comes back'),
    // Stable across a worker's replacement (same slot), unlike HOST_ID's default.
    runnerId: settings.flowRunnerId,
    adoptUnowned: (settings.workerSlot ?? 1) === 1,
    onMove: (report) => logger.warn(report, `flow moved to version ${report.to}: the version that started it (${report.from}) is not loaded`),
    onStep: ({ error, ...report }) => {
      if (report.outcome === 'failed' || report.outcome === 'undo-failed') portFailures.record(report.model, report.port, { outcome: report.outcome, error, id: report.id });
      if (error === undefined) logger.debug(report, 'flow step');
      else logger.warn({ ...report, err: error }, `flow step ${report.outcome}`);
    },
  });
  return {
    name: 'flows',
    flows,
    breakers,
    portFailures,
    // Steps in progress are interrupted; their flows resume on the next start.
    stop: () => flows.stop(settings.drainTimeoutMs),
  };
}
