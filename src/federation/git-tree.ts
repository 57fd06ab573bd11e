/**
 * Git tree objects rebuilt from a listing (what GitHub's trees API answers).
 * A tree's SHA is sha1 over "tree <size>\0" and its entries, so a listing
 * whose entries hash to the SHA its parent names holds exactly that tree's
 * entries: no entry can be swapped, added or dropped without the hash changing.
 */
import { createHash } from 'node:crypto';

/** One entry of a tree listing, its path relative to the listed tree (GitHub's `tree[]` items). */
export interface ListedEntry {
  path: string;
  mode: string;
  type: string;
  sha: string;
}

/** One entry of one tree object: its name, its mode as git writes it (no leading zero), its object SHA. */
export interface GitTreeEntry {
  name: string;
  mode: string;
  sha: string;
}

/** The listed tree: its SHA (trusted from its parent or the commit) and its path in the repository ('' for the root). */
export interface ListedTree {
  sha: string;
  path: string;
}

const SHA = /^[0-9a-f]{40}$/;
const TREE_MODE = '40000';

/**
 * Modes GitHub lists (ls-tree style, trees with a leading zero) → the mode git
 * writes into the tree object and the type it must come with. Git writes only
 * these five; a tree with any other mode could not be rebuilt byte for byte.
 */
const MODES: Readonly<Record<string, { mode: string; type: string }>> = {
  '100644': { mode: '100644', type: 'blob' },
  '100755': { mode: '100755', type: 'blob' },
  '120000': { mode: '120000', type: 'blob' },
  '040000': { mode: TREE_MODE, type: 'tree' },
  '40000': { mode: TREE_MODE, type: 'tree' },
  '160000': { mode: '160000', type: 'commit' },
};

/** Git's order: bytes of the name, a tree's name read as if it ended in "/". */
function sortKey(entry: GitTreeEntry): Buffer {
  return Buffer.from(entry.mode === TREE_MODE ? `${entry.name}/` : entry.name, 'utf8');
}

/** The SHA git gives a tree object with these entries (in any order: they are sorted as git sorts them). */
export function gitTreeSha(entries: readonly GitTreeEntry[]): string {
  const sorted = entries.map((entry) => ({ entry, key: sortKey(entry) })).sort((a, b) => Buffer.compare(a.key, b.key));
  const parts = sorted.flatMap(({ entry }) => [Buffer.from(`${entry.mode} ${entry.name}\0`, 'utf8'), Buffer.from(entry.sha, 'hex')]);
  const body = Buffer.concat(parts);
  return createHash('sha1').update(`tree ${body.byteLength}\0`).update(body).digest('hex');
}

const shown = (tree: ListedTree, relative: string): string => {
  const full = [tree.path, relative].filter(Boolean).join('/');
  return full === '' ? 'the root tree' : `${full}/`;
};

/**
 * Checks that `entries` are the tree `tree.sha`, or throws naming the first
 * tree (deepest first) whose entries do not hash to the SHA it was listed
 * with. `recursive`: the listing holds every entry of every subtree (GitHub's
 * `?recursive=1`), and each subtree is rebuilt and checked too; otherwise the
 * listing is one level and subtrees count by the SHA listed for them.
 */
export function verifyTreeListing(entries: readonly ListedEntry[], tree: ListedTree, options: { recursive: boolean }): void {
  const children = new Map<string, GitTreeEntry[]>([['', []]]);
  const listedTrees = new Map<string, string>();
  const seen = new Set<string>();
  for (const entry of entries) {
    const where = [tree.path, entry.path].filter(Boolean).join('/');
    const names = entry.path.split('/');
    if (names.some((name) => name === '' || name === '.' || name === '..' || name.includes('\0'))) {
      throw new Error(`tree check failed: the listing of ${shown(tree, '')} has a malformed path "${where}"`);
    }
    if (!options.recursive && names.length > 1) throw new Error(`tree check failed: the one-level listing of ${shown(tree, '')} has a nested path "${where}"`);
    const kind = MODES[entry.mode];
    if (!kind || kind.type !== entry.type) throw new Error(`tree check failed: ${where} is listed as ${entry.type} with mode ${entry.mode}, which git does not write`);
    if (!SHA.test(entry.sha)) throw new Error(`tree check failed: ${where} is listed with "${String(entry.sha).slice(0, 60)}", not an object SHA`);
    if (seen.has(entry.path)) throw new Error(`tree check failed: ${where} is listed twice`);
    seen.add(entry.path);
    const parent = names.slice(0, -1).join('/');
    const siblings = children.get(parent) ?? [];
    children.set(parent, siblings);
    siblings.push({ name: names[names.length - 1]!, mode: kind.mode, sha: entry.sha });
    if (kind.type === 'tree') {
      listedTrees.set(entry.path, entry.sha);
      if (options.recursive && !children.has(entry.path)) children.set(entry.path, []);
    }
  }
  for (const parent of children.keys()) {
    if (parent !== '' && !listedTrees.has(parent)) {
      throw new Error(`tree check failed: the listing has entries under ${shown(tree, parent)} but does not list that folder as a tree`);
    }
  }
  // Deepest first, so the error names the tree where the listing first differs.
  const depth = (p: string) => (p === '' ? 0 : p.split('/').length);
  const order = [...children.keys()].sort((a, b) => depth(b) - depth(a));
  for (const path of order) {
    const expected = path === '' ? tree.sha : listedTrees.get(path)!;
    const actual = gitTreeSha(children.get(path)!);
    if (actual !== expected) {
      throw new Error(`tree check failed for ${shown(tree, path)}: expected tree ${expected}, the listed entries hash to ${actual}`);
    }
  }
}
