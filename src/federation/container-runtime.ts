/**
 * Where a loaded version's code runs. The remote loader asks a
 * `ContainerRuntime` for the exposes of one snapshot; the host's runtime
 * (`isolation/isolating-runtime.ts`) evaluates it in the host itself
 * (isolation `none`) or in workers of its own (`thread`, `process`).
 */
import type { RemoteEntry } from '../config/remote-entries.js';
import type { IsolationStatus } from './isolation/isolated-version.js';

/** An isolated version, as the rest of the host sees it. */
export interface IsolatedCode {
  status(): IsolationStatus;
  /** Resolves once the factories started in the workers have run; rejects with the first failure. */
  settled(): Promise<void>;
}

export interface LoadedContainer {
  /** Name of the container inside the runtime: `<remote>__<version>__<n>`. */
  readonly containerName: string;
  /** Exposed module → its exports. Optional exposes that the build lacks are absent. */
  readonly modules: ReadonlyMap<string, unknown>;
  /** Present when the code runs in workers. */
  readonly isolation?: IsolatedCode;
  dispose(): void;
}

export interface ContainerLoad {
  containerName: string;
  /** The snapshot folder. */
  dir: string;
  entry: RemoteEntry;
  /** The version's name, for messages. */
  version: string;
  /** Aborts when the load's time is up: whatever was started stops. */
  signal: AbortSignal;
}

export interface ContainerRuntime {
  load(request: ContainerLoad): Promise<LoadedContainer>;
}
