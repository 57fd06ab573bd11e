/** Small durable-file helpers the file datasource's writer and compaction share. */
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes all of `data` at the handle's position (the end, for an append handle), however many calls it takes. */
export async function writeFully(file: FileHandle, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await file.write(data, offset, data.length - offset, null);
    offset += bytesWritten;
  }
}

/** Flushes a directory's entries, so a file's creation or rename survives a crash. A no-op on Windows, which cannot open directories. */
export async function syncDirectory(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/**
 * After `mkdir(path, { recursive: true })` created directories starting at
 * `firstCreated`, makes each new directory's entry in its parent durable, so a
 * crash cannot take the data folder (and the log in it) away.
 */
export async function syncCreatedDirectories(path: string, firstCreated: string | undefined): Promise<void> {
  if (firstCreated === undefined) return;
  for (let current = path; ; current = dirname(current)) {
    const parent = dirname(current);
    await syncDirectory(parent);
    if (current === firstCreated || parent === current) return;
  }
}
