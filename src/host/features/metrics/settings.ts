/** An optional listener for Prometheus alone: /metrics without authentication, on its own port. */
import { ConfigError, integer, text, type Env } from '../../../config/env-reader.js';

export interface MetricsSettings {
  /** Port of the metrics listener (0: none; /metrics stays on PORT either way). */
  metricsPort: number;
  /** Address it binds: loopback unless the scraper sits elsewhere. */
  metricsHost: string;
}

export function readMetricsSettings(env: Env): MetricsSettings {
  const metricsPort = integer(env, 'METRICS_PORT', 0, 0, 65_535);
  if (metricsPort !== 0 && metricsPort === integer(env, 'PORT', 8070, 0, 65_535)) throw new ConfigError('METRICS_PORT', 'must differ from PORT');
  return { metricsPort, metricsHost: text(env, 'METRICS_HOST', '127.0.0.1') };
}
