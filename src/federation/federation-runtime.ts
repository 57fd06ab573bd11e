/**
 * The Module Federation runtime of the host. One `@module-federation/runtime`
 * instance; our transport plugin answers `loadEntry` by evaluating remoteEntry.js
 * from a snapshot folder, so the stock loader (which evaluates any response
 * body, and waits minutes on a hung server) is never used. Chunks are then read
 * from the same folder by the remote's node runtime plugin.
 *
 * Each loaded version gets its own container name, so an old version keeps
 * serving while a new one loads, and each can be disposed on its own.
 */
import { createInstance } from '@module-federation/runtime';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { REMOTE_ENTRY_FILE } from './sources/source.js';
import { containerFrom, type RemoteContainer } from './container-export.js';
import type { LoadedContainer } from './container-runtime.js';

export type { LoadedContainer };

const hostRequire = createRequire(import.meta.url);

/**
 * webpack's async-node chunk loader evaluates a chunk inside an fs.readFile
 * callback, so a chunk that throws would be an uncaught exception and take the
 * host down. Remotes get an fs whose readFile hands such a throw back to the
 * same callback as an error, which rejects the chunk's load instead.
 */
const guardedFs: typeof fs = {
  ...fs,
  readFile: ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    const callback = rest.pop() as (error: unknown, data?: unknown) => void;
    const settle = (error: unknown, data?: unknown) => {
      if (error) return callback(error);
      try {
        callback(null, data);
      } catch (thrown) {
        callback(thrown);
      }
    };
    (fs.readFile as (...args: unknown[]) => void)(file, ...rest, settle);
  }) as typeof fs.readFile,
};

/** The `require` remotes see: Node built-ins and the host's packages, with fs guarded. */
const remoteRequire = Object.assign((id: string): unknown => (id === 'fs' || id === 'node:fs' ? guardedFs : hostRequire(id)), {
  resolve: hostRequire.resolve,
  cache: hostRequire.cache,
  main: hostRequire.main,
  extensions: hostRequire.extensions,
});
/** Synchronous top-level code of remoteEntry.js must finish within this. */
const ENTRY_EVAL_TIMEOUT_MS = 5_000;

export class FederationRuntime {
  /** Container name → its remoteEntry.js and the remote's name, a library name the build may export it under. */
  private readonly entries = new Map<string, { file: string; remoteName: string }>();

  constructor() {
    // V8's compilation cache keeps every compiled script keyed by source and file name,
    // and each version of a remote is a new pair: with the cache on, every reload of a
    // remote kept ~300 KB alive for good (measured: +45 MB over 150 reloads, flat without).
    // The host compiles little else twice, so the cache buys nothing here.
    v8.setFlagsFromString('--no-compilation-cache');
  }
  private readonly instance = createInstance({
    name: 'microlib_host',
    remotes: [],
    plugins: [
      {
        name: 'microlib-transport',
        loadEntry: async ({ remoteInfo }) => this.evaluateEntry(remoteInfo.name),
      },
    ],
  });

  private async evaluateEntry(containerName: string): Promise<RemoteContainer> {
    const registered = this.entries.get(containerName);
    if (!registered) throw new Error(`no snapshot registered for container ${containerName}`);
    const { file, remoteName } = registered;
    const code = await readFile(file, 'utf8');
    const module: { exports: unknown } = { exports: {} };
    const wrapper = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${code}\n})`, { filename: file });
    const run = wrapper.runInThisContext({ timeout: ENTRY_EVAL_TIMEOUT_MS }) as (...args: unknown[]) => void;
    run(module.exports, remoteRequire, module, file, path.dirname(file));
    return containerFrom(module.exports, remoteName, REMOTE_ENTRY_FILE);
  }

  /**
   * Loads a container from a snapshot folder and every listed expose.
   * Missing optional exposes are skipped; any other failure rejects.
   * `remoteName` (the remote's name in remoteEntries.js) is where a build made
   * with a named library exports its container: `module.exports.<remoteName>`.
   */
  async load(containerName: string, dir: string, exposes: readonly string[], optional: readonly string[], remoteName = containerName): Promise<LoadedContainer> {
    const entryFile = path.join(dir, REMOTE_ENTRY_FILE);
    this.entries.set(containerName, { file: entryFile, remoteName });
    const dispose = () => this.forget(containerName);
    try {
      this.instance.registerRemotes([{ name: containerName, entry: `file://${entryFile}` }], { force: true });
      const modules = new Map<string, unknown>();
      for (const expose of exposes) {
        const id = `${containerName}/${expose.replace(/^\.\//, '')}`;
        try {
          modules.set(expose, await this.instance.loadRemote(id));
        } catch (error) {
          if (optional.includes(expose) && isMissingExpose(error)) continue;
          throw new Error(`loading ${expose} failed: ${firstLine(error)}`, { cause: error });
        }
      }
      return { containerName, modules, dispose };
    } catch (error) {
      dispose();
      throw error;
    }
  }

  /** Drops every reference the runtime holds to a container, so it can be collected. */
  private forget(containerName: string): void {
    this.entries.delete(containerName);
    const remote = this.instance.options.remotes.find((r) => r.name === containerName);
    // removeRemote clears the runtime's caches of the entry (global loading map, module cache,
    // snapshots, the remote's runtime instance); without it every reload leaks ~70 KB. It is
    // declared private in 2.9.2's types, hence the cast.
    if (remote) (this.instance.remoteHandler as unknown as { removeRemote(r: typeof remote): void }).removeRemote(remote);
    this.instance.moduleCache.delete(containerName);
    const ids = this.instance.remoteHandler.idToRemoteMap;
    for (const id of Object.keys(ids)) if (ids[id]?.name === containerName) delete ids[id];
  }
}

function isMissingExpose(error: unknown): boolean {
  return /does not exist in container|not exist|Cannot find module/i.test(String((error as Error)?.message ?? error));
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0] ?? 'unknown error';
}
