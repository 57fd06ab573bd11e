/**
 * `microlib bundle <dir>`: a folder to deploy as a function, whose cold start
 * reads every remote from disk. For each remote in REMOTE_ENTRIES, the current
 * version is resolved, downloaded and loaded exactly as the host loads it (the
 * signed manifest checked when the entry has a publicKey, the container
 * evaluated), and its snapshot kept under `remotes/`. `microlib-bundle.json`
 * names the version of each; a function started in that folder loads those
 * versions from `remotes/` and asks no source (function-host.ts).
 *
 * The host itself goes to `node_modules/`: this package (its `dist/src` and
 * package.json) and its production dependencies, copied from the node_modules
 * it runs from, so the folder runs with no `npm install` on the way.
 */
import { cp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readRemoteEntries } from '../config/remote-entries.js';
import { readConfig } from '../host/host-config.js';
import { IsolatingRuntime } from '../federation/isolation/isolating-runtime.js';
import { loadRemote } from '../federation/remote-loader.js';
import { SnapshotCache } from '../federation/snapshot-cache.js';
import { MODULES_ROOT, PACKAGE_ROOT } from '../federation/isolation/host-package.js';
import { createSource } from '../federation/sources/source-registry.js';

import { BUNDLE_MANIFEST, BUNDLE_REMOTES, type BundleManifest } from './bundle-layout.js';

export interface BundleOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Copy the host package and its production dependencies into `node_modules` (default true). */
  withModules?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

export class BundleError extends Error {}

