// A file datasource keeps every write it acknowledged when its process is killed: a
// child process writes a burst and is killed with SIGKILL, then the log is reopened here.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createFileDatasource } from '../src/adapters/persistence/file/file-datasource.js';
import { makeRecord } from '../src/testing/index.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./support/file-writer-child.js', import.meta.url));

/** A logger that keeps the warnings it receives. */
function captureWarnings(): { warnings: string[]; logger: { warn(details: object, message: string): void } } {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (details, message) => warnings.push(`${message} ${JSON.stringify(details)}`) } };
}

/** Runs `body` with a fresh temporary folder that is removed afterwards. */
async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'microlib-file-ds-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('file datasource crash', () => {
  it('keeps every acknowledged write when the process is killed with SIGKILL mid-burst', { timeout: 60_000 }, () =>
    inTempDir(async (dir) => {
      const child = spawn(process.execPath, [CHILD_SCRIPT, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let acks = 0;
      const ended = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
      const watchdog = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => (stderr += chunk));
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        for (const char of chunk) if (char === '\n') acks++;
        if (acks >= 500) child.kill('SIGKILL');
      });
      const signal = await ended;
      clearTimeout(watchdog);
      assert.equal(signal, 'SIGKILL', `the child should have been killed mid-burst; stderr: ${stderr}`);
      assert.ok(acks >= 500, `only ${acks} acknowledgements before the kill; stderr: ${stderr}`);

      // Only complete lines are acknowledgements; the last one read may be cut.
      const lastAck = new Map<string, string>();
      for (const line of stdout.split('\n').slice(0, -1)) {
        const [operation, id] = line.split(' ');
        lastAck.set(id as string, operation as string);
      }
      const { warnings, logger } = captureWarnings();
      const ds = createFileDatasource({ collection: 'burst', dataDir: dir, logger });
      await ds.open();
      try {
        for (const [id, operation] of lastAck) {
          const n = Number(id.slice(1));
          const stored = await ds.get(id);
          if (operation === 'D') assert.equal(stored, undefined, `${id} was deleted`);
          else if (n % 5 === 0) assert.ok(stored === undefined || stored.revision === 1, `${id} created, maybe deleted`);
          else if (operation === 'R') assert.equal(stored?.revision, 2, `${id} was replaced`);
          else if (n % 3 === 0) assert.ok(stored?.revision === 1 || stored?.revision === 2, `${id} was created, maybe replaced`);
          else assert.equal(stored?.revision, 1, `${id} was created`);
        }
        await ds.create(makeRecord('after-crash'));
      } finally {
        await ds.close();
      }
      const reopened = createFileDatasource({ collection: 'burst', dataDir: dir, logger: captureWarnings().logger });
      await reopened.open();
      try {
        assert.ok(await reopened.get('after-crash'));
      } finally {
        await reopened.close();
      }
      assert.ok(warnings.every((warning) => warning.includes('unfinished')), warnings.join('\n'));
    }));
});
