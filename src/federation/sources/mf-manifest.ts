/**
 * `mf-manifest.json`, which @module-federation/enhanced emits next to
 * remoteEntry.js: the list of a build's chunks for sources that cannot list a
 * folder (a web server).
 */
export const MANIFEST_FILE = 'mf-manifest.json';

interface ManifestAssets {
  js?: { sync?: string[]; async?: string[] };
}

interface Manifest {
  exposes?: { assets?: ManifestAssets }[];
  shared?: { assets?: ManifestAssets }[];
}

/** Every JS file the manifest names, relative to the remote's folder; `where` names the manifest in the error when it is not JSON. */
export function manifestFiles(bytes: Uint8Array, where: string): string[] {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(Buffer.from(bytes).toString('utf8')) as Manifest;
  } catch {
    throw new Error(`${where} is not valid JSON`);
  }
  const files = new Set<string>();
  for (const item of [...(manifest.exposes ?? []), ...(manifest.shared ?? [])]) {
    for (const file of [...(item.assets?.js?.sync ?? []), ...(item.assets?.js?.async ?? [])]) files.add(file);
  }
  return [...files];
}
