/** `microlib_reencryption_remaining`: records a key rotation has still to look at, present while one runs. */
import { Gauge, type Registry } from 'prom-client';

const NAME = 'microlib_reencryption_remaining';

/** Registers the gauge once per registry; `remaining` is read at each scrape. */
export function registerReencryptionGauge(registry: Registry, remaining: () => number): void {
  registry.removeSingleMetric(NAME);
  new Gauge({
    name: NAME,
    help: 'Records of models with sensitive fields still to re-encrypt under the new key (0 once done)',
    registers: [registry],
    collect() {
      this.set(remaining());
    },
  });
}
