/**
 * Writing a build's files into a snapshot folder (what every source kind does
 * once it knows the files), refusing paths that would escape the folder.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Returns the absolute path of `relative` inside `dir`, or throws if it would escape. */
export function insideDir(dir: string, relative: string): string {
  const normalised = relative.replace(/\\/g, '/');
  if (normalised === '' || normalised.startsWith('/') || normalised.split('/').some((s) => s === '..' || s === '')) {
    throw new Error(`refusing file path "${relative}": not a plain relative path`);
  }
  const target = path.resolve(dir, normalised);
  if (!target.startsWith(path.resolve(dir) + path.sep)) throw new Error(`refusing file path "${relative}": escapes the snapshot`);
  return target;
}

export async function writeSnapshotFile(dir: string, relative: string, bytes: Uint8Array): Promise<void> {
  const target = insideDir(dir, relative);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, bytes);
}

/** One file of a build: its path in the build's folder, and how to get its bytes. */
export interface SnapshotFile {
  name: string;
  bytes(): Promise<Uint8Array>;
}

/**
 * Writes every file into `dir`, at most `concurrency` at a time. Once a file
 * fails or `signal` aborts, no further file is started and the write rejects.
 */
export async function writeSnapshotFiles(dir: string, files: readonly SnapshotFile[], options: { signal: AbortSignal; concurrency: number }): Promise<void> {
  const { signal } = options;
  const queue = [...files];
  let failed = false;
  const worker = async () => {
    for (let file = queue.shift(); file && !failed; file = queue.shift()) {
      signal.throwIfAborted();
      try {
        await writeSnapshotFile(dir, file.name, await file.bytes());
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, queue.length) }, worker));
  // An abort that came while the last files were written still ends the write: the caller gave up on it.
  signal.throwIfAborted();
}

/** Every regular file under `root`, as sorted `/`-separated paths relative to it (symbolic links are left out). */
export async function listFolderFiles(root: string): Promise<string[]> {
  return (await filesUnder(root, '')).sort();
}

async function filesUnder(root: string, relative: string): Promise<string[]> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await filesUnder(root, child)));
    else if (entry.isFile()) files.push(child);
  }
  return files;
}
