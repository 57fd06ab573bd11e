/**
 * The progress of a re-encryption under a new field key, kept beside the data
 * (`DATA_DIR/encryption.rotation`, private) so a restart resumes where the last
 * run stopped. Written whole to a temporary file and renamed over the old one:
 * a crash leaves either the old progress or the new, never half of it.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

const STATE_FILE = 'encryption.rotation';

/** Where one model's re-encryption stands. */
export interface ModelProgress {
  /** Records the model held when its re-encryption started. */
  total: number;
  /** Records looked at so far. */
  processed: number;
  /** Of those, written again under the new key. */
  reencrypted: number;
  /** Changed by another write meanwhile (which used the new key). */
  changed: number;
  /** Holding a value no key opens (left as it is). */
  unreadable: number;
  /** Where the next page starts (the datasource's list cursor); absent at the start. */
  cursor?: string;
  done: boolean;
}

/** A rotation from one key to another, by key id, and its progress per model. */
export interface RotationState {
  from: string;
  to: string;
  startedAt: string;
  /** Set once every model is done and the verifier names the new key. */
  finishedAt?: string;
  models: Map<string, ModelProgress>;
}

const COUNTS = ['total', 'processed', 'reencrypted', 'changed', 'unreadable'] as const;

function damaged(file: string): Error {
  return new Error(`${file} is damaged; delete it and restart to re-encrypt from the beginning (records done already are only read again)`);
}

function readProgress(raw: unknown, file: string): ModelProgress {
  if (typeof raw !== 'object' || raw === null) throw damaged(file);
  const value = raw as Record<string, unknown>;
  for (const count of COUNTS) if (!Number.isSafeInteger(value[count]) || (value[count] as number) < 0) throw damaged(file);
  if (typeof value.done !== 'boolean' || (value.cursor !== undefined && typeof value.cursor !== 'string')) throw damaged(file);
  return {
    total: value.total as number,
    processed: value.processed as number,
    reencrypted: value.reencrypted as number,
    changed: value.changed as number,
    unreadable: value.unreadable as number,
    ...(typeof value.cursor === 'string' ? { cursor: value.cursor } : {}),
    done: value.done,
  };
}

/** The rotation recorded in `dataDir`, or undefined when none was. Throws when the file is damaged. */
export async function readRotationState(dataDir: string): Promise<RotationState | undefined> {
  const file = path.join(dataDir, STATE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw damaged(file);
  }
  if (typeof raw !== 'object' || raw === null) throw damaged(file);
  const { from, to, startedAt, finishedAt, models } = raw as Record<string, unknown>;
  if (typeof from !== 'string' || typeof to !== 'string' || typeof startedAt !== 'string') throw damaged(file);
  if ((finishedAt !== undefined && typeof finishedAt !== 'string') || typeof models !== 'object' || models === null || Array.isArray(models)) throw damaged(file);
  return {
    from,
    to,
    startedAt,
    ...(typeof finishedAt === 'string' ? { finishedAt } : {}),
    models: new Map(Object.entries(models).map(([name, progress]) => [name, readProgress(progress, file)])),
  };
}

/** Replaces the recorded rotation of `dataDir` with `state`. */
export async function writeRotationState(dataDir: string, state: RotationState): Promise<void> {
  const { models, ...rest } = state;
  await replaceFile(path.join(dataDir, STATE_FILE), `${JSON.stringify({ ...rest, models: Object.fromEntries(models) }, null, 2)}\n`);
}

/** Writes `content` to `file` through a private temporary file renamed over it, synced, so a crash leaves the old or the new content. */
export async function replaceFile(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(path.dirname(file));
}

/** Makes the new name durable; best effort, as some platforms cannot open a directory. */
export async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The file's own content is already synced; losing the name on a crash only means the older content is read.
  }
}
