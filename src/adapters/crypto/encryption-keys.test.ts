import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FieldKeyError, loadFieldCipher, loadFieldKeys } from './encryption-keys.js';

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

test('with ENCRYPTION_SALT, processes with data folders of their own derive the same key; a folder kept under another salt is refused', async () => {
  await withDir(async (dir) => {
    const salt = '00112233445566778899aabbccddeeff';
    const one = await loadFieldCipher({ password: PASSWORD, dataDir: path.join(dir, 'one'), salt, warn: noWarn });
    const two = await loadFieldCipher({ password: PASSWORD, dataDir: path.join(dir, 'two'), salt, warn: noWarn });
    assert.equal(two.decrypt(one.encrypt('"hello"', 'greeting'), 'greeting'), '"hello"');
    const own = await loadFieldCipher({ password: PASSWORD, dataDir: path.join(dir, 'three'), warn: noWarn });
    assert.throws(() => own.decrypt(one.encrypt('"hello"', 'greeting'), 'greeting'), 'without the salt, another instance cannot read it');
    await assert.rejects(loadFieldCipher({ password: PASSWORD, dataDir: path.join(dir, 'three'), salt, warn: noWarn }), (error: Error) => {
      assert.ok(error instanceof FieldKeyError);
      assert.match(error.message, /ENCRYPTION_SALT differs from the salt this data folder/);
      return true;
    });
  });
});

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

