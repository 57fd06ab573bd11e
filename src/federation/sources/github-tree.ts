/**
 * The files of one commit as GitHub lists them, each bound to the commit:
 * the commit names its root tree, and every tree of the listing must hash to
 * the SHA its parent (or the commit) names, so a tampered listing cannot point
 * a path at another blob, nor add or drop an entry. The commit → root tree link
 * is GitHub's word over TLS: its API does not give the raw commit object (dates
 * come in UTC without their offset, other headers and signatures are left out),
 * so the commit's own hash cannot be recomputed.
 */
import { verifyTreeListing, type ListedEntry } from '../git-tree.js';

/** GETs a path under the repository's API URL and parses the JSON answer. */
export type GitHubJson = (path: string, signal: AbortSignal) => Promise<unknown>;

interface TreeAnswer {
  sha: string;
  entries: ListedEntry[];
  truncated: boolean;
}

const SHA = /^[0-9a-f]{40}$/;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function treeAnswer(value: unknown, what: string): TreeAnswer {
  const items = isObject(value) ? value.tree : undefined;
  if (!isObject(value) || typeof value.sha !== 'string' || !Array.isArray(items)) throw new Error(`GitHub's answer for ${what} is not a tree listing`);
  const entries = items.map((item: unknown): ListedEntry => {
    if (!isObject(item) || typeof item.path !== 'string' || typeof item.mode !== 'string' || typeof item.type !== 'string' || typeof item.sha !== 'string') {
      throw new Error(`GitHub's answer for ${what} has an entry without path, mode, type and sha`);
    }
    return { path: item.path, mode: item.mode, type: item.type, sha: item.sha };
  });
  return { sha: value.sha, entries, truncated: value.truncated === true };
}

/** The root tree SHA the commit names (GET /git/commits/{sha}). */
async function rootTreeOf(get: GitHubJson, commit: string, signal: AbortSignal): Promise<string> {
  const answer = await get(`/git/commits/${commit}`, signal);
  if (!isObject(answer) || answer.sha !== commit) throw new Error(`GitHub's answer for commit ${commit} names another commit`);
  const tree = isObject(answer.tree) ? answer.tree.sha : undefined;
  if (typeof tree !== 'string' || !SHA.test(tree)) throw new Error(`GitHub's answer for commit ${commit} names no tree`);
  return tree;
}

/**
 * Every blob of the commit under `dir` ('' for all), paths from the repository
 * root, each checked up to the commit's tree. One listing (`?recursive=1`)
 * when GitHub gives it whole; when it is truncated, the trees on the way to
 * `dir` one level at a time (one request per folder of `dir`), then `dir` in one listing.
 */
export async function listCommitBlobs(get: GitHubJson, commit: string, dir: string, signal: AbortSignal): Promise<ListedEntry[]> {
  const [rootTree, whole] = await Promise.all([
    rootTreeOf(get, commit, signal),
    get(`/git/trees/${commit}?recursive=1`, signal).then((answer) => treeAnswer(answer, `the tree of ${commit}`)),
  ]);
  if (!whole.truncated) {
    if (whole.sha !== rootTree) throw new Error(`tree check failed: GitHub listed tree ${whole.sha} for commit ${commit}, whose tree is ${rootTree}`);
    verifyTreeListing(whole.entries, { sha: rootTree, path: '' }, { recursive: true });
    const prefix = dir ? `${dir}/` : '';
    return whole.entries.filter((entry) => entry.type === 'blob' && entry.path.startsWith(prefix));
  }
  if (!dir) throw new Error(`the tree of ${commit} is too large for one GitHub response; keep the build output in a folder of the repository (dir) or in a smaller repository`);
  let tree = { sha: rootTree, path: '' };
  for (const name of dir.split('/')) {
    const level = treeAnswer(await get(`/git/trees/${tree.sha}`, signal), `tree ${tree.sha}`);
    if (level.truncated) throw new Error(`the folder ${tree.path || '/'} of ${commit} has too many entries for one GitHub response`);
    verifyTreeListing(level.entries, tree, { recursive: false });
    const next = level.entries.find((entry) => entry.path === name && entry.type === 'tree');
    if (!next) return [];
    tree = { sha: next.sha, path: tree.path ? `${tree.path}/${name}` : name };
  }
  const build = treeAnswer(await get(`/git/trees/${tree.sha}?recursive=1`, signal), `tree ${tree.sha}`);
  if (build.truncated) throw new Error(`the folder ${dir} of ${commit} is too large for one GitHub response; keep the build output in a smaller folder`);
  verifyTreeListing(build.entries, tree, { recursive: true });
  return build.entries.filter((entry) => entry.type === 'blob').map((entry) => ({ ...entry, path: `${dir}/${entry.path}` }));
}
