/**
 * Finds the federation container among what a remote's remoteEntry.js exported.
 * Builds differ in where they put it: `library: { type: 'commonjs-module' }` assigns it
 * to `module.exports`, the same type with a `name` (as the original MicroLib's webpack
 * configs have) to `module.exports.<name>`, and transpiled ESM entries to `.default`.
 */
import type { RemoteEntryExports } from '@module-federation/runtime/types';

/** What remoteEntry.js of a federation build exports: an object with `init` and `get`. */
export type RemoteContainer = RemoteEntryExports;

/** True when `value` has the `init` and `get` functions of a federation container. */
export function isContainer(value: unknown): value is RemoteContainer {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const candidate = value as Partial<RemoteContainer>;
  return typeof candidate.get === 'function' && typeof candidate.init === 'function';
}

/**
 * The container in `moduleExports`, looked for as `module.exports` itself, then
 * `module.exports[libraryName]`, then `module.exports.default`, then the only export
 * that is a container. Throws, naming the exports found, when there is none.
 */
export function containerFrom(moduleExports: unknown, libraryName: string, entryFile: string): RemoteContainer {
  if (isContainer(moduleExports)) return moduleExports;
  const exported = exportsOf(moduleExports);
  for (const key of [libraryName, 'default']) {
    const value = exported[key];
    if (isContainer(value)) return value;
  }
  const containers = Object.values(exported).filter(isContainer);
  if (containers.length === 1) return containers[0]!;
  const where = `as module.exports, module.exports.${libraryName} or module.exports.default`;
  const found = containers.length > 1 ? `; ${containers.length} exports are containers, so which one is meant is unclear` : '';
  throw new Error(`${entryFile} does not export a federation container (an object with init and get) ${where}${found}; ${describeExports(moduleExports)}`);
}

/** The exported names and values; a primitive `module.exports` has none. */
function exportsOf(moduleExports: unknown): Record<string, unknown> {
  if ((typeof moduleExports !== 'object' && typeof moduleExports !== 'function') || moduleExports === null) return {};
  return moduleExports as Record<string, unknown>;
}

function describeExports(moduleExports: unknown): string {
  if (moduleExports === undefined || moduleExports === null) return `module.exports is ${String(moduleExports)}`;
  if (typeof moduleExports !== 'object' && typeof moduleExports !== 'function') return `module.exports is a ${typeof moduleExports}, not an object`;
  const names = Object.keys(moduleExports);
  return names.length === 0 ? 'exports nothing' : `exports found: ${names.join(', ')}`;
}
