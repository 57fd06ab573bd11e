/**
 * A source says where a remote's build output lives. It names the version to
 * load (a commit SHA or a content hash) and writes that version's files into a
 * folder; the loader only ever evaluates files from such a folder, so every
 * file of one load comes from the same version.
 */
export interface ResolvedVersion {
  /** Commit SHA or content hash; names the cached snapshot. Letters, digits, `.`, `_`, `-`. */
  version: string;
  /**
   * Writes every file of this version into `dir` (exists, empty). `reuse` finds
   * a file already on disk whose git blob SHA is the given one, so a source that
   * knows blob SHAs can copy unchanged files instead of downloading them.
   */
  materialize(dir: string, signal: AbortSignal, reuse?: BlobReuse): Promise<void>;
}

/** Path of a local file with this git blob SHA, if one is known. */
export type BlobReuse = (blobSha: string) => Promise<string | undefined>;

export interface RemoteSource {
  readonly kind: 'local' | 'http' | 'github';
  /** Where the remote comes from, without secrets (for logs and the config API). */
  describe(): string;
  /** Finds the current version; `signal` aborts it. */
  resolve(signal: AbortSignal): Promise<ResolvedVersion>;
  /**
   * A given version without asking which is current (a commit named by a push
   * webhook). Only sources whose versions are addressable have it.
   */
  at?(version: string): ResolvedVersion;
}

/** The file every remote build must contain. */
export const REMOTE_ENTRY_FILE = 'remoteEntry.js';
