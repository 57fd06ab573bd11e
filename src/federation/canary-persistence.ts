/**
 * Canaries across restarts: every change is saved (`CanaryStore`, a file in DATA_DIR;
 * none in a cluster worker, the primary keeps them), and the saved canaries start
 * again after a restart or in a cluster worker that starts while they run.
 */
import type { CanaryChange, CanaryDeps, CanaryReport, Remote } from './canary-contract.js';
import { savedCanary, type CanaryState, type SavedCanary } from './canary-state.js';
import { canaryRecord } from './rollout-progress.js';
import type { RemoteState } from './remote-state.js';

/** Applies a saved canary as a change (canary.ts's `apply`, as a restart). */
type Restart = (name: string, change: CanaryChange) => Promise<CanaryReport>;

export class CanaryPersistence {
  constructor(
    private readonly deps: CanaryDeps,
    private readonly remote: (name: string) => Remote | undefined,
  ) {}

  /** Records the remote's canary (or that it has none); a failure is logged, not thrown: the change stands. */
  async save(state: RemoteState, canary: CanaryState | null): Promise<void> {
    if (!this.deps.store) return;
    const name = state.entry.name;
    try {
      await this.deps.store.save(name, canary && savedCanary(canary, state.entry.rollout?.onRestart ?? 'resume'));
    } catch (error) {
      this.deps.logger.error({ remote: name, err: error }, 'could not save the canary state: a restart will not see this change');
    }
  }

  /**
   * Starts the saved canaries again (after a restart, or in a cluster worker that
   * starts while they run): the same version, split and start time, and a rollout at
   * the step it reached (its window opens anew), unless the remote's rollout says
   * `onRestart: 'rollback'`. One whose version became the stable one is over; one
   * that cannot start is dropped, logged.
   */
  async resume(saved: Readonly<Record<string, SavedCanary>>, restart: Restart): Promise<void> {
    for (const [name, canary] of Object.entries(saved)) {
      const remote = this.remote(name);
      const drop = async (why: string, details: object = {}) => {
        this.deps.logger.error({ remote: name, canary: canary.canary, ...details }, `canary not resumed: ${why}`);
        if (remote) await this.save(remote.state, null);
        else await this.deps.store?.save(name, null).catch(() => undefined);
      };
      if (!remote) {
        await drop('remoteEntries.js no longer lists the remote');
        continue;
      }
      if (remote.state.current?.version === canary.canary) {
        await drop('its version is the stable one now');
        continue;
      }
      const plan = remote.state.entry.rollout;
      let rollout = canary.rollout;
      if (rollout && !plan) {
        this.deps.logger.warn({ remote: name, canary: canary.canary, weight: canary.weight }, 'the remote no longer has a rollout: its canary resumes holding its weight');
        rollout = undefined;
      }
      // Only the process that keeps the canaries decides (a cluster's primary did already): a worker replacing another resumes.
      if (rollout && plan?.onRestart === 'rollback' && this.deps.store) {
        await this.restartRollback(remote.state, canary, rollout.step);
        continue;
      }
      const split = { weight: canary.weight, sticky: canary.sticky ?? undefined, mode: canary.mode };
      const change: CanaryChange = { action: 'start', version: canary.canary, stable: canary.stable, split, allowRemove: canary.allowRemove, startedAt: canary.startedAt, ...(rollout ? { rollout } : {}) };
      const result = await restart(name, change).catch((error: unknown) => ({ outcome: 'failed' as const, error: (error as Error).message }));
      if (result.outcome === 'failed') await drop(result.error ?? 'it failed to start', { err: result.error });
      else this.deps.logger.info({ remote: name, canary: canary.canary, stable: remote.state.current?.version, weight: remote.state.canary?.split.weight ?? canary.weight, ...(rollout ? { step: (remote.state.canary?.rollout?.step ?? 0) + 1 } : {}) }, 'canary resumed');
    }
  }

  /** A rollout the host restarted in the middle of, whose remote says `onRestart: 'rollback'`: the stable version serves alone. */
  private async restartRollback(state: RemoteState, canary: SavedCanary, step: number): Promise<void> {
    const reason = `the host restarted during the rollout (at step ${step + 1}, ${canary.weight} %) and the remote's rollout says onRestart: 'rollback'`;
    this.deps.logger.warn({ remote: state.entry.name, canary: canary.canary, stable: canary.stable, reason }, 'rollout rolled back');
    await this.save(state, null);
    state.rolledBackCanary = canary.canary;
    const record = canaryRecord(state, { version: canary.canary, step }, 'rolledBack', { automatic: true, trigger: 'restart', from: canary.stable, weight: 0, started: performance.now(), error: reason });
    state.lastRollout = { ...record, at: new Date().toISOString() };
    this.deps.changed?.({ record, local: true, automatic: false });
  }
}
