/**
 * The host's configuration: every feature's settings, each read by the feature's
 * own `settings.ts` from the environment. Every variable, its default and meaning
 * is in README's configuration tables and `.env.example` (a test keeps them in step).
 */
import type { Env } from '../config/env-reader.js';
import { readAdminSettings, type AdminSettings } from './features/admin/settings.js';
import { readApiSettings, type ApiSettings } from './features/api/settings.js';
import { readClusterSettings, type ClusterSettings } from './features/cluster/settings.js';
import { readEventSettings, type EventSettings } from './features/events/settings.js';
import { readFederationSettings, type FederationSettings } from './features/federation/settings.js';
import { readFlowSettings, type FlowSettings } from './features/flows/settings.js';
import { readHttpSettings, type HttpSettings } from './features/http/settings.js';
import { readLoggingSettings, type LoggingSettings } from './features/logging/settings.js';
import { readMetricsSettings, type MetricsSettings } from './features/metrics/settings.js';
import { readPersistenceSettings, type PersistenceSettings } from './features/persistence/settings.js';
import { readReadinessSettings, type ReadinessSettings } from './features/readiness/settings.js';
import { readSecuritySettings, type SecuritySettings } from './features/security/settings.js';

export type HostConfig = HttpSettings &
  ApiSettings &
  PersistenceSettings &
  FederationSettings &
  FlowSettings &
  EventSettings &
  AdminSettings &
  SecuritySettings &
  ReadinessSettings &
  ClusterSettings &
  LoggingSettings &
  MetricsSettings;

export { ConfigError } from '../config/env-reader.js';
export type { KafkaSettings } from './features/events/settings.js';

/** Reads the configuration; throws ConfigError naming the variable on bad input. */
export function readConfig(env: Env = process.env, cwd: string = process.cwd()): HostConfig {
  const cluster = readClusterSettings(env);
  return {
    ...readHttpSettings(env, cwd),
    ...readApiSettings(env),
    ...readPersistenceSettings(env, cwd),
    ...readFederationSettings(env, cwd),
    ...readFlowSettings(env, cluster.workerSlot),
    ...readEventSettings(env),
    ...readAdminSettings(env),
    ...readSecuritySettings(env, cwd),
    ...readReadinessSettings(env),
    ...cluster,
    ...readLoggingSettings(env),
    ...readMetricsSettings(env),
  };
}