export async function writeBundle(dir: string, options: BundleOptions = {}): Promise<BundleManifest> {
  const cwd = options.cwd ?? process.cwd();
  const log = options.log ?? (() => undefined);
  if (typeof dir !== 'string' || dir.trim() === '') throw new BundleError('the bundle folder must be given: microlib bundle <dir>');
  const target = path.resolve(cwd, dir);
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new BundleError(`${target} exists and is not a folder`);
  if (existing && (await readdir(target)).length > 0 && !(await stat(path.join(target, BUNDLE_MANIFEST)).catch(() => undefined))) {
    throw new BundleError(`${target} is not empty and holds no ${BUNDLE_MANIFEST}: choose an empty or new folder (an earlier bundle is replaced)`);
  }
  const config = readConfig(options.env ?? process.env, cwd);
  const { entries } = await readRemoteEntries(config.remoteEntriesPath).catch((error: unknown) => {
    throw new BundleError(`cannot read REMOTE_ENTRIES (${config.remoteEntriesPath}): ${(error as Error).message}`);
  });
  if (entries.length === 0) throw new BundleError(`REMOTE_ENTRIES (${config.remoteEntriesPath}) lists no remote`);

  // An earlier bundle's remotes go: a stale version must not look current.
  await rm(path.join(target, BUNDLE_REMOTES), { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  const cache = new SnapshotCache(path.join(target, BUNDLE_REMOTES));
  // Evaluated in this process, as `REMOTE_ISOLATION=none` would: the check is that it loads, not how it is isolated later.
  const runtime = new IsolatingRuntime({ defaults: { ...config.isolation, isolation: 'none' }, loadTimeoutMs: config.loadTimeoutMs, onCrash: () => undefined });
  const sources = { githubApiUrl: config.githubApiUrl, githubToken: config.githubToken, fetchTimeoutMs: config.fetchTimeoutMs };
  const remotes: BundleManifest['remotes'] = [];
  for (const entry of entries) {
    const source = createSource(entry.source, sources);
    const loaded = await loadRemote({ ...entry, isolation: 'none' }, source, { runtime, cache, timeoutMs: config.loadTimeoutMs }).catch((error: unknown) => {
      throw new BundleError(`remote "${entry.name}" did not load, so it is not bundled: ${(error as Error).message}`);
    });
    if ('unchanged' in loaded) throw new BundleError(`remote "${entry.name}": unexpected unchanged answer`);
    loaded.dispose();
    await cache.markGood(entry.name, loaded.version);
    remotes.push({ name: entry.name, version: loaded.version, source: loaded.source });
    log(`${entry.name}: ${loaded.version} from ${loaded.source}`);
  }
  // The entries as the host reads them (settings of each remote), next to the snapshots.
  await cp(config.remoteEntriesPath, path.join(target, 'remoteEntries.js'));
  const manifest: BundleManifest = { format: 1, createdAt: new Date().toISOString(), remotes };
  await writeFile(path.join(target, BUNDLE_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  if (options.withModules !== false) {
    const copied = await copyHostPackage(path.join(target, 'node_modules'));
    log(`node_modules: microlib and ${copied} production dependencies`);
  }
  // The bundled host when it was copied (a few files: a cold start reads ~20 modules, not ~500), else the package's.
  const hostModule = options.withModules !== false && (await exists(path.join(target, 'node_modules', 'microlib', BUNDLED_HOST))) ? `./node_modules/microlib/${BUNDLED_HOST}` : 'microlib/serverless';
  await writeFile(
    path.join(target, 'index.mjs'),
    `// Handlers of this bundle: AWS Lambda \`index.handler\`; any (req, res) runtime \`microlib\`.\nimport { createLambdaHandler, createNodeHandler } from '${hostModule}';\nexport const handler = createLambdaHandler();\nexport const microlib = createNodeHandler();\n`,
  );
  return manifest;
}

/** What `npm run build:function` writes: `microlib/serverless` bundled into a few files (scripts/build-function.mjs). */
const BUNDLED_HOST = 'dist/bundled/src/function/serverless.js';

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

/** Parts of this package copied when present: the bundled host, and the pages the admin routes serve. */
const OPTIONAL_PARTS = [path.join('dist', 'bundled'), path.join('dist', 'dashboard'), 'public'];

/** Copies this package (dist/src, the parts above, package.json) and the closure of its `dependencies` into `modulesDir`; returns how many packages besides it. */
async function copyHostPackage(modulesDir: string): Promise<number> {
  await rm(modulesDir, { recursive: true, force: true });
  const own = path.join(modulesDir, 'microlib');
  await mkdir(own, { recursive: true });
  await cp(path.join(PACKAGE_ROOT, 'package.json'), path.join(own, 'package.json'));
  await cp(path.join(PACKAGE_ROOT, 'dist', 'src'), path.join(own, 'dist', 'src'), { recursive: true, filter: (file) => !/\.test\.(js|d\.ts|js\.map)$/.test(file) });
  for (const part of OPTIONAL_PARTS) {
    if (await exists(path.join(PACKAGE_ROOT, part))) await cp(path.join(PACKAGE_ROOT, part), path.join(own, part), { recursive: true });
  }
  const copied = new Set<string>();
  const queue: Array<{ name: string; from: string }> = (await dependenciesOf(PACKAGE_ROOT)).map((name) => ({ name, from: PACKAGE_ROOT }));
  while (queue.length > 0) {
    const { name, from } = queue.shift()!;
    const found = await findPackage(name, from);
    if (!found || copied.has(found)) continue;
    copied.add(found);
    // Where node would find it from microlib: hoisted ones at the top, nested ones under their parent.
    const relative = path.relative(MODULES_ROOT, found);
    await cp(found, path.join(modulesDir, relative), { recursive: true, dereference: true });
    for (const dependency of await dependenciesOf(found)) queue.push({ name: dependency, from: found });
  }
  return copied.size;
}

async function dependenciesOf(packageDir: string): Promise<string[]> {
  const manifest = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
  return [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {})];
}

/** Node's lookup: `node_modules/<name>` in the folder, then in each parent up to {@link MODULES_ROOT}. */
async function findPackage(name: string, from: string): Promise<string | undefined> {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (await exists(path.join(candidate, 'package.json'))) return candidate;
    if (path.join(dir, 'node_modules') === MODULES_ROOT || dir === path.dirname(dir)) return undefined;
  }
}
