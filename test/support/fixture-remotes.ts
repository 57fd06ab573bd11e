/**
 * Broken and hand-made remote builds for failure tests. A federation container is
 * just an object with `init` and `get`, so small fixtures need no webpack run.
 */
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exampleRemoteDist } from './host-process.js';

/** A folder whose remoteEntry.js is the given source text. */
export async function writeRemoteEntry(dir: string, source: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'remoteEntry.js'), source);
  return dir;
}

/**
 * A `remoteEntries.js` entry for a local remote named `name` whose container exposes
 * `./models` (see containerSource), written into `<dir>/<name>`.
 */
export async function localModelsRemote(dir: string, modelsSource: string, name = 'kit'): Promise<{ name: string; kind: 'local'; path: string }> {
  return { name, kind: 'local', path: await writeRemoteEntry(path.join(dir, name), containerSource(modelsSource)) };
}

/**
 * A hand-written container exposing `./models`; `modelsSource` is a JS
 * expression evaluated when the expose is loaded.
 */
export function containerSource(modelsSource: string): string {
  return containerOf({ './models': modelsSource });
}

/** A hand-written container exposing each key of `modules`, whose value is a JS expression evaluated on load. */
export function containerOf(modules: Record<string, string>): string {
  const cases = Object.entries(modules)
    .map(([id, source]) => `    if (id === ${JSON.stringify(id)}) return Promise.resolve(() => (${source}));`)
    .join('\n');
  return `module.exports = {
  init() {},
  get(id) {
${cases}
    return Promise.reject(new Error('Module ' + id + ' does not exist in container.'));
  },
};\n`;
}

/** A copy of the example remote build whose `./models` chunk throws when loaded. */
export async function throwingModelsRemote(dir: string, message: string): Promise<string> {
  await cp(exampleRemoteDist, dir, { recursive: true });
  const chunk = (await readdir(dir)).find((name) => name.startsWith('__federation_expose_models'));
  if (!chunk) throw new Error('example build has no models chunk');
  const file = path.join(dir, chunk);
  await writeFile(file, `throw new Error(${JSON.stringify(message)});\n${await readFile(file, 'utf8')}`);
  return dir;
}

/** Every file of the example remote build, keyed `<prefix><name>`, for committing to a test repository. */
export async function exampleBuildFiles(prefix = 'dist/'): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {};
  for (const name of await readdir(exampleRemoteDist)) files[`${prefix}${name}`] = await readFile(path.join(exampleRemoteDist, name));
  return files;
}
