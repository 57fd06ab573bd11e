// A GitHub-REST-API-compatible server backed by real local git repositories,
// so end-to-end tests exercise the same client code path as api.github.com
// (or GitHub Enterprise, via `pathPrefix: '/api/v3'`).
//
// Served (GET/HEAD only), shapes as in GitHub's REST docs:
//   /repos/{owner}/{repo}
//   /repos/{owner}/{repo}/commits/{ref}          (Accept: application/vnd.github.sha → bare SHA)
//   /repos/{owner}/{repo}/tags?per_page=&page=    (name and commit SHA of each tag)
//   /repos/{owner}/{repo}/git/commits/{sha}      (the commit object: tree, parents, people, message)
//   /repos/{owner}/{repo}/git/trees/{tree-ish}   (?recursive=<any value>)
//   /repos/{owner}/{repo}/git/blobs/{sha}        (Accept: application/vnd.github.raw → bytes)
//   /repos/{owner}/{repo}/contents/{path}?ref=   (raw media type → bytes)
//   /repos/{owner}/{repo}/compare/{base}...{head} (status ahead/behind/identical/diverged, ahead_by,
//                                                  behind_by, commits with ?per_page=&page=, files)
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { STATUS_CODES, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { GitObjectStore, OBJECT_SPEC, type TreeEntry } from './git-object-store.js';

const execFileAsync = promisify(execFile);

export interface RepoConfig {
  /** Path of the local git repository (working tree or bare). */
  path: string;
  /** Private repos answer 404 to requests without (valid) credentials, as GitHub does. */
  private?: boolean;
  /** Overrides the default branch, which is otherwise read from the repo's HEAD on each request. */
  defaultBranch?: string;
}

export interface GitHubApiServerOptions {
  /** `'owner/repo'` (case-insensitive, like GitHub) → repo path or config. */
  repos: Record<string, string | RepoConfig>;
  /** When set, requests must send `Authorization: Bearer <token>` or `token <token>`; when unset any credentials pass. */
  token?: string;
  /** Budget per window for authenticated requests. Default 5000 (GitHub's). */
  rateLimit?: number;
  /** Budget per window for requests without credentials. Default 60 (GitHub's). */
  unauthenticatedRateLimit?: number;
  /** Rate-limit window length. Default one hour. */
  rateLimitWindowMs?: number;
  /** Mount point of the API, e.g. `'/api/v3'` to mimic GitHub Enterprise Server. Default `''`. */
  pathPrefix?: string;
  /** Trees with more entries come back cut, with `truncated: true`. Default 100000. */
  maxTreeEntries?: number;
}

export type Fault =
  /** Accept the request and never answer (until `close()` or the client gives up). */
  | { kind: 'hang'; times?: number }
  /** Wait `ms`, then answer normally. */
  | { kind: 'delay'; ms: number; times?: number }
  /** Answer `status` with `body` (JSON unless a string; default GitHub-style error JSON). Not counted against the rate limit. */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string>; times?: number }
  /** Answer normally but flip a byte of blob content (blob and contents endpoints; size and sha stay the real ones). */
  | { kind: 'corrupt'; times?: number }
  /** Destroy the connection without answering. */
  | { kind: 'reset'; times?: number }
  /** Answer what `edit` makes of the normal JSON answer (a tampered tree listing or commit); other answers pass unchanged. */
  | { kind: 'edit'; edit: (body: any) => unknown; times?: number };

export interface FaultHandle {
  /** Requests this fault has applied to so far. */
  readonly hits: number;
  clear(): void;
}

export interface RecordedRequest {
  method: string;
  /** API path as sent (still percent-encoded), without `pathPrefix`. */
  path: string;
  query: Record<string, string>;
  accept: string | undefined;
  hasAuthorization: boolean;
  ifNoneMatch: string | undefined;
  /** Status answered; 0 while pending and for hung or reset requests. */
  status: number;
  fault: Fault['kind'] | undefined;
}

