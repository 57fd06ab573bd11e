import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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

  it('reads allowRemove (a remote whose new versions may drop models), true or false only', () => {
    const [strict, free] = normaliseRemoteEntries([{ name: 'a', kind: 'local', path: './a' }, { name: 'b', kind: 'local', path: './b', allowRemove: true }], '/base');
    assert.equal(strict!.allowRemove, undefined);
    assert.equal(free!.allowRemove, true);
    assert.throws(() => normaliseRemoteEntries([{ name: 'a', kind: 'local', path: './a', allowRemove: 'yes' }], '/base'), /entry 0: "allowRemove" must be true or false/);
  });

  it('reads a nested source object and infers the kind when it is not given', () => {
    const entries = normaliseRemoteEntries(
      [
        { name: 'nested', source: { kind: 'http', url: 'https://cdn.example.com/n/', headers: { authorization: 'Bearer x' } } },
        { name: 'byPath', path: 'build' },
        { name: 'byUrl', url: 'http://127.0.0.1:8080/u' },
        { name: 'byRepo', owner: 'acme', repo: 'r', semver: '^1.2.0', dir: './out/' },
      ],
      '/base',
    );
    assert.deepEqual(
      entries.map((entry) => entry.source),
      [
        { kind: 'http', url: 'https://cdn.example.com/n/', headers: { authorization: 'Bearer x' } },
        { kind: 'local', path: '/base/build' },
        { kind: 'http', url: 'http://127.0.0.1:8080/u/' },
        { kind: 'github', owner: 'acme', repo: 'r', ref: 'main', dir: 'out', semver: '^1.2.0' },
      ],
    );
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
      [[{ name: 'a', kind: 'ftp', url: 'x' }], /^remoteEntries entry 0 \(a\): unknown source kind "ftp" \(expected local, http or github\)$/],
      [[{ name: 'a', kind: 'constructor', path: 'x' }], /entry 0 \(a\): unknown source kind "constructor"/],
      [[{ name: 'a', source: { kind: '__proto__', path: 'x' } }], /entry 0 \(a\): unknown source kind "__proto__"/],
      [[{ name: 'a' }], /entry 0 \(a\): cannot tell the source: give "kind" \(local, http or github\)$/],
      [[{ name: 'a', kind: 7, path: 'x' }], /entry 0 \(a\): "kind" must be a string/],
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

describe('publicKey of a trusted remote', () => {
  const ed = generateKeyPairSync('ed25519');
  const edPem = ed.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const local = { name: 'a', kind: 'local', path: './dist' };
  const rejects = (publicKey: unknown, pattern: RegExp, baseDir = '/base') =>
    assert.throws(
      () => normaliseRemoteEntries([{ ...local, publicKey }], baseDir),
      (error: unknown) => error instanceof RemoteEntriesError && /entry 0 \(a\)/.test(error.message) && pattern.test(error.message),
    );

  it('accepts an ed25519 public key as PEM text or as a file next to remoteEntries.js', async () => {
    assert.equal(normaliseRemoteEntries([{ ...local, publicKey: `\n  ${edPem}` }], '/base')[0]!.publicKey, edPem);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'microlib-entries-'));
    try {
      await mkdir(path.join(dir, 'keys'));
      await writeFile(path.join(dir, 'keys', 'a.pub.pem'), edPem);
      assert.equal(normaliseRemoteEntries([{ ...local, publicKey: './keys/a.pub.pem' }], dir)[0]!.publicKey, edPem);
      rejects('./keys/missing.pem', /"publicKey" file .*missing\.pem cannot be read: ENOENT/, dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    assert.equal(normaliseRemoteEntries([local], '/base')[0]!.publicKey, undefined, 'no key: not a trusted remote');
  });

  it('refuses anything but an ed25519 SPKI public key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    rejects(rsa, /must be an ed25519 key, got rsa/);
    rejects(ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), /is a private key/);
    rejects('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /must be a PEM "PUBLIC KEY" \(SPKI\) block/);
    rejects('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', /is not a valid public key/);
    rejects(42, /"publicKey" must be a string/);
    assert.throws(() => normaliseRemoteEntries([{ name: 'h', kind: 'http', url: 'https://cdn.example.com/h', publicKey: edPem }], '/base'), /remoteEntries entry 0 \(h\): "publicKey" is supported for local and github sources only; http sources do not fetch the signed manifest yet$/);
  });

  it('requires entries of one name to agree on the key', () => {
    assert.throws(
      () => normaliseRemoteEntries([{ ...local, publicKey: edPem, type: 'model' }, { ...local, type: 'adapter' }], '/base'),
      /listed twice with different publicKey values/,
    );
  });
});
