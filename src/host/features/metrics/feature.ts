/**
 * The metrics listener (METRICS_PORT): started with the host, after the main
 * listener, and closed when it stops. Without METRICS_PORT it does nothing.
 */
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { createMetricsServer } from '../../../adapters/http/metrics-server.js';
import type { Logger } from '../../../adapters/logging/logger.js';
import type { Feature } from '../../feature.js';
import type { MetricsSettings } from './settings.js';

export function metricsListenerFeature(settings: MetricsSettings, registry: Registry, logger: Logger): Feature {
  const server = settings.metricsPort === 0 ? undefined : createMetricsServer(registry);
  return {
    name: 'metrics listener',
    async start() {
      if (!server) return;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(settings.metricsPort, settings.metricsHost, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const { address, port } = server.address() as AddressInfo;
      logger.info({ metricsHost: address, metricsPort: port }, `metrics (no authentication) on http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics`);
    },
    async stop() {
      if (!server?.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
