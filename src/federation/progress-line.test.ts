import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressLine } from './progress-line.js';

test('progress lines name the remote, the stage, sizes and times', () => {
  assert.equal(progressLine({ remote: 'orders', stage: 'resolved', version: '0123456789abcdef', ms: 12 }), 'orders: version 0123456789ab found (12 ms)');
  assert.equal(progressLine({ remote: 'orders', stage: 'downloaded', version: 'v', files: 7, bytes: 150_000, ms: 80 }), 'orders: downloaded 7 files, 146.5 KiB (80 ms)');
  assert.equal(progressLine({ remote: 'orders', stage: 'cached', version: 'abc', ms: 3 }), 'orders: abc already downloaded (3 ms)');
  assert.equal(progressLine({ remote: 'orders', stage: 'evaluated', version: 'abc', ms: 90 }), 'orders: abc evaluated (90 ms)');
  assert.equal(progressLine({ remote: 'orders', stage: 'waiting', on: 'download', version: 'abcdef', ms: 4200 }), 'orders: still downloading abcdef (4.2 s)');
  assert.equal(progressLine({ remote: 'orders', stage: 'waiting', on: 'resolve', version: undefined, ms: 2000 }), 'orders: still asking the source for the version (2.0 s)');
});
