/**
 * The contract every source kind keeps. A source says where a remote's build
 * output lives: it names the version to load (a commit SHA or a content hash)
 * and writes that version's files into a folder; the loader only ever
 * evaluates files from such a folder, so every file of one load comes from the
 * same version. `test/support/source-conformance.ts` checks a kind against it.
 */

/** One version of a remote's build, ready to be written. */
export interface ResolvedVersion {
  /** Commit SHA or content hash; names the cached snapshot. Letters, digits, `.`, `_`, `-`. */
  version: string;
  /**
   * Writes every file of this version, byte for byte, into `dir` (exists,
   * empty), or rejects: never a part of the build, never files of another
   * version. `signal` aborts it. `reuse` finds a file already on disk whose git
   * blob SHA is the given one, so a source that knows blob SHAs can copy
   * unchanged files instead of downloading them.
   */
  writeSnapshot(dir: string, signal: AbortSignal, reuse?: BlobReuse): Promise<void>;
}

/** Path of a local file with this git blob SHA, if one is known. */
export type BlobReuse = (blobSha: string) => Promise<string | undefined>;

/** Where one remote's builds come from. */
export interface Source {
  /** The source kind (the `kind` of the remote's entry in remoteEntries.js). */
  readonly kind: string;
  /** Where the remote comes from, without secrets (for logs and the config API). */
  describe(): string;
  /** Finds the current version; `signal` aborts it. A missing or unreachable build rejects with an error saying so. */
  resolve(signal: AbortSignal): Promise<ResolvedVersion>;
  /**
   * A given version without asking which is current (a commit named by a push
   * webhook). Only sources whose versions are addressable have it.
   */
  at?(version: string): ResolvedVersion;
  /**
   * How version `head` relates to version `base` in the source's history (GitHub's
   * compare API): `ahead` (head contains base and more), `behind` (head is an ancestor
   * of base), `identical`, or `diverged` (neither contains the other). Only sources
   * whose versions are commits have it; a push webhook uses it so it never moves a
   * remote back. Rejects when the source cannot tell (unreachable, unknown commit).
   */
  compare?(base: string, head: string, signal: AbortSignal): Promise<CommitOrder>;
}

/** How one commit relates to another, in the words of GitHub's compare API. */
export type CommitOrder = 'ahead' | 'behind' | 'identical' | 'diverged';

/** The file every remote build must contain. */
export const REMOTE_ENTRY_FILE = 'remoteEntry.js';
