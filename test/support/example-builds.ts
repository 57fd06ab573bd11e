/**
 * Variants of the example remote's real webpack build, for hot-deploy tests:
 * build N stamps `build: N` on every customer it creates, so a response shows
 * which code produced it; broken builds fail the way real ones do.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { exampleRemoteDist } from './host-process.js';

const CUSTOMER_FACTORY = 'factory: () => (input) => ({ ...input }),';

async function exampleFiles(): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {};
  for (const name of await readdir(exampleRemoteDist)) files[name] = await readFile(path.join(exampleRemoteDist, name));
  return files;
}

function modelsChunk(files: Record<string, Buffer>): string {
  const name = Object.keys(files).find((n) => n.startsWith('__federation_expose_models'));
  if (!name) throw new Error('the example build has no models chunk');
  return name;
}

/** The example build whose customer factory adds `build: n`; keys are file names (prefix them to place them). */
export async function exampleBuild(n: number, prefix = ''): Promise<Record<string, Buffer>> {
  const files = await exampleFiles();
  const chunk = modelsChunk(files);
  const text = files[chunk]!.toString('utf8');
  if (!text.includes(CUSTOMER_FACTORY)) throw new Error('the customer factory of the example changed; update test/support/example-builds.ts');
  files[chunk] = Buffer.from(text.replace(CUSTOMER_FACTORY, `factory: () => (input) => ({ ...input, build: ${n} }),`));
  return prefixed(files, prefix);
}

/** A build that cannot load: `syntax` breaks remoteEntry.js, `throws` makes the models chunk throw. */
export async function brokenBuild(kind: 'syntax' | 'throws', prefix = '', note = ''): Promise<Record<string, Buffer>> {
  const files = await exampleFiles();
  if (kind === 'syntax') files['remoteEntry.js'] = Buffer.from(`/* ${note} */ module.exports = {{ broken`);
  else {
    const chunk = modelsChunk(files);
    files[chunk] = Buffer.from(`throw new Error('models broke ${note}');\n${files[chunk]!.toString('utf8')}`);
  }
  return prefixed(files, prefix);
}

function prefixed(files: Record<string, Buffer>, prefix: string): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(files).map(([name, bytes]) => [`${prefix}${name}`, bytes]));
}
