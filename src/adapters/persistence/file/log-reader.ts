/**
 * Reads a log file line by line in bounded chunks, so replaying a large log
 * never needs the whole file in one buffer.
 */
import type { FileHandle } from 'node:fs/promises';

const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/** What a scan found besides the lines. */
export interface LogScan {
  /** File size when scanned. */
  size: number;
  /** Offset just past the last newline: bytes after it are a torn (unfinished) line. */
  completeEnd: number;
}

/**
 * Calls `onLine` for every newline-terminated line (without the newline), with
 * the line's file offset. The buffer is only valid during the call.
 */
export async function scanLogLines(file: FileHandle, onLine: (line: Buffer, offset: number) => void): Promise<LogScan> {
  let position = 0;
  // Bytes read but not yet ended by a newline, and the file offset where they start.
  let carry: Buffer | undefined;
  let carryStart = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    const { bytesRead } = await file.read(chunk, 0, CHUNK_BYTES, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    const data = carry ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    let start = 0;
    for (let end = data.indexOf(NEWLINE, start); end !== -1; end = data.indexOf(NEWLINE, start)) {
      onLine(data.subarray(start, end), carryStart + start);
      start = end + 1;
    }
    carryStart += start;
    carry = start < data.length ? data.subarray(start) : undefined;
  }
  return { size: position, completeEnd: carryStart };
}
