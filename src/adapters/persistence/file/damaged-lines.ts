/**
 * Damaged lines of a log are copied, as they were, to `<log>.corrupt` (appended,
 * so earlier ones stay), before the log is rewritten without them: they are
 * reported once, when moved, and an operator can still inspect or repair them.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { writeFully } from './file-io.js';
import type { DamagedLine } from './log-replay.js';

/** Bytes read at a time when copying damaged lines. */
const COPY_CHUNK = 1 << 20;

/** Appends each damaged line of `log` (with its newline) to `corruptPath` and makes that durable. */
export async function copyDamagedLines(log: FileHandle, damaged: readonly DamagedLine[], corruptPath: string): Promise<void> {
  const target = await open(corruptPath, 'a');
  try {
    for (const line of damaged) {
      // A damaged line may be long (a whole log of garbage is one line when it has no newline but the last).
      for (let done = 0; done <= line.length; ) {
        const size = Math.min(COPY_CHUNK, line.length + 1 - done);
        const buffer = Buffer.alloc(size);
        const { bytesRead } = await log.read(buffer, 0, size, line.offset + done);
        if (bytesRead === 0) break;
        await writeFully(target, buffer.subarray(0, bytesRead));
        done += bytesRead;
      }
    }
    await target.sync();
  } finally {
    await target.close();
  }
}
