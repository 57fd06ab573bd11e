/**
 * The messages between the host and a remote's worker (a thread or a child
 * process). Values inside them are encoded by `marshal.ts`; `plain` says a
 * payload needed no encoding, so the receiver can skip decoding it.
 */

/** What a worker needs to load one version of a remote. */
export interface WorkerInit {
  /** The snapshot folder of the version. */
  dir: string;
  /** Container name in the worker's federation runtime: `<remote>__<version>__<n>`. */
  containerName: string;
  /** The remote's name in remoteEntries.js (a named library exports its container under it). */
  remoteName: string;
  exposes: readonly string[];
  optional: readonly string[];
  /** `thread` or `process`: said in the messages remote code gets when it reaches for what it may not use. */
  isolation: 'thread' | 'process';
}

/** Host → worker. */
export type ToWorker =
  | { t: 'init'; init: WorkerInit }
  | { t: 'req'; id: number; op: 'invoke'; target: string; args: unknown; plain?: boolean }
  | { t: 'req'; id: number; op: 'instantiate'; model: string }
  | { t: 'req'; id: number; op: 'event'; sub: string; event: unknown }
  | { t: 'res'; id: number; ok: boolean; value?: unknown; plain?: boolean }
  | { t: 'abort'; signal: string; reason?: unknown }
  | { t: 'ping' };

/** Worker → host. */
export type FromWorker =
  | { t: 'ready'; description: unknown; handles: number }
  | { t: 'failed'; error: unknown }
  | { t: 'res'; id: number; ok: boolean; value?: unknown; plain?: boolean }
  | { t: 'req'; id: number; op: 'call'; target: string; args: unknown }
  | { t: 'req'; id: number; op: 'notify'; model: string; eventName: string; data: unknown }
  | { t: 'listen'; model: string; sub: string; pattern: string | RegExp; once: boolean }
  | { t: 'unlisten'; model: string; sub: string }
  | { t: 'pong' };

/** The handle id of the create function a model's factory returned in the worker. */
export const createHandle = (model: string) => `create:${model}`;

/** A handle id for a function in a result: such functions are not callable once the call has returned. */
export const GONE_HANDLE = 'gone';
