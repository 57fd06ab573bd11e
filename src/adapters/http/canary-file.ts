/**
 * The canaries running, kept in DATA_DIR (`canaries.json`) so that a restart
 * resumes them: per remote, its stable and canary versions, the split, when
 * it started and, for an automatic rollout, its step. Small, and rewritten whole on every change (a temporary file,
 * fsync, rename, directory fsync), so a crash leaves the old file or the new
 * one. One process writes it: the host that locks DATA_DIR, or in a cluster
 * the primary, which its workers ask.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { syncDirectory } from '../persistence/file/file-io.js';

/** The file's name in DATA_DIR. */
export const CANARY_FILE = 'canaries.json';

/** One remote's canary as saved. */
export interface StoredCanary {
  stable: string;
  canary: string;
  weight: number;
  sticky: { header: string } | { cookie: string } | { subject: true } | null;
  mode: 'canary' | 'ab';
  startedAt: string;
  allowRemove: boolean;
  /** An automatic rollout's step (index), when that step began, and what a restart does. */
  rollout?: { step: number; stepStartedAt: string; onRestart: 'resume' | 'rollback' };
}

export class CanaryFile {
  private canaries: Record<string, StoredCanary> | undefined;
  /** Writes one after the other. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly onDamaged: (message: string) => void = () => undefined,
  ) {}

  /** The saved canaries (none when the file is missing; a damaged file or entry is reported and skipped). */
  async load(): Promise<Record<string, StoredCanary>> {
    if (this.canaries) return { ...this.canaries };
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      text = '{}';
    }
    const canaries: Record<string, StoredCanary> = {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.onDamaged(`${this.file} is not JSON: no canary is resumed`);
      parsed = {};
    }
    const saved = typeof parsed === 'object' && parsed !== null ? (parsed as { canaries?: unknown }).canaries : undefined;
    for (const [remote, canary] of Object.entries(typeof saved === 'object' && saved !== null ? saved : {})) {
      if (isStoredCanary(canary)) canaries[remote] = canary;
      else this.onDamaged(`${this.file}: the canary of remote "${remote}" is not readable and is not resumed`);
    }
    this.canaries = canaries;
    return { ...canaries };
  }

  /** Records the remote's canary (or that it has none), once it is on disk. */
  async save(remote: string, canary: StoredCanary | null): Promise<void> {
    await this.load();
    // Changed in place: saves of several remotes at once each keep the others'.
    const canaries = this.canaries!;
    if (canary) canaries[remote] = canary;
    else delete canaries[remote];
    const snapshot = { ...canaries };
    const next = this.writing.then(() => this.write(snapshot));
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async write(canaries: Record<string, StoredCanary>): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(`${JSON.stringify({ canaries }, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.file);
    await syncDirectory(path.dirname(this.file));
  }
}

function isStoredCanary(value: unknown): value is StoredCanary {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  const sticky = c.sticky;
  const stickyOk =
    sticky === null ||
    (typeof sticky === 'object' &&
      sticky !== null &&
      (typeof (sticky as { header?: unknown }).header === 'string' || typeof (sticky as { cookie?: unknown }).cookie === 'string' || (sticky as { subject?: unknown }).subject === true));
  return (
    typeof c.stable === 'string' &&
    typeof c.canary === 'string' &&
    Number.isInteger(c.weight) &&
    (c.weight as number) >= 0 &&
    (c.weight as number) <= 100 &&
    stickyOk &&
    (c.mode === 'canary' || c.mode === 'ab') &&
    typeof c.startedAt === 'string' &&
    typeof c.allowRemove === 'boolean' &&
    (c.rollout === undefined || isStoredRollout(c.rollout))
  );
}

function isStoredRollout(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return Number.isInteger(r.step) && (r.step as number) >= 0 && typeof r.stepStartedAt === 'string' && (r.onRestart === 'resume' || r.onRestart === 'rollback');
}
