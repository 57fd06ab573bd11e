/** What `microlib bundle` writes and a function started in its folder reads. */

/** The file naming a bundle's versions, in the function's code folder. */
export const BUNDLE_MANIFEST = 'microlib-bundle.json';
/** The bundle's snapshots, one folder per remote and version (the layout of REMOTE_CACHE_DIR). */
export const BUNDLE_REMOTES = 'remotes';

export interface BundleManifest {
  format: 1;
  createdAt: string;
  remotes: Array<{ name: string; version: string; source: string }>;
}
