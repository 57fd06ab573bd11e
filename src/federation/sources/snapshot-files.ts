/** Writing a set of files into a snapshot folder, refusing paths that would escape it. */
import { mkdir, writeFile } from 'node:fs/promises';
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
