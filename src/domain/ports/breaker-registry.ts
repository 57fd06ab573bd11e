/**
 * One circuit breaker per port (`<model>.<port>`), kept across hot reloads of
 * the remote as long as the port's breaker settings stay the same: a redeploy
 * must not reset a breaker that protects a failing service.
 */
import { CircuitBreaker, type CircuitSnapshot, type CircuitStateChange } from '../resilience/index.js';
import type { BreakerSettings } from './port-settings.js';

export interface BreakerListing {
  model: string;
  port: string;
  settings: BreakerSettings;
  circuit: CircuitSnapshot;
}

export class BreakerRegistry {
  private readonly breakers = new Map<string, { fingerprint: string; breaker: CircuitBreaker; settings: BreakerSettings; model: string; port: string }>();

  constructor(private readonly onStateChange?: (model: string, port: string, change: CircuitStateChange) => void) {}

  /** The breaker of a port, created (or replaced, when its settings changed) on first use. */
  forPort(model: string, port: string, settings: BreakerSettings | undefined): CircuitBreaker | undefined {
    const key = `${model}.${port}`;
    if (settings === undefined) {
      this.breakers.delete(key);
      return undefined;
    }
    const fingerprint = JSON.stringify(settings);
    const existing = this.breakers.get(key);
    if (existing?.fingerprint === fingerprint) return existing.breaker;
    const breaker = new CircuitBreaker({ ...settings, name: key });
    if (this.onStateChange) breaker.onStateChange((change) => this.onStateChange!(model, port, change));
    this.breakers.set(key, { fingerprint, breaker, settings, model, port });
    return breaker;
  }

  /** State of every breaker that has been used. */
  list(): BreakerListing[] {
    return [...this.breakers.values()].map(({ model, port, settings, breaker }) => ({ model, port, settings, circuit: breaker.snapshot() }));
  }

  snapshot(model: string, port: string): CircuitSnapshot | undefined {
    return this.breakers.get(`${model}.${port}`)?.breaker.snapshot();
  }
}