export interface GitHubApiServer {
  /** API base URL (includes `pathPrefix`), e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[];
  /**
   * Milliseconds during which at least one request was being answered (overlapping requests
   * count once), since the server started: what a client waited on this server, git included.
   */
  readonly busyMs: number;
  clearRequests(): void;
  /** `match`: a string is a prefix of the API path; a RegExp is tested against API path + query string. First matching fault wins. */
  setFault(match: string | RegExp, fault: Fault): FaultHandle;
  clearFaults(): void;
  /** Refills both budgets and starts a new window; optionally changes the limits. */
  resetRateLimit(limits?: { rateLimit?: number; unauthenticatedRateLimit?: number }): void;
  addRepo(fullName: string, config: string | RepoConfig): void;
  /** Stops the server, destroying open (including hung) connections. */
  close(): Promise<void>;
}

/** GitHub serves file content inline in JSON only up to 1 MB. */
export const MAX_INLINE_CONTENT_BYTES = 1024 * 1024;

const DOCS = 'https://docs.github.com/rest';
const RATE_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

interface Reply {
  status: number;
  body: Buffer;
  contentType: string;
  /** Value for GitHub's `x-github-media-type` header. */
  media: string;
}

/** Thrown anywhere below a route to answer with `reply`. */
class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(reply.status.toString());
  }
}

function json(status: number, value: unknown): Reply {
  return {
    status,
    body: Buffer.from(JSON.stringify(value)),
    contentType: 'application/json; charset=utf-8',
    media: 'github.v3; format=json',
  };
}

function errorReply(status: number, message: string, documentationUrl = DOCS): Reply {
  return json(status, { message, documentation_url: documentationUrl, status: String(status) });
}

const notFound = (): HttpError => new HttpError(errorReply(404, 'Not Found'));

function rawReply(bytes: Buffer): Reply {
  return { status: 200, body: bytes, contentType: 'application/vnd.github.raw', media: 'github.v3; param=raw' };
}

type Media = 'json' | 'raw' | 'sha';

function wantedMedia(accept: string | undefined): Media {
  const value = (accept ?? '').toLowerCase();
  // Covers `vnd.github.raw`, `vnd.github.raw+json` and the older `vnd.github.v3.raw`.
  if (/application\/vnd\.github(?:\.v3)?\.raw/.test(value)) return 'raw';
  if (/application\/vnd\.github(?:\.v3)?\.sha/.test(value)) return 'sha';
  return 'json';
}

/** Base64 wrapped at 60 columns with a trailing newline, as GitHub sends it. */
function base64Lines(bytes: Buffer): string {
  const b64 = bytes.toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 60) out += `${b64.slice(i, i + 60)}\n`;
  return out;
}

function corruptBytes(bytes: Buffer): Buffer {
  if (bytes.length === 0) return Buffer.from([0x2a]);
  const copy = Buffer.from(bytes);
  const i = copy.length >> 1;
  copy[i] = copy[i]! ^ 0xff;
  return copy;
}

function isoDate(epochSeconds: string): string {
  return new Date(Number(epochSeconds) * 1000).toISOString().replace('.000Z', 'Z');
}

// ---------------------------------------------------------------------------
// git access (always async: the event loop must keep serving other requests). Objects named by
// SHA come from the repository's GitObjectStore (one long-lived process, answers kept); refs and
// history walks run git each time, so a push is seen at once.

