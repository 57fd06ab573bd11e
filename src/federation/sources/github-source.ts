/**
 * A remote whose build output is committed to a GitHub (or GitHub Enterprise)
 * repository. The ref is resolved to one commit; every file of the load is a
 * blob of that commit's tree, the tree checked up to the commit's tree SHA
 * (github-tree.ts) and each file against its git blob SHA.
 */
import { readFile } from 'node:fs/promises';
import { clean as semverClean, gt, satisfies } from 'semver';
import type { GitHubSourceConfig } from '../../config/source-configs.js';
import { fetchChecked, SourceFetchError, type FetchedResponse } from '../fetch-checked.js';
import { REMOTE_ENTRY_FILE, type BlobReuse, type CommitOrder, type ResolvedVersion, type Source } from './source.js';
import { writeSnapshotFiles } from './snapshot-files.js';
import { gitBlobSha } from '../git-blob.js';
import type { ListedEntry } from '../git-tree.js';
import { listCommitBlobs } from './github-tree.js';

export interface GitHubSourceOptions {
  /** Default API base when the entry names none (GITHUB_API_URL). */
  apiUrl: string;
  token: string | undefined;
  timeoutMs: number;
  /** Blob downloads in flight at once. */
  concurrency?: number;
}

const SHA = /^[0-9a-f]{40}$/;
const ORDERS: readonly CommitOrder[] = ['ahead', 'behind', 'identical', 'diverged'];
/** A comparison also lists the changed files (with patches): enough room for a large build's diff. */
const COMPARE_MAX_BYTES = 32 * 1024 * 1024;

