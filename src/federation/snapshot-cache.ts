/**
 * Downloaded builds on disk, one folder per remote and version. A folder appears
 * only once complete (written under a temporary name, then renamed), so a crash
 * mid-download never leaves a half snapshot that looks whole. The last version
 * that loaded is remembered, so a restart while the source is unreachable still
 * serves it.
 */
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { ResolvedVersion } from './sources/source.js';
import { gitBlobSha } from './git-blob.js';

const VERSION = /^[A-Za-z0-9._-]{1,128}$/;
const LAST_GOOD = 'last-good.json';

export interface LastGood {
  version: string;
  loadedAt: string;
}

export class SnapshotCache {
  /** Git blob SHA of each file in a complete snapshot; those files never change. */
  private readonly blobShas = new Map<string, string>();

  constructor(private readonly root: string) {}

  /** Git blob SHA → a file with those bytes, over every cached version of a remote. */
  private async blobIndex(remote: string): Promise<Map<string, string>> {
    const root = this.remoteDir(remote);
    const versions = (await readdir(root).catch(() => [] as string[])).filter((n) => VERSION.test(n) && !n.startsWith('.'));
    const index = new Map<string, string>();
    for (const version of versions) {
      for (const file of await listFiles(path.join(root, version))) {
        let sha = this.blobShas.get(file);
        if (sha === undefined) {
          // Another process sharing the cache (a cluster worker) may prune this version meanwhile: skip what vanished.
          const bytes = await readFile(file).catch(() => undefined);
          if (bytes === undefined) continue;
          sha = gitBlobSha(bytes);
          this.blobShas.set(file, sha);
        }
        index.set(sha, file);
      }
    }
    return index;
  }

  private remoteDir(remote: string): string {
    return path.join(this.root, remote);
  }

  dirFor(remote: string, version: string): string {
    if (!VERSION.test(version) || version.startsWith('.')) throw new Error(`invalid version name "${version}"`);
    return path.join(this.remoteDir(remote), version);
  }

  /** The snapshot folder of `resolved`, downloading it first if it is not cached. */
  async ensure(remote: string, resolved: ResolvedVersion, signal: AbortSignal): Promise<{ dir: string; downloaded: boolean }> {
    const dir = this.dirFor(remote, resolved.version);
    if (await exists(dir)) return { dir, downloaded: false };
    await mkdir(this.remoteDir(remote), { recursive: true });
    const temp = await mkdtemp(path.join(this.remoteDir(remote), '.download-'));
    try {
      // Built on the first lookup and shared by every file of this download.
      let index: Promise<Map<string, string>> | undefined;
      await resolved.writeSnapshot(temp, signal, async (sha) => (await (index ??= this.blobIndex(remote))).get(sha));
      await rename(temp, dir).catch(async (error: NodeJS.ErrnoException) => {
        // Another load of the same version finished first: theirs is as good as ours.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
        await rm(temp, { recursive: true, force: true });
      });
      return { dir, downloaded: true };
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
  }

  /** The cached folder of a version, if present. */
  async cached(remote: string, version: string): Promise<string | undefined> {
    const dir = this.dirFor(remote, version);
    return (await exists(dir)) ? dir : undefined;
  }

  /** The versions of a remote in the cache (complete snapshots only). */
  async versions(remote: string): Promise<string[]> {
    const entries = await readdir(this.remoteDir(remote), { withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isDirectory() && VERSION.test(e.name) && !e.name.startsWith('.')).map((e) => e.name);
  }

  async lastGood(remote: string): Promise<LastGood | undefined> {
    try {
      const parsed = JSON.parse(await readFile(path.join(this.remoteDir(remote), LAST_GOOD), 'utf8')) as LastGood;
      return VERSION.test(parsed.version) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  async markGood(remote: string, version: string): Promise<void> {
    const file = path.join(this.remoteDir(remote), LAST_GOOD);
    // Unique per call: processes sharing the cache (cluster workers) and overlapping calls never share a temporary file.
    const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(temp, JSON.stringify({ version, loadedAt: new Date().toISOString() } satisfies LastGood));
    await rename(temp, file);
  }

  /** Removes cached versions of a remote except the `keep` newest by mtime and those in `pinned`. */
  async prune(remote: string, keep: number, pinned: readonly string[]): Promise<void> {
    const root = this.remoteDir(remote);
    const names = (await readdir(root).catch(() => [] as string[])).filter((n) => VERSION.test(n) && !n.startsWith('.'));
    // A version another process pruned a moment ago counts as oldest: removing it again is harmless.
    const dated = await Promise.all(names.map(async (name) => ({ name, mtime: (await stat(path.join(root, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
    dated.sort((a, b) => b.mtime - a.mtime);
    const stale = dated.slice(keep).filter((d) => !pinned.includes(d.name));
    await Promise.all(stale.map((d) => rm(path.join(root, d.name), { recursive: true, force: true })));
    for (const d of stale) {
      const gone = path.join(root, d.name) + path.sep;
      for (const file of this.blobShas.keys()) if (file.startsWith(gone)) this.blobShas.delete(file);
    }
    // Leftovers of downloads interrupted by a crash; recent ones may still be in progress.
    const partial = (await readdir(root).catch(() => [] as string[])).filter((n) => n.startsWith('.download-'));
    const hourAgo = Date.now() - 3_600_000;
    for (const name of partial) {
      const info = await stat(path.join(root, name)).catch(() => undefined);
      if (info && info.mtimeMs < hourAgo) await rm(path.join(root, name), { recursive: true, force: true });
    }
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}

async function exists(dir: string): Promise<boolean> {
  return stat(dir).then((s) => s.isDirectory(), () => false);
}
