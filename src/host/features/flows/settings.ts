/** Port calls and flows: the default deadline of a call, and which process drives which flows. */
import os from 'node:os';
import { integer, text, type Env } from '../../../config/env-reader.js';

export interface FlowSettings {
  /** Deadline of one port call attempt when the port names none. */
  portTimeoutMs: number;
  /** Stored with each flow this process starts: `<HOST_ID or hostname>/<slot>`, the same for a worker's replacement. */
  flowRunnerId: string;
}

export function readFlowSettings(env: Env, workerSlot: number | undefined): FlowSettings {
  return {
    portTimeoutMs: integer(env, 'PORT_TIMEOUT_MS', 30_000, 1, 86_400_000),
    flowRunnerId: `${text(env, 'HOST_ID', os.hostname())}/${workerSlot ?? 1}`,
  };
}