export function createGitHubSource(config: GitHubSourceConfig, options: GitHubSourceOptions): Source {
  const apiUrl = (config.apiUrl ?? options.apiUrl).replace(/\/+$/, '');
  const repoUrl = `${apiUrl}/repos/${encodeURIComponent(config.owner)}/${encodeURIComponent(config.repo)}`;
  const prefix = config.dir ? `${config.dir}/` : '';

  async function call(path: string, accept: string, signal: AbortSignal, etag?: string, maxBytes?: number): Promise<FetchedResponse> {
    const headers: Record<string, string> = {
      accept,
      'user-agent': 'microlib-host',
      'x-github-api-version': '2022-11-28',
    };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (etag) headers['if-none-match'] = etag;
    try {
      return await fetchChecked(`${repoUrl}${path}`, { timeoutMs: options.timeoutMs, headers, signal, acceptStatus: etag ? [304] : [], ...(maxBytes ? { maxBytes } : {}) });
    } catch (error) {
      throw explain(error);
    }
  }

  function explain(error: unknown): unknown {
    if (!(error instanceof SourceFetchError)) return error;
    const where = `${config.owner}/${config.repo}`;
    if (error.status === 401) return new Error(`GitHub refused the token for ${where} (401 Bad credentials): check GITHUB_TOKEN`, { cause: error });
    if ((error.status === 403 || error.status === 429) && /rate limit/i.test(error.message)) {
      return new Error(`GitHub rate limit exhausted while reading ${where}${options.token ? '' : ' (set GITHUB_TOKEN for a higher limit)'}: ${error.message}`, { cause: error });
    }
    if (error.status === 404) return new Error(`${error.message} (is ${where} right, and does the token see it?)`, { cause: error });
    return error;
  }

  // The last answer for the ref: polling asks "changed since?" and a 304 costs no rate limit.
  let lastRef: { etag: string; sha: string } | undefined;

  async function resolveCommit(signal: AbortSignal): Promise<string> {
    const response = await call(`/commits/${encodeURIComponent(config.ref)}`, 'application/vnd.github.sha', signal, lastRef?.etag);
    if (response.status === 304 && lastRef) return lastRef.sha;
    const sha = response.body.toString('utf8').trim();
    if (!SHA.test(sha)) throw new Error(`GitHub answered "${sha.slice(0, 60)}" for ref ${config.ref}, not a commit SHA`);
    const etag = response.headers.get('etag');
    lastRef = etag ? { etag, sha } : undefined;
    return sha;
  }

  /** The commit of the highest tag in the semver range (evergreen deployment). */
  async function resolveSemver(range: string, signal: AbortSignal): Promise<string> {
    let best: { version: string; sha: string; tag: string } | undefined;
    // 10 pages of 100 tags bound the work; repositories with more should prune old tags.
    for (let page = 1; page <= 10; page++) {
      const response = await call(`/tags?per_page=100&page=${page}`, 'application/vnd.github+json', signal);
      const tags = JSON.parse(response.body.toString('utf8')) as Array<{ name: string; commit: { sha: string } }>;
      for (const tag of tags) {
        const version = semverClean(tag.name);
        if (version && satisfies(version, range) && (!best || gt(version, best.version))) best = { version, sha: tag.commit.sha, tag: tag.name };
      }
      if (tags.length < 100) break;
    }
    if (!best) throw new Error(`no tag of ${config.owner}/${config.repo} satisfies ${range}`);
    if (!SHA.test(best.sha)) throw new Error(`tag ${best.tag} does not name a commit`);
    return best.sha;
  }

  function versionAt(commit: string): ResolvedVersion {
    if (!SHA.test(commit)) throw new Error(`"${commit}" is not a full commit SHA`);
    return {
      version: commit,
      async writeSnapshot(dir, signal, reuse) {
        const files = await listFiles(commit, signal);
        await writeSnapshotFiles(
          dir,
          files.map((file) => ({ name: file.path.slice(prefix.length), bytes: () => blobBytes(file, signal, reuse) })),
          { signal, concurrency: options.concurrency ?? 8 },
        );
      },
    };
  }

  async function getJson(path: string, signal: AbortSignal): Promise<unknown> {
    const response = await call(path, 'application/vnd.github+json', signal);
    try {
      return JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new Error(`GitHub answered ${path.replace(/\?.*$/, '')} of ${config.owner}/${config.repo} with something other than JSON`);
    }
  }

  async function listFiles(commit: string, signal: AbortSignal): Promise<ListedEntry[]> {
    const files = await listCommitBlobs(getJson, commit, config.dir, signal);
    if (!files.some((file) => file.path === `${prefix}${REMOTE_ENTRY_FILE}`)) {
      throw new Error(`no ${prefix}${REMOTE_ENTRY_FILE} in ${config.owner}/${config.repo} at ${commit.slice(0, 12)} (ref ${config.ref})`);
    }
    return files;
  }

  async function blobBytes(file: ListedEntry, signal: AbortSignal, reuse: BlobReuse | undefined): Promise<Uint8Array> {
    const local = await reuse?.(file.sha);
    // Unchanged since a cached version: its bytes were checked against this SHA when they arrived.
    if (local) return readFile(local);
    // The raw media type also works for blobs above the 1 MB limit of JSON content.
    const response = await call(`/git/blobs/${file.sha}`, 'application/vnd.github.raw+json', signal);
    const actual = gitBlobSha(response.body);
    if (actual !== file.sha) {
      throw new Error(`integrity check failed for ${file.path}: expected blob ${file.sha}, received ${actual}`);
    }
    return response.body;
  }

  /** GET /compare/{base}...{head}: one commit per page is enough, only `status` is read. */
  async function compare(base: string, head: string, signal: AbortSignal): Promise<CommitOrder> {
    if (!SHA.test(base) || !SHA.test(head)) throw new Error(`"${SHA.test(base) ? head : base}" is not a full commit SHA`);
    const response = await call(`/compare/${base}...${head}?per_page=1`, 'application/vnd.github+json', signal, undefined, COMPARE_MAX_BYTES);
    const status = (JSON.parse(response.body.toString('utf8')) as { status?: unknown }).status;
    if (!ORDERS.includes(status as CommitOrder)) throw new Error(`GitHub compared ${base.slice(0, 12)}...${head.slice(0, 12)} with status ${JSON.stringify(status)}, not one of ${ORDERS.join(', ')}`);
    return status as CommitOrder;
  }

  return {
    kind: 'github',
    describe: () => `github:${config.owner}/${config.repo}@${config.semver ?? config.ref}${config.dir ? `/${config.dir}` : ''}${config.apiUrl ? ` (${apiUrl})` : ''}`,
    async resolve(signal): Promise<ResolvedVersion> {
      return versionAt(config.semver ? await resolveSemver(config.semver, signal) : await resolveCommit(signal));
    },
    at: versionAt,
    compare,
  };
}
