import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadFieldCipher } from './encryption-keys.js';

const PASSWORD = 'a long enough password';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'microlib-enc-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const noWarn = (message: string) => assert.fail(`unexpected warning: ${message}`);
const mode = async (file: string) => (await stat(file)).mode & 0o777;

test('the salt is created once, private, and reused: a second load reads what the first wrote', async () => {
  await withDir(async (dir) => {
    const dataDir = path.join(dir, 'nested', 'data');
    const first = await loadFieldCipher({ password: PASSWORD, dataDir, warn: noWarn });
    const saltFile = path.join(dataDir, 'encryption.salt');
    const salt = await readFile(saltFile, 'utf8');
    assert.match(salt, /^[0-9a-f]{32}\n$/);
    if (process.platform !== 'win32') assert.equal(await mode(saltFile), 0o600);

    const envelope = first.encrypt('"hello"', 'greeting');
    const second = await loadFieldCipher({ password: PASSWORD, dataDir, warn: noWarn });
    assert.equal(await readFile(saltFile, 'utf8'), salt);
    assert.equal(second.decrypt(envelope, 'greeting'), '"hello"');
    assert.equal(second.lookupHash('f', 'v'), first.lookupHash('f', 'v'));
    // No key file is generated when a password is given, and no temporary files are left.
    assert.deepEqual((await readdir(dataDir)).sort(), ['encryption.check', 'encryption.salt']);
  });
});

test('the same password with a different salt gives different keys', async () => {
  await withDir(async (dir) => {
    const a = await loadFieldCipher({ password: PASSWORD, dataDir: path.join(dir, 'a'), warn: noWarn });
    const b = await loadFieldCipher({ password: PASSWORD, dataDir: path.join(dir, 'b'), warn: noWarn });
    assert.notEqual(a.lookupHash('f', 'v'), b.lookupHash('f', 'v'));
  });
});

test('without a password a private key is generated, reused, and a warning names its file', async () => {
  for (const password of [undefined, '']) {
    await withDir(async (dataDir) => {
      const warnings: string[] = [];
      const warn = (message: string) => warnings.push(message);
      const first = await loadFieldCipher({ password, dataDir, warn });
      const keyFile = path.join(dataDir, 'encryption.key');
      const key = await readFile(keyFile, 'utf8');
      assert.match(key, /^[0-9a-f]{64}\n$/);
      if (process.platform !== 'win32') {
        assert.equal(await mode(keyFile), 0o600);
        assert.equal(await mode(path.join(dataDir, 'encryption.check')), 0o600);
      }
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /^ENCRYPTION_PWD is not set; sensitive fields use the generated key in /);
      assert.ok(warnings[0]!.includes(keyFile));

      const envelope = first.encrypt('42', 'n');
      const second = await loadFieldCipher({ password, dataDir, warn });
      assert.equal(await readFile(keyFile, 'utf8'), key);
      assert.equal(second.decrypt(envelope, 'n'), '42');
      assert.equal(warnings.length, 2);
    });
  }
});

test('a different password on a later start is refused', async () => {
  await withDir(async (dataDir) => {
    await loadFieldCipher({ password: PASSWORD, dataDir, warn: noWarn });
    const check = await readFile(path.join(dataDir, 'encryption.check'), 'utf8');
    await assert.rejects(
      loadFieldCipher({ password: `${PASSWORD}!`, dataDir, warn: noWarn }),
      (error: Error) => error.message === `ENCRYPTION_PWD does not match the key the data in ${dataDir} was encrypted with`,
    );
    // The refused start leaves the verifier alone, so the right password still works.
    assert.equal(await readFile(path.join(dataDir, 'encryption.check'), 'utf8'), check);
    await loadFieldCipher({ password: PASSWORD, dataDir, warn: noWarn });
  });
});

test('starting without a password on data encrypted under a password is refused', async () => {
  await withDir(async (dataDir) => {
    await loadFieldCipher({ password: PASSWORD, dataDir, warn: noWarn });
    await assert.rejects(loadFieldCipher({ password: undefined, dataDir, warn: () => undefined }), /set ENCRYPTION_PWD to the password used before/);
  });
});

test('a password shorter than 12 characters is refused before anything is written', async () => {
  await withDir(async (dir) => {
    const dataDir = path.join(dir, 'data');
    await assert.rejects(loadFieldCipher({ password: 'elevenchars', dataDir, warn: noWarn }), /ENCRYPTION_PWD must be at least 12 characters/);
    await assert.rejects(stat(dataDir), { code: 'ENOENT' });
    // Twelve is enough.
    await loadFieldCipher({ password: 'twelve chars', dataDir, warn: noWarn });
  });
});

test('a damaged salt file is reported without quoting it', async () => {
  await withDir(async (dataDir) => {
    await writeFile(path.join(dataDir, 'encryption.salt'), 'not-hex-secret\n');
    await assert.rejects(loadFieldCipher({ password: PASSWORD, dataDir, warn: noWarn }), (error: Error) => {
      assert.match(error.message, /encryption\.salt is damaged/);
      assert.doesNotMatch(error.message, /not-hex-secret/);
      return true;
    });
  });
});

test('concurrent first loads agree on one salt and one verifier', async () => {
  await withDir(async (dataDir) => {
    // allSettled, so a failing load cannot leave the others writing after the directory is removed.
    const results = await Promise.allSettled([1, 2, 3].map(() => loadFieldCipher({ password: PASSWORD, dataDir, warn: noWarn })));
    const ciphers = results.map((result) => {
      if (result.status === 'rejected') throw result.reason;
      return result.value;
    });
    const hashes = new Set(ciphers.map((c) => c.lookupHash('f', 'v')));
    assert.equal(hashes.size, 1);
    assert.deepEqual((await readdir(dataDir)).sort(), ['encryption.check', 'encryption.salt']);
  });
});
