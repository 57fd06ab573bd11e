// Errors nobody caught: each is logged with its stack and the remote whose snapshot threw it,
// and counted by kind; the handlers never rethrow.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { keepServingOnStrayErrors, remoteOfStack, type ProcessEvents } from './stray-errors.js';

const cacheDir = path.resolve('/srv/microlib/.cache/remotes');

describe('remoteOfStack', () => {
  it('names the remote and version of the first snapshot frame, by path or by file URL', () => {
    const frame = `Error: boom\n    at Timeout._onTimeout (${path.join(cacheDir, 'teamA', 'sha256-0123abcd', 'remoteEntry.js')}:5:40)\n    at listOnTimeout (node:internal/timers:581:17)`;
    assert.deepEqual(remoteOfStack(frame, cacheDir), { remote: 'teamA', version: 'sha256-0123abcd' });
    const url = `Error: x\n    at ${pathToFileURL(path.join(cacheDir, 'billing', 'v2', 'chunk.mjs')).href}:1:1`;
    assert.deepEqual(remoteOfStack(url, cacheDir), { remote: 'billing', version: 'v2' });
  });

  it('names none when no frame is in the cache', () => {
    assert.equal(remoteOfStack('Error: x\n    at main (/srv/microlib/dist/src/server.js:3:3)', cacheDir), undefined);
    assert.equal(remoteOfStack(undefined, cacheDir), undefined);
    // A sibling folder whose name starts like the cache's is not the cache.
    assert.equal(remoteOfStack(`Error: x\n    at f (${cacheDir}-old/teamA/v1/a.js:1:1)`, cacheDir), undefined);
  });
});

describe('keepServingOnStrayErrors', () => {
  it('logs each stray error with its stack and remote, and counts it by kind', () => {
    const lines: Array<Record<string, any>> = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    const events = new EventEmitter();
    const counts = keepServingOnStrayErrors(pino({}, sink), cacheDir, events as ProcessEvents);

    const thrown = new Error('boom');
    thrown.stack = `Error: boom\n    at Timeout._onTimeout (${path.join(cacheDir, 'teamA', 'v7', 'remoteEntry.js')}:5:40)`;
    events.emit('uncaughtException', thrown);
    events.emit('unhandledRejection', new Error('x'));
    events.emit('unhandledRejection', 'not an error');

    assert.deepEqual(counts, { exception: 1, rejection: 2 });
    assert.equal(lines.length, 3);
    assert.equal(lines[0]!.msg, 'uncaught exception (the host keeps serving)');
    assert.equal(lines[0]!.kind, 'exception');
    assert.equal(lines[0]!.remote, 'teamA');
    assert.equal(lines[0]!.version, 'v7');
    assert.match(lines[0]!.err.stack, /^Error: boom\n {4}at Timeout/);
    assert.equal(lines[1]!.msg, 'unhandled promise rejection (the host keeps serving)');
    assert.equal(lines[1]!.err.message, 'x');
    assert.equal(lines[1]!.remote, undefined);
    assert.equal(lines[2]!.err, 'not an error');
  });
});
