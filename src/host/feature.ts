/**
 * A feature of the host (the API, the admin app, events, flows, federation…):
 * whatever it must do when the host starts, and undo when it stops. The host
 * starts its features in the order listed and stops them in the reverse order,
 * so a feature can rely on every feature listed before it while it runs.
 */
export interface Feature {
  /** For logs: which feature failed to start or stop. */
  readonly name: string;
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}

export interface LifecycleHooks {
  /** A feature's stop threw: the others still stop. */
  onStopError(error: unknown, feature: string): void;
}

/** Starts features in order and stops the started ones in reverse order. */
export class Lifecycle {
  private started: Feature[] = [];

  constructor(
    private readonly features: readonly Feature[],
    private readonly hooks: LifecycleHooks,
  ) {}

  /** Starts each feature in turn; if one fails, stops those already started (reverse order) and throws its error. */
  async start(): Promise<void> {
    for (const feature of this.features) {
      try {
        await feature.start?.();
      } catch (error) {
        await this.stop();
        throw error;
      }
      this.started.push(feature);
    }
  }

  /** Stops the started features, last started first; one that throws does not keep the others running. */
  async stop(): Promise<void> {
    const started = this.started;
    this.started = [];
    for (const feature of started.reverse()) {
      try {
        await feature.stop?.();
      } catch (error) {
        this.hooks.onStopError(error, feature.name);
      }
    }
  }
}
