/**
 * Everything the bench must undo (child processes, temp dirs), run once in
 * reverse order from `finally` or from SIGINT/SIGTERM, so an interrupted or
 * failed run leaves no server on core 0 and no folder in /tmp.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

type Undo = () => Promise<void> | void;

const undos: Undo[] = [];
let running: Promise<void> | undefined;

export function onCleanup(undo: Undo): void {
  undos.push(undo);
}

export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (undos.length > 0) {
      const undo = undos.pop()!;
      try {
        await undo();
      } catch (error) {
        console.error(`bench cleanup: ${(error as Error).message}`);
      }
    }
  })();
  return running;
}

/** True once cleanup has begun (e.g. after Ctrl-C): loops stop starting new work. */
export function cleanupStarted(): boolean {
  return running !== undefined;
}

/** A temp dir removed at cleanup. */
export async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `microlib-bench-${label}-`));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Cleans up and exits on Ctrl-C or kill; the children get a SIGTERM from their undo. */
export function cleanupOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\nbench: ${signal}, stopping the servers and removing temp dirs`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}