describe('key rotation', () => {
  const OLD = 'the old long password';
  const NEW = 'the new long password';
  const load = (dataDir: string, password: string | undefined, previousPassword?: string, warn: (message: string) => void = noWarn) =>
    loadFieldKeys({ password, previousPassword, dataDir, warn });

  test('with the previous password, a rotation starts: both keys read, the new one writes, the verifier still names the old key', async () => {
    await withDir(async (dataDir) => {
      const before = (await load(dataDir, OLD)).cipher;
      const old = before.encrypt('"ann@example.com"', 'email');
      const check = await readFile(path.join(dataDir, 'encryption.check'), 'utf8');

      const { cipher, rotation } = await load(dataDir, NEW, OLD);
      assert.ok(rotation);
      assert.equal(rotation.from, before.keyId);
      assert.equal(rotation.to, cipher.keyId);
      assert.equal(cipher.decrypt(old, 'email'), '"ann@example.com"');
      assert.equal(cipher.isCurrent!(old), false);
      assert.equal(cipher.encrypt('"x"', 'f').split(':')[2], cipher.keyId);
      assert.equal(cipher.previousLookupHash!('email', '"a"'), before.lookupHash('email', '"a"'));
      assert.equal(await readFile(path.join(dataDir, 'encryption.check'), 'utf8'), check);
      if (process.platform !== 'win32') assert.equal(await mode(path.join(dataDir, 'encryption.rotation')), 0o600);

      // Unfinished: the new password alone is refused, saying what to set.
      await assert.rejects(load(dataDir, NEW), (error: Error) => {
        assert.ok(error instanceof FieldKeyError);
        assert.match(error.message, /re-encryption of the data in .* under ENCRYPTION_PWD has not finished: set ENCRYPTION_PWD_PREVIOUS to the password used before/);
        return true;
      });
      // A restart resumes the same rotation with its progress.
      rotation.state.models.set('customer', { total: 10, processed: 4, reencrypted: 4, changed: 0, unreadable: 0, cursor: 'abc', done: false });
      await rotation.save();
      const resumed = (await load(dataDir, NEW, OLD)).rotation;
      assert.deepEqual(resumed?.state.models.get('customer'), { total: 10, processed: 4, reencrypted: 4, changed: 0, unreadable: 0, cursor: 'abc', done: false });
      assert.equal(resumed?.state.startedAt, rotation.state.startedAt);
    });
  });

  test('once finished, the new password alone opens the data, and the old one no longer does', async () => {
    await withDir(async (dataDir) => {
      await load(dataDir, OLD);
      const { cipher, rotation } = await load(dataDir, NEW, OLD);
      const written = cipher.encrypt('"v"', 'f');
      await rotation!.finish();
      const after = await load(dataDir, NEW);
      assert.equal(after.rotation, undefined);
      assert.equal(after.cipher.decrypt(written, 'f'), '"v"');
      assert.equal(after.cipher.previousLookupHash!('f', '"v"'), undefined);
      await assert.rejects(load(dataDir, OLD), /ENCRYPTION_PWD does not match the key the data in .* was encrypted with/);
      // Still setting the previous password is accepted (the finished rotation is recorded) until it is removed.
      const still = await load(dataDir, NEW, OLD);
      assert.ok(still.rotation?.state.finishedAt);
      // Another previous password is not.
      await assert.rejects(load(dataDir, NEW, 'some other password'), /ENCRYPTION_PWD_PREVIOUS does not match the key the data in .* was encrypted with before: that data is under ENCRYPTION_PWD already/);
    });
  });

  test('a wrong previous password is refused before anything is written', async () => {
    await withDir(async (dataDir) => {
      await load(dataDir, OLD);
      const files = (await readdir(dataDir)).sort();
      const check = await readFile(path.join(dataDir, 'encryption.check'), 'utf8');
      await assert.rejects(load(dataDir, NEW, 'not the old password'), (error: Error) => {
        assert.ok(error instanceof FieldKeyError);
        assert.equal(
          error.message,
          `ENCRYPTION_PWD_PREVIOUS does not match the key the data in ${dataDir} was encrypted with (nor does ENCRYPTION_PWD): set ENCRYPTION_PWD_PREVIOUS to the password the data was encrypted with`,
        );
        return true;
      });
      assert.deepEqual((await readdir(dataDir)).sort(), files);
      assert.equal(await readFile(path.join(dataDir, 'encryption.check'), 'utf8'), check);
    });
  });

  test('a previous password without a new one, or equal to it, is refused', async () => {
    await withDir(async (dataDir) => {
      await assert.rejects(load(dataDir, undefined, OLD), /ENCRYPTION_PWD_PREVIOUS is set without ENCRYPTION_PWD/);
      await assert.rejects(load(dataDir, OLD, OLD), /ENCRYPTION_PWD_PREVIOUS is the same as ENCRYPTION_PWD/);
    });
  });

  test('an unfinished rotation to another password is not replaced by a new one', async () => {
    await withDir(async (dataDir) => {
      await load(dataDir, OLD);
      const first = await load(dataDir, NEW, OLD);
      await assert.rejects(load(dataDir, 'a third long password', OLD), new RegExp(`re-encryption from ENCRYPTION_PWD_PREVIOUS to another password \\(key ${first.cipher.keyId}\\) has not finished`));
      // After it finished, rotating again from the new password is a fresh rotation.
      await first.rotation!.finish();
      const second = await load(dataDir, 'a third long password', NEW);
      assert.equal(second.rotation?.from, first.cipher.keyId);
      assert.equal(second.rotation?.state.models.size, 0);
      assert.equal(second.rotation?.state.finishedAt, undefined);
    });
  });

  test('the generated key rotates to a password: its file is the previous password', async () => {
    await withDir(async (dataDir) => {
      const generated = await load(dataDir, undefined, undefined, () => undefined);
      const envelope = generated.cipher.encrypt('"dev data"', 'f');
      const keyFile = (await readFile(path.join(dataDir, 'encryption.key'), 'utf8')).replace(/\n$/, '');
      const { cipher, rotation } = await load(dataDir, NEW, keyFile);
      assert.equal(rotation?.from, generated.cipher.keyId);
      assert.equal(cipher.decrypt(envelope, 'f'), '"dev data"');
    });
  });

  test('a previous password on a fresh data folder is not used, with a warning', async () => {
    await withDir(async (dataDir) => {
      const warnings: string[] = [];
      const { rotation, cipher } = await load(dataDir, NEW, OLD, (message) => warnings.push(message));
      assert.equal(rotation, undefined);
      assert.equal(cipher.previousKeyId, undefined);
      assert.match(warnings.join('\n'), /ENCRYPTION_PWD_PREVIOUS is set, but no data in .* was encrypted before; it is not used/);
      await load(dataDir, NEW);
    });
  });

  test('a damaged rotation record is refused, naming the file', async () => {
    await withDir(async (dataDir) => {
      await load(dataDir, OLD);
      await load(dataDir, NEW, OLD);
      await writeFile(path.join(dataDir, 'encryption.rotation'), '{"from": 1}');
      await assert.rejects(load(dataDir, NEW, OLD), (error: Error) => error instanceof FieldKeyError && /encryption\.rotation is damaged; delete it and restart/.test(error.message));
    });
  });
});