async function git(cwd: string, args: string[]): Promise<Buffer> {
  const { stdout } = await execFileAsync('git', args, {
    cwd,
    encoding: 'buffer',
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  return stdout;
}

/** `rev-parse --verify --quiet` exits 1 for "no such object"; any other failure is a real error (→ 500). */
async function resolveObject(cwd: string, spec: string): Promise<string | null> {
  // Leading '-' would be read as an option; control characters and ':' (rev:path) are never valid refs here.
  if (spec === '' || spec.startsWith('-') || /[\s\x00-\x1f\x7f:]/.test(spec)) return null;
  try {
    const out = await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', spec]);
    return out.toString('utf8').trim();
  } catch (err) {
    if ((err as { code?: unknown }).code === 1) return null;
    throw err;
  }
}

/** Runs git; null when it exits 1 (as `merge-base` does when two commits share no history). */
async function gitOrNull(cwd: string, args: string[]): Promise<string | null> {
  try {
    return (await git(cwd, args)).toString('utf8').trim();
  } catch (err) {
    if ((err as { code?: unknown }).code === 1) return null;
    throw err;
  }
}

interface Person {
  name: string;
  email: string;
  date: string;
}

function parseCommit(raw: string): { tree: string; parents: string[]; author: Person; committer: Person; message: string } {
  const split = raw.indexOf('\n\n');
  const head = split === -1 ? raw : raw.slice(0, split);
  const message = split === -1 ? '' : raw.slice(split + 2).replace(/\n$/, '');
  let tree = '';
  const parents: string[] = [];
  const people: Record<string, Person> = {};
  for (const line of head.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue; // continuation lines of multi-line headers (gpgsig) start with a space
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'tree') tree = value;
    else if (key === 'parent') parents.push(value);
    else if (key === 'author' || key === 'committer') {
      const m = /^(.*) <(.*)> (\d+) [+-]\d{4}$/.exec(value);
      if (m) people[key] = { name: m[1]!, email: m[2]!, date: isoDate(m[3]!) };
    }
  }
  const unknown: Person = { name: '', email: '', date: isoDate('0') };
  return { tree, parents, author: people.author ?? unknown, committer: people.committer ?? unknown, message };
}

// ---------------------------------------------------------------------------
// rate limiting

class Bucket {
  used = 0;
  resetAt: number;

  constructor(
    public limit: number,
    private readonly windowMs: number,
  ) {
    this.resetAt = Date.now() + windowMs;
  }

  get remaining(): number {
    return Math.max(0, this.limit - this.used);
  }

  refresh(now: number): void {
    if (now >= this.resetAt) this.restart(now);
  }

  restart(now: number): void {
    this.used = 0;
    this.resetAt = now + this.windowMs;
  }

  headers(): Record<string, string> {
    return {
      'x-ratelimit-limit': String(this.limit),
      'x-ratelimit-remaining': String(this.remaining),
      'x-ratelimit-used': String(Math.min(this.used, this.limit)),
      'x-ratelimit-reset': String(Math.ceil(this.resetAt / 1000)),
      'x-ratelimit-resource': 'core',
    };
  }
}

// ---------------------------------------------------------------------------

interface RepoEntry {
  fullName: string;
  path: string;
  private: boolean;
  defaultBranch: string | undefined;
}

interface FaultEntry {
  match: string | RegExp;
  fault: Fault;
  hits: number;
}

export async function startGitHubApiServer(options: GitHubApiServerOptions): Promise<GitHubApiServer> {
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const windowMs = options.rateLimitWindowMs ?? 60 * 60 * 1000;
  const authBucket = new Bucket(options.rateLimit ?? 5000, windowMs);
  const anonBucket = new Bucket(options.unauthenticatedRateLimit ?? 60, windowMs);
  const repos = new Map<string, RepoEntry>();
  const faults: FaultEntry[] = [];
  const requests: RecordedRequest[] = [];
  const inFlight = new Set<Promise<void>>();
  /** Repository path → its objects; repositories added under two names share one. */
  const stores = new Map<string, GitObjectStore>();
  const storeOf = (cwd: string): GitObjectStore => {
    let store = stores.get(cwd);
    if (!store) stores.set(cwd, (store = new GitObjectStore(cwd)));
    return store;
  };
  const closing = new AbortController();
  let origin = '';
  // Busy time: a span opens when the first request arrives and closes when the last in flight is answered.
  let answering = 0;
  let busySince = 0;
  let busyTotal = 0;
  const answeringStarted = (): void => {
    if (answering++ === 0) busySince = performance.now();
  };
  const answeringEnded = (): void => {
    if (--answering === 0) busyTotal += performance.now() - busySince;
  };

  const addRepo = (fullName: string, config: string | RepoConfig): void => {
    const c = typeof config === 'string' ? { path: config } : config;
    repos.set(fullName.toLowerCase(), {
      fullName,
      path: c.path,
      private: c.private ?? false,
      defaultBranch: c.defaultBranch,
    });
  };
  for (const [name, config] of Object.entries(options.repos)) addRepo(name, config);

  const takeFault = (path: string, search: string): Fault | undefined => {
    const entry = faults.find((f) => {
      if (typeof f.match === 'string') return path.startsWith(f.match);
      f.match.lastIndex = 0; // a /g or /y regex would otherwise remember its last position
      return f.match.test(path + search);
    });
    if (!entry) return undefined;
    entry.hits++;
    if (entry.fault.times !== undefined && entry.hits >= entry.fault.times) faults.splice(faults.indexOf(entry), 1);
    return entry.fault;
  };

  // -------------------------------------------------------------------------
  // routes

  async function route(repoEntry: RepoEntry, rest: string[], url: URL, media: Media, corrupt: boolean): Promise<Reply> {
    const cwd = repoEntry.path;
    const full = repoEntry.fullName;
    const api = `${origin}${prefix}/repos/${full}`;
    const web = `${origin}/${full}`;
    const decode = (segments: string[]): string => {
      try {
        return segments.map(decodeURIComponent).join('/');
      } catch {
        throw notFound();
      }
    };
    const defaultBranch = async (): Promise<string> =>
      repoEntry.defaultBranch ?? (await git(cwd, ['symbolic-ref', '--short', 'HEAD'])).toString('utf8').trim();
    const store = storeOf(cwd);
    /** As `rev-parse --verify`: SHAs (peeled or not) from the store, anything else (a ref) from git now. */
    const resolve = async (spec: string): Promise<string | null> =>
      OBJECT_SPEC.test(spec) ? ((await store.read(spec))?.sha ?? null) : resolveObject(cwd, spec);
    const objectBytes = async (spec: string): Promise<Buffer> => {
      const object = await store.read(spec);
      if (!object) throw new Error(`git has no object ${spec} in ${full}`);
      return object.bytes;
    };
    const catBlob = (sha: string): Promise<Buffer> => objectBytes(`${sha}^{blob}`);
    const catCommit = async (sha: string): Promise<string> => (await objectBytes(`${sha}^{commit}`)).toString('utf8');

    /** A commit as GET /commits/{sha} answers it. */
    const commitObject = async (sha: string) => {
      const c = parseCommit(await catCommit(sha));
      return {
        sha,
        commit: {
          author: c.author,
          committer: c.committer,
          message: c.message,
          tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
          url: `${api}/git/commits/${sha}`,
          comment_count: 0,
          verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
        },
        url: `${api}/commits/${sha}`,
        html_url: `${web}/commit/${sha}`,
        comments_url: `${api}/commits/${sha}/comments`,
        // GitHub user accounts linked to the commit: none exist here.
        author: null,
        committer: null,
        parents: c.parents.map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${web}/commit/${p}` })),
      };
    };

    /** The files a comparison lists: what changed from the merge base to the head (no patches here). */
    const changedFiles = async (from: string, to: string) => {
      const changes = await store.derive(`files ${from} ${to}`, () => fileChanges(from, to));
      return changes.map((c) => ({ ...c, changes: c.additions + c.deletions, blob_url: `${web}/blob/${to}/${c.filename}`, raw_url: `${web}/raw/${to}/${c.filename}`, contents_url: `${api}/contents/${c.filename}?ref=${to}` }));
    };
    /** What git says changed between two commits; the same answer every time for the same two. */
    const fileChanges = async (from: string, to: string) => {
      const numstat = (await git(cwd, ['diff-tree', '-r', '-z', '--no-renames', '--numstat', from, to])).toString('utf8').split('\0');
      const lines = new Map<string, { additions: number; deletions: number }>();
      for (const record of numstat) {
        const [added = '', deleted = '', ...name] = record.split('\t');
        // Binary files count "-" lines.
        if (name.length > 0) lines.set(name.join('\t'), { additions: Number(added) || 0, deletions: Number(deleted) || 0 });
      }
      const raw = (await git(cwd, ['diff-tree', '-r', '-z', '--no-renames', from, to])).toString('utf8').split('\0');
      const files = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const [, , oldSha = '', newSha = '', letter = ''] = raw[i]!.slice(1).split(' ');
        const filename = raw[i + 1]!;
        const status = letter === 'A' ? 'added' : letter === 'D' ? 'removed' : 'modified';
        const { additions, deletions } = lines.get(filename) ?? { additions: 0, deletions: 0 };
        const sha = status === 'removed' ? oldSha : newSha;
        files.push({ sha, filename, status, additions, deletions });
      }
      return files.slice(0, 300);
    };

    if (rest.length === 0) {
      const [owner = ''] = full.split('/');
      const isPrivate = repoEntry.private;
      return json(200, {
        id: parseInt(createHash('sha1').update(full.toLowerCase()).digest('hex').slice(0, 8), 16),
        name: full.split('/')[1],
        full_name: full,
        owner: { login: owner, type: 'User' },
        private: isPrivate,
        visibility: isPrivate ? 'private' : 'public',
        html_url: web,
        url: api,
        description: null,
        fork: false,
        archived: false,
        disabled: false,
        default_branch: await defaultBranch(),
      });
    }

    const [section, sub] = rest;

    if (section === 'commits' && rest.length >= 2) {
      const ref = decode(rest.slice(1));
      const sha = await resolve(`${ref}^{commit}`);
      if (!sha) {
        throw new HttpError(
          errorReply(422, `No commit found for SHA: ${ref}`, 'https://docs.github.com/rest/commits/commits#get-a-commit'),
        );
      }
      if (media === 'sha') {
        return {
          status: 200,
          body: Buffer.from(sha),
          contentType: 'application/vnd.github.sha; charset=utf-8',
          media: 'github.v3; param=sha',
        };
      }
      return json(200, await commitObject(sha));
    }

    if (section === 'compare' && rest.length >= 2) {
      // `BASE...HEAD`; GitHub also takes `owner:branch` for forks, which this server does not.
      const basehead = decode(rest.slice(1));
      const dots = basehead.indexOf('...');
      if (dots <= 0) throw notFound();
      const [base, head] = await Promise.all([resolve(`${basehead.slice(0, dots)}^{commit}`), resolve(`${basehead.slice(dots + 3)}^{commit}`)]);
      if (!base || !head) throw notFound();
      // How two commits relate never changes: asked once per pair.
      const history = await store.derive(`compare ${base} ${head}`, async () => {
        const mergeBase = await gitOrNull(cwd, ['merge-base', base, head]);
        if (!mergeBase) return undefined;
        const count = async (range: string) => Number((await git(cwd, ['rev-list', '--count', range])).toString('utf8').trim());
        const [aheadBy, behindBy, listed] = await Promise.all([
          count(`${base}..${head}`),
          count(`${head}..${base}`),
          git(cwd, ['rev-list', '--reverse', `${base}..${head}`]),
        ]);
        return { mergeBase, aheadBy, behindBy, all: listed.toString('utf8').split('\n').filter(Boolean) };
      });
      if (!history) throw new HttpError(errorReply(404, `No common ancestor between ${base} and ${head}.`, 'https://docs.github.com/rest/commits/commits#compare-two-commits'));
      const { mergeBase, aheadBy, behindBy, all } = history;
      const status = aheadBy === 0 && behindBy === 0 ? 'identical' : behindBy === 0 ? 'ahead' : aheadBy === 0 ? 'behind' : 'diverged';
      // Without paging parameters GitHub lists at most 250 commits; with them, a page (30 by default, at most 100).
      const paged = url.searchParams.has('per_page') || url.searchParams.has('page');
      const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      const listed = paged ? all.slice((page - 1) * perPage, page * perPage) : all.slice(0, 250);
      return json(200, {
        url: `${api}/compare/${basehead}`,
        html_url: `${web}/compare/${basehead}`,
        permalink_url: `${web}/compare/${base}...${head}`,
        diff_url: `${web}/compare/${basehead}.diff`,
        patch_url: `${web}/compare/${basehead}.patch`,
        base_commit: await commitObject(base),
        merge_base_commit: await commitObject(mergeBase),
        status,
        ahead_by: aheadBy,
        behind_by: behindBy,
        total_commits: aheadBy,
        commits: await Promise.all(listed.map(commitObject)),
        files: await changedFiles(mergeBase, head),
      });
    }

    if (section === 'tags' && rest.length === 1) {
      // Newest tags first is not guaranteed by GitHub either; callers must sort by version.
      const lines = (await git(cwd, ['for-each-ref', '--format=%(refname:short) %(*objectname) %(objectname)', 'refs/tags'])).toString('utf8');
      const tags = lines
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [name = '', peeled = '', object = ''] = line.split(' ');
          // Annotated tags peel to their commit; lightweight ones name it directly.
          const sha = peeled || object;
          return { name, commit: { sha, url: `${api}/commits/${sha}` }, zipball_url: `${api}/zipball/refs/tags/${name}`, tarball_url: `${api}/tarball/refs/tags/${name}`, node_id: '' };
        });
      const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      return json(200, tags.slice((page - 1) * perPage, page * perPage));
    }

    if (section === 'git' && sub === 'commits' && rest.length === 3) {
      // The git data API takes a full object SHA only, never a ref.
      const sha = rest[2]!.toLowerCase();
      // Only the commit itself: a tag that peels to one is not a commit here.
      const object = /^[0-9a-f]{40}$/.test(sha) ? await store.read(sha) : null;
      if (object?.type !== 'commit') throw notFound();
      const c = parseCommit(object.bytes.toString('utf8'));
      return json(200, {
        sha,
        node_id: '',
        url: `${api}/git/commits/${sha}`,
        html_url: `${web}/commit/${sha}`,
        author: c.author,
        committer: c.committer,
        tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
        message: c.message,
        parents: c.parents.map((p) => ({ sha: p, url: `${api}/git/commits/${p}`, html_url: `${web}/commit/${p}` })),
        verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
      });
    }

    if (section === 'git' && sub === 'trees' && rest.length >= 3) {
      const treeSha = await resolve(`${decode(rest.slice(2))}^{tree}`);
      if (!treeSha) throw notFound();
      // GitHub recurses when the parameter is present at all, whatever its value (even "0" or "false").
      const all = await store.tree(treeSha, url.searchParams.has('recursive'));
      const max = options.maxTreeEntries ?? 100_000;
      return json(200, {
        sha: treeSha,
        url: `${api}/git/trees/${treeSha}`,
        tree: all.slice(0, max).map((e) => ({
          path: e.path,
          mode: e.mode,
          type: e.type,
          sha: e.sha,
          size: e.type === 'blob' ? e.size : undefined,
          url: e.type === 'blob' ? `${api}/git/blobs/${e.sha}` : e.type === 'tree' ? `${api}/git/trees/${e.sha}` : undefined,
        })),
        truncated: all.length > max,
      });
    }

    if (section === 'git' && sub === 'blobs' && rest.length === 3) {
      const sha = rest[2]!.toLowerCase();
      const blob = /^[0-9a-f]{40}$/.test(sha) ? await store.read(`${sha}^{blob}`) : null;
      if (!blob) throw notFound();
      const bytes = blob.bytes;
      const served = corrupt ? corruptBytes(bytes) : bytes;
      if (media === 'raw') return rawReply(served);
      return json(200, {
        sha,
        size: bytes.length,
        url: `${api}/git/blobs/${sha}`,
        content: base64Lines(served),
        encoding: 'base64',
      });
    }

    if (section === 'contents') {
      const segments = decode(rest.slice(1)).split('/').filter((s) => s !== '');
      if (segments.some((s) => s === '.' || s === '..')) throw notFound();
      const ref = url.searchParams.get('ref') || (await defaultBranch());
      const commit = await resolve(`${ref}^{commit}`);
      if (!commit) {
        throw new HttpError(
          errorReply(404, `No commit found for the ref ${ref}`, 'https://docs.github.com/rest/repos/contents#get-repository-content'),
        );
      }
      // Walk the path one tree at a time: exact name matches, no pathspec/glob semantics.
      const rootTree = await resolve(`${commit}^{tree}`);
      if (!rootTree) throw new Error(`commit ${commit} of ${full} has no tree`);
      let entry: TreeEntry = { mode: '040000', type: 'tree', sha: rootTree, size: undefined, path: '' };
      for (const name of segments) {
        if (entry.type !== 'tree') throw notFound();
        const found = (await store.tree(entry.sha, false)).find((e) => e.path === name);
        if (!found) throw notFound();
        entry = { ...found, path: entry.path === '' ? name : `${entry.path}/${name}` };
      }

      const describe = (e: TreeEntry) => {
        const isDir = e.type === 'tree';
        const self = `${api}/contents/${e.path.split('/').map(encodeURIComponent).join('/')}?ref=${encodeURIComponent(ref)}`;
        const gitUrl = e.type === 'commit' ? null : `${api}/git/${isDir ? 'trees' : 'blobs'}/${e.sha}`;
        const html = `${web}/${isDir ? 'tree' : 'blob'}/${ref}/${e.path}`;
        return {
          name: e.path.slice(e.path.lastIndexOf('/') + 1),
          path: e.path,
          sha: e.sha,
          size: e.size ?? 0,
          url: self,
          html_url: html,
          git_url: gitUrl,
          // GitHub points this at raw.githubusercontent.com, which this server does not emulate.
          download_url: null,
          _links: { self, git: gitUrl, html },
        };
      };
      const kind = (e: TreeEntry): string =>
        e.type === 'tree' ? 'dir' : e.mode === '120000' ? 'symlink' : 'file'; // submodules list as "file", like GitHub

      if (entry.type === 'tree') {
        // Custom media types do not apply to directories.
        const children = await store.tree(entry.sha, false);
        return json(
          200,
          children.map((c) => {
            const child = { ...c, path: entry.path === '' ? c.path : `${entry.path}/${c.path}` };
            return { type: kind(child), ...describe(child) };
          }),
        );
      }
      if (entry.type === 'commit') return json(200, { type: 'submodule', ...describe(entry) });
      if (entry.mode === '120000') {
        const target = (await catBlob(entry.sha)).toString('utf8');
        if (media === 'raw') return rawReply(Buffer.from(target));
        return json(200, { type: 'symlink', target, ...describe(entry) });
      }
      const size = entry.size ?? 0;
      if (media !== 'raw' && size > MAX_INLINE_CONTENT_BYTES) {
        return json(200, { type: 'file', encoding: 'none', content: '', ...describe(entry) });
      }
      const bytes = await catBlob(entry.sha);
      const served = corrupt ? corruptBytes(bytes) : bytes;
      if (media === 'raw') return rawReply(served);
      return json(200, { type: 'file', encoding: 'base64', content: base64Lines(served), ...describe(entry) });
    }

    throw notFound();
  }

  // -------------------------------------------------------------------------

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const inPrefix = prefix === '' || url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
    const apiPath = inPrefix ? url.pathname.slice(prefix.length) || '/' : url.pathname;
    const accept = req.headers.accept;
    const authorization = req.headers.authorization;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: apiPath,
      query: Object.fromEntries(url.searchParams),
      accept,
      hasAuthorization: authorization !== undefined,
      ifNoneMatch: req.headers['if-none-match'],
      status: 0,
      fault: undefined,
    };
    requests.push(record);

    // Credentials: with no configured token any credentials are accepted.
    const credentials = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    const auth: 'none' | 'ok' | 'bad' =
      authorization === undefined ? 'none' : options.token === undefined || credentials === options.token ? 'ok' : 'bad';
    const bucket = auth === 'ok' ? authBucket : anonBucket;
    bucket.refresh(Date.now());

    const send = (reply: Reply, headers: Record<string, string> = {}): void => {
      record.status = reply.status;
      res.writeHead(reply.status, {
        'content-type': reply.contentType,
        'content-length': String(reply.body.length),
        'x-github-media-type': reply.media,
        vary: 'Accept, Authorization',
        ...bucket.headers(),
        ...headers,
      });
      res.end(reply.body);
    };

    const fault = takeFault(apiPath, url.search);
    record.fault = fault?.kind;
    if (fault?.kind === 'hang') return; // close() destroys the socket
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') {
      try {
        await sleep(fault.ms, undefined, { signal: closing.signal });
      } catch {
        return; // server closing
      }
    }
    if (fault?.kind === 'status') {
      const body = fault.body ?? { message: STATUS_CODES[fault.status] ?? 'Error', documentation_url: DOCS };
      const reply: Reply =
        typeof body === 'string'
          ? { status: fault.status, body: Buffer.from(body), contentType: 'text/plain; charset=utf-8', media: 'github.v3' }
          : json(fault.status, body);
      send(reply, fault.headers);
      return;
    }

    if (auth === 'bad') {
      bucket.used++;
      send(errorReply(401, 'Bad credentials'));
      return;
    }
    // Checked before routing, so an exhausted budget answers 403 even where a 304 would have been possible.
    if (bucket.remaining === 0) {
      const who = auth === 'ok' ? 'user ID 1.' : `${req.socket.remoteAddress ?? '127.0.0.1'}. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)`;
      send(errorReply(403, `API rate limit exceeded for ${who}`, RATE_DOCS));
      return;
    }
    // Reserve before the (async) work so concurrent requests cannot overdraw the budget.
    bucket.used++;

    let reply: Reply;
    try {
      reply = await dispatch(url, apiPath, inPrefix, auth === 'ok', wantedMedia(accept), fault?.kind === 'corrupt', req.method);
    } catch (err) {
      reply = err instanceof HttpError ? err.reply : errorReply(500, `Internal Server Error: ${(err as Error).message}`);
    }
    if (reply.status !== 200) {
      send(reply);
      return;
    }
    if (fault?.kind === 'edit' && reply.contentType.startsWith('application/json')) {
      reply = json(200, fault.edit(JSON.parse(reply.body.toString('utf8'))));
    }

    const etag = `"${createHash('sha1').update(reply.contentType).update('\0').update(reply.body).digest('hex')}"`;
    const cacheHeaders = {
      etag,
      'cache-control': `${auth === 'ok' ? 'private' : 'public'}, max-age=60, s-maxage=60`,
    };
    if (etagMatches(req.headers['if-none-match'], etag)) {
      bucket.used--; // a 304 does not count against the rate limit
      record.status = 304;
      res.writeHead(304, { ...cacheHeaders, 'x-github-media-type': reply.media, vary: 'Accept, Authorization', ...bucket.headers() });
      res.end();
      return;
    }
    send(reply, cacheHeaders);
  }

  async function dispatch(
    url: URL,
    apiPath: string,
    inPrefix: boolean,
    authorized: boolean,
    media: Media,
    corrupt: boolean,
    method: string | undefined,
  ): Promise<Reply> {
    if (!inPrefix || (method !== 'GET' && method !== 'HEAD')) throw notFound();
    const parts = apiPath.split('/').slice(1);
    if (parts[0] !== 'repos' || parts.length < 3) throw notFound();
    let name: string;
    try {
      name = `${decodeURIComponent(parts[1]!)}/${decodeURIComponent(parts[2]!)}`;
    } catch {
      throw notFound();
    }
    const repoEntry = repos.get(name.toLowerCase());
    // GitHub hides private repositories from callers without access.
    if (!repoEntry || (repoEntry.private && !authorized)) throw notFound();
    return route(repoEntry, parts.slice(3), url, media, corrupt);
  }

  const server = createServer((req, res) => {
    answeringStarted();
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      answeringEnded();
    };
    // A hung request stays open until close(); it counts until then, like any other.
    res.once('finish', end);
    res.once('close', end);
    const done = handle(req, res)
      .catch((err: unknown) => {
        // Last resort: never let a handler bug take the server down.
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify({ message: `Internal Server Error: ${(err as Error).message}`, documentation_url: DOCS }));
        } else {
          res.destroy();
        }
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}${prefix}`,
    port,
    requests,
    get busyMs() {
      return busyTotal + (answering > 0 ? performance.now() - busySince : 0);
    },
    clearRequests() {
      requests.length = 0;
    },
    setFault(match, fault) {
      const entry: FaultEntry = { match, fault, hits: 0 };
      faults.push(entry);
      return {
        get hits() {
          return entry.hits;
        },
        clear() {
          const i = faults.indexOf(entry);
          if (i !== -1) faults.splice(i, 1);
        },
      };
    },
    clearFaults() {
      faults.length = 0;
    },
    resetRateLimit(limits = {}) {
      if (limits.rateLimit !== undefined) authBucket.limit = limits.rateLimit;
      if (limits.unauthenticatedRateLimit !== undefined) anonBucket.limit = limits.unauthenticatedRateLimit;
      authBucket.restart(Date.now());
      anonBucket.restart(Date.now());
    },
    addRepo,
    async close() {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // includes hung requests and idle keep-alive sockets
      await closed;
      // Let git work already started finish, so callers can delete the repos safely.
      await Promise.allSettled([...inFlight]);
      await Promise.allSettled([...stores.values()].map((store) => store.close()));
    },
  };
}

/** Weak comparison (RFC 9110 §13.1.2): `W/` prefixes are ignored; `*` matches anything. */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}
