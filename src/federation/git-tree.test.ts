// Tree objects rebuilt from a listing, checked against git itself: every tree of a real
// repository (git's name order, executable files, symbolic links, submodules, empty folders)
// hashes to the SHA git gives it, and a listing that differs from the tree in any entry is refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createGitRepo, type TestRepo } from '../../test/support/git-repo.js';
import { gitTreeSha, verifyTreeListing, type ListedEntry } from './git-tree.js';

/** What `git ls-tree` says of a tree, in the shape of GitHub's listing (trees with mode 040000). */
async function listing(repo: TestRepo, tree: string, recursive = true): Promise<ListedEntry[]> {
  const out = await repo.git('ls-tree', '-z', ...(recursive ? ['-r', '-t'] : []), tree);
  return out
    .split('\0')
    .filter(Boolean)
    .map((record) => {
      const [meta = '', file = ''] = record.split('\t');
      const [mode = '', type = '', sha = ''] = meta.split(' ');
      return { path: file, mode, type, sha };
    });
}

const replaced = (entries: ListedEntry[], at: string, change: Partial<ListedEntry>) => entries.map((e) => (e.path === at ? { ...e, ...change } : e));

describe('git trees rebuilt from a listing', () => {
  let repo: TestRepo;
  let first: string;
  let second: string;

  before(async () => {
    repo = await createGitRepo();
    first = await repo.commitFiles({ 'lib/a.js': 'one\n', 'lib/deep/b.js': 'b\n', 'README.md': '# r\n' }, 'first');
    // Names whose order differs between plain sorting and git's ("lib" sorts as "lib/").
    await repo.write({
      'lib/a.js': 'two\n',
      'lib-a': 'x',
      'lib.js': 'x',
      lib0: 'x',
      A: 'upper',
      'é.txt': 'unicode name',
      'run.sh': '#!/bin/sh\necho hi\n',
      'sub.js': 'x',
    });
    await repo.git('add', '-A');
    await repo.git('update-index', '--chmod=+x', 'run.sh');
    await symlink('lib.js', path.join(repo.dir, 'link'));
    await repo.git('add', 'link');
    // A submodule: a commit entry (mode 160000), sorted as a file, never as a folder.
    await repo.git('update-index', '--add', '--cacheinfo', `160000,${first},sub`);
    await repo.git('commit', '-q', '-m', 'second');
    second = await repo.revParse();
  });
  after(() => repo?.cleanup());

  it('rebuilds every tree of a real repository to the SHA git gives it', async () => {
    const entries = await listing(repo, second);
    assert.ok(entries.some((e) => e.mode === '100755' && e.path === 'run.sh'));
    assert.ok(entries.some((e) => e.mode === '120000' && e.path === 'link'));
    assert.ok(entries.some((e) => e.mode === '160000' && e.type === 'commit' && e.path === 'sub'));
    const root = await repo.git('rev-parse', `${second}^{tree}`);
    verifyTreeListing(entries, { sha: root, path: '' }, { recursive: true });
    for (const folder of ['', ...entries.filter((e) => e.type === 'tree').map((e) => e.path)]) {
      const children = await listing(repo, `${second}:${folder}`, false);
      const rebuilt = gitTreeSha(children.map((e) => ({ name: e.path, mode: e.mode.replace(/^0+/, ''), sha: e.sha })).reverse());
      assert.equal(rebuilt, await repo.git('rev-parse', `${second}:${folder}`), folder || 'root');
    }
  });

  it('checks a one-level listing, and a folder git holds empty', async () => {
    const root = await repo.git('rev-parse', `${second}^{tree}`);
    verifyTreeListing(await listing(repo, second, false), { sha: root, path: '' }, { recursive: false });
    const empty = await repo.git('hash-object', '-t', 'tree', '-w', '/dev/null');
    assert.equal(empty, '4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    // git's own index never holds an empty folder; mktree writes a tree that does.
    const records = (await repo.git('ls-tree', '-z', second)).split('\0').filter(Boolean);
    const tree = execFileSync('git', ['mktree', '-z'], { cwd: repo.dir, input: [...records, `040000 tree ${empty}\tempty`, ''].join('\0') }).toString().trim();
    const entries = await listing(repo, tree);
    assert.ok(entries.some((e) => e.path === 'empty' && e.type === 'tree'));
    verifyTreeListing(entries, { sha: tree, path: '' }, { recursive: true });
  });

  it('refuses a listing that points a file at another commit\'s blob', async () => {
    const entries = await listing(repo, second);
    const old = await repo.git('rev-parse', `${first}:lib/a.js`);
    const libTree = await repo.git('rev-parse', `${second}:lib`);
    assert.throws(
      () => verifyTreeListing(replaced(entries, 'lib/a.js', { sha: old }), { sha: 'f'.repeat(40), path: '' }, { recursive: true }),
      (error: Error) => error.message.startsWith(`tree check failed for lib/: expected tree ${libTree}, the listed entries hash to `) && !error.message.endsWith(libTree),
    );
  });

  it('refuses a tampered subtree, alone or with the entries of another commit\'s', async () => {
    const root = await repo.git('rev-parse', `${second}^{tree}`);
    const entries = await listing(repo, second);
    const oldDeep = await repo.git('rev-parse', `${first}:lib`);
    assert.throws(() => verifyTreeListing(replaced(entries, 'lib', { sha: oldDeep }), { sha: root, path: '' }, { recursive: true }), /tree check failed for lib\/: expected tree [0-9a-f]{40}/);
    // The whole of lib/ from the first commit: lib/ itself hashes right, so the root does not.
    const oldLib = (await listing(repo, `${first}:lib`)).map((e) => ({ ...e, path: `lib/${e.path}` }));
    const swapped = [...replaced(entries, 'lib', { sha: oldDeep }).filter((e) => !e.path.startsWith('lib/')), ...oldLib];
    assert.throws(() => verifyTreeListing(swapped, { sha: root, path: '' }, { recursive: true }), new RegExp(`tree check failed for the root tree: expected tree ${root}`));
  });

  it('refuses an entry added, removed, changed in mode, listed twice or outside any listed folder', async () => {
    const root = await repo.git('rev-parse', `${second}^{tree}`);
    const entries = await listing(repo, second);
    const blob = entries.find((e) => e.path === 'lib.js')!;
    const check = (changed: ListedEntry[]) => () => verifyTreeListing(changed, { sha: root, path: '' }, { recursive: true });
    assert.throws(check([...entries, { ...blob, path: 'lib/extra.js' }]), /tree check failed for lib\//);
    assert.throws(check([...entries, { ...blob, path: 'extra.js' }]), /tree check failed for the root tree/);
    assert.throws(check(entries.filter((e) => e.path !== 'lib/deep/b.js')), /tree check failed for lib\/deep\//);
    assert.throws(check(entries.filter((e) => e.path !== 'README.md')), /tree check failed for the root tree/);
    assert.throws(check(replaced(entries, 'lib.js', { mode: '100755' })), /tree check failed for the root tree/);
    assert.throws(check(replaced(entries, 'lib.js', { mode: '100664' })), /lib\.js is listed as blob with mode 100664/);
    assert.throws(check([...entries, blob]), /lib\.js is listed twice/);
    assert.throws(check([...entries, { ...blob, path: 'nowhere/x.js' }]), /entries under nowhere\/ but does not list that folder/);
    assert.throws(check([...entries, { ...blob, path: 'lib/../x.js' }]), /malformed path "lib\/\.\.\/x\.js"/);
    assert.throws(
      () => verifyTreeListing(entries, { sha: root, path: '' }, { recursive: false }),
      /one-level listing of the root tree has a nested path/,
    );
  });
});
