/**
 * Which process drives a stored flow. Several processes may share one
 * database; each flow records the runner that started it, so two processes
 * never drive the same flow after a restart.
 */
import type { FlowState } from '../model-spec.js';

/** A process's identity as a flow runner. */
export interface RunnerIdentity {
  /**
   * This process's runner id, stored with each flow it starts. When set,
   * `resume` takes over only flows with this runner, plus flows with none when
   * `adoptUnowned` (one process of a cluster, so two never drive one flow).
   */
  runnerId?: string;
  adoptUnowned?: boolean;
}

/** Whether this process resumes a stored flow: its own, or one nobody claimed when it adopts those. */
export function drivesFlow(flow: FlowState, { runnerId, adoptUnowned = true }: RunnerIdentity): boolean {
  if (runnerId === undefined) return true;
  return flow.runner === undefined ? adoptUnowned : flow.runner === runnerId;
}
