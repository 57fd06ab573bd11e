// Throwaway git repositories for tests, driven through the real `git` CLI so
// SHAs, trees and refs are exactly what git (and therefore GitHub) would produce.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestRepo {
  /** Absolute path of the working tree. */
  readonly dir: string;
  /** Runs `git <args>` in the repo; resolves to trimmed stdout. */
  git(...args: string[]): Promise<string>;
  /** Writes files (path relative to the repo, parents created). Does not stage or commit. */
  write(files: Record<string, string | Uint8Array>): Promise<void>;
  /** Deletes files or directories from the working tree. */
  remove(...paths: string[]): Promise<void>;
  /** Stages everything (`add -A`) and commits; resolves to the new commit SHA. */
  commit(message: string, options?: { allowEmpty?: boolean }): Promise<string>;
  /** `write` + `commit` in one step. */
  commitFiles(files: Record<string, string | Uint8Array>, message?: string): Promise<string>;
  /** Lightweight tag, or annotated when a message is given. */
  tag(name: string, options?: { ref?: string; message?: string }): Promise<void>;
  /** Creates a branch at `ref` (default HEAD) without switching to it. */
  branch(name: string, ref?: string): Promise<void>;
  checkout(ref: string): Promise<void>;
  /** Full SHA of `ref` (default HEAD). */
  revParse(ref?: string): Promise<string>;
  /** Removes the repository directory. */
  cleanup(): Promise<void>;
}

export async function createGitRepo(options: { defaultBranch?: string } = {}): Promise<TestRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'microlib-git-'));
  const git = async (...args: string[]): Promise<string> => {
    const { stdout } = await run('git', args, { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  };

  await git('init', '-q', '-b', options.defaultBranch ?? 'main');
  // Local config only: tests must not depend on (or be broken by) the user's global git setup.
  for (const [key, value] of [
    ['user.name', 'Microlib Test'],
    ['user.email', 'test@microlib.invalid'],
    ['commit.gpgsign', 'false'],
    ['tag.gpgsign', 'false'],
    ['core.autocrlf', 'false'],
  ] as const) {
    await git('config', key, value);
  }

  const repo: TestRepo = {
    dir,
    git,
    async write(files) {
      for (const [path, content] of Object.entries(files)) {
        const target = join(dir, path);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, content);
      }
    },
    async remove(...paths) {
      for (const path of paths) await rm(join(dir, path), { recursive: true, force: true });
    },
    async commit(message, opts = {}) {
      await git('add', '-A');
      await git('commit', '-q', '-m', message, ...(opts.allowEmpty ? ['--allow-empty'] : []));
      return git('rev-parse', 'HEAD');
    },
    async commitFiles(files, message = 'update') {
      await repo.write(files);
      return repo.commit(message);
    },
    async tag(name, opts = {}) {
      const args = opts.message === undefined ? [name] : ['-a', name, '-m', opts.message];
      await git('tag', ...args, opts.ref ?? 'HEAD');
    },
    async branch(name, ref = 'HEAD') {
      await git('branch', name, ref);
    },
    async checkout(ref) {
      await git('checkout', '-q', ref);
    },
    revParse(ref = 'HEAD') {
      return git('rev-parse', '--verify', `${ref}^{commit}`);
    },
    cleanup() {
      return rm(dir, { recursive: true, force: true });
    },
  };
  return repo;
}
