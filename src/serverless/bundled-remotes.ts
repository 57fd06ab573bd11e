/**
 * A function started in a folder `microlib bundle` wrote: the bundle's snapshots
 * are put into REMOTE_CACHE_DIR (the code folder is read-only on most
 * platforms, and the cache records which version last loaded), and the host is
 * told to load the bundled versions from there, asking no source.
 */
import { cp, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BUNDLE_MANIFEST, BUNDLE_REMOTES, type BundleManifest } from './bundle-layout.js';

/** The bundled version of each remote, or undefined when `codeDir` holds no bundle. */
export async function bundledRemotes(codeDir: string, cacheDir: string): Promise<Record<string, string> | undefined> {
  const text = await readFile(path.join(codeDir, BUNDLE_MANIFEST), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(text) as BundleManifest;
  } catch (error) {
    throw new Error(`${path.join(codeDir, BUNDLE_MANIFEST)} is not JSON: ${(error as Error).message}`);
  }
  if (manifest.format !== 1 || !Array.isArray(manifest.remotes)) throw new Error(`${path.join(codeDir, BUNDLE_MANIFEST)} is not a bundle manifest this version reads (format 1)`);
  const from = path.join(codeDir, BUNDLE_REMOTES);
  const versions: Record<string, string> = {};
  for (const { name, version } of manifest.remotes) {
    versions[name] = version;
    const source = path.join(from, name, version);
    const target = path.join(cacheDir, name, version);
    // A warm folder (or REMOTE_CACHE_DIR set to the bundle's own remotes) already has it.
    if (path.resolve(source) === path.resolve(target) || (await stat(target).catch(() => undefined))) continue;
    await cp(source, target, { recursive: true });
  }
  return versions;
}
