import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseRemoteEntries, RemoteEntriesError } from './remote-entries.js';

describe('normaliseRemoteEntries', () => {
  it('reads the three source kinds with defaults', () => {
    const entries = normaliseRemoteEntries(
      [
        { name: 'a', kind: 'local', path: './dist' },
        { name: 'b', kind: 'http', url: 'https://cdn.example.com/b' },
        { name: 'c', kind: 'github', owner: 'acme', repo: 'c' },
      ],
      '/base',
    );
    assert.deepEqual(entries[0]!.source, { kind: 'local', path: '/base/dist' });
    assert.deepEqual(entries[1]!.source, { kind: 'http', url: 'https://cdn.example.com/b/' });
    assert.deepEqual(entries[2]!.source, { kind: 'github', owner: 'acme', repo: 'c', ref: 'main', dir: 'dist' });
    assert.deepEqual(entries[2]!.exposes, ['./models', './adapters', './services']);
    assert.deepEqual(entries[2]!.optionalExposes, ['./adapters', './services']);
  });

  it('merges original MicroLib entries of one name, one per type', () => {
    const original = { url: 'https://api.github.com', owner: 'module-federation', repo: 'microlib-example', filedir: 'dist', branch: 'master' };
    const entries = normaliseRemoteEntries(
      [
        { ...original, name: 'microservices', type: 'model' },
        { ...original, name: 'microservices', type: 'adapter' },
      ],
      '/base',
    );
    assert.equal(entries.length, 1);
    assert.deepEqual(entries[0]!.source, { kind: 'github', owner: 'module-federation', repo: 'microlib-example', ref: 'master', dir: 'dist', apiUrl: 'https://api.github.com' });
    assert.deepEqual(entries[0]!.exposes, ['./models', './adapters']);
  });

  it('rejects bad entries with a message naming the problem', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /must export an array/],
      [[{ kind: 'local', path: 'x' }], /"name" is required/],
      [[{ name: '../evil', kind: 'local', path: 'x' }], /"name" must match/],
      [[{ name: 'a', kind: 'ftp', url: 'x' }], /unknown source kind "ftp"/],
      [[{ name: 'a', kind: 'http', url: 'file:///etc' }], /http\(s\) URL/],
      [[{ name: 'a', kind: 'github', owner: 'acme', repo: 'x', dir: '../../etc' }], /relative path inside the repository/],
      [[{ name: 'a', kind: 'github', owner: 'ac/me', repo: 'x' }], /not a valid GitHub name/],
      [[{ name: 'a', kind: 'local', path: 'x' }, { name: 'a', kind: 'local', path: 'y' }], /listed twice/],
    ];
    for (const [input, pattern] of cases) {
      assert.throws(() => normaliseRemoteEntries(input, '/base'), (error: unknown) => error instanceof RemoteEntriesError && pattern.test(error.message));
    }
  });
});
