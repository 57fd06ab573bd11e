/**
 * Key rotation at start: with ENCRYPTION_PWD_PREVIOUS set, the keys are checked
 * before the host serves (a previous password that opens nothing stops the
 * start, naming the variable), and the re-encryption task runs in the
 * background; `microlib_reencryption_remaining` in /metrics counts what is left.
 * In a cluster every worker checks the keys and worker 1 alone re-encrypts.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../../../adapters/logging/logger.js';
import { registerReencryptionGauge } from '../../../adapters/metrics/reencryption-gauge.js';
import type { CatalogView } from '../../../catalog/live-catalog.js';
import type { Feature } from '../../feature.js';
import type { FieldKeyLoader } from '../../field-keys.js';
import { ReencryptionTask } from './reencryption-task.js';
import type { PersistenceSettings } from './settings.js';

export interface ReencryptionFeatureDeps {
  settings: Pick<PersistenceSettings, 'encryptionPasswordPrevious' | 'reencryptPerSecond'>;
  fieldKeys: FieldKeyLoader;
  catalog: CatalogView;
  logger: Logger;
  registry: Registry;
  /** Remotes that have not loaded (see ReencryptionTask). */
  unloadedRemotes(): string[];
  /** False on cluster workers other than the first: one task per data folder. */
  runsTask: boolean;
}

export function reencryptionFeature(deps: ReencryptionFeatureDeps): Feature {
  let task: ReencryptionTask | undefined;
  return {
    name: 'reencryption',
    async start() {
      if (deps.settings.encryptionPasswordPrevious === undefined) return;
      const { rotation } = await deps.fieldKeys.load();
      if (!rotation || !deps.runsTask) return;
      task = new ReencryptionTask({
        rotation,
        catalog: deps.catalog,
        perSecond: deps.settings.reencryptPerSecond,
        logger: deps.logger.child({ component: 'reencryption' }),
        unloadedRemotes: deps.unloadedRemotes,
      });
      const running = task;
      registerReencryptionGauge(deps.registry, () => running.remaining());
      task.start();
    },
    async stop() {
      await task?.stop();
      task = undefined;
    },
  };
}
