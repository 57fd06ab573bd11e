// Secrets read from the variable itself or from the file `<NAME>_FILE` names (Docker and
// Kubernetes secrets): what a file yields, and the one-line errors of every mistake.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, secret } from './env-reader.js';

describe('secret', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'microlib-secret-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const at = path.join(dir, name);
    writeFileSync(at, content);
    return at;
  };
  const refused = (env: Record<string, string>, message: string) =>
    assert.throws(() => secret(env, 'ADMIN_TOKEN'), (error: Error) => error instanceof ConfigError && error.message === message);

  it('reads the variable itself, trimmed, and nothing when neither is set', () => {
    assert.equal(secret({ ADMIN_TOKEN: '  a-token-of-enough-length \n' }, 'ADMIN_TOKEN'), 'a-token-of-enough-length');
    assert.equal(secret({}, 'ADMIN_TOKEN'), undefined);
    assert.equal(secret({ ADMIN_TOKEN: '', ADMIN_TOKEN_FILE: ' ' }, 'ADMIN_TOKEN'), undefined);
  });

  it("reads the file's content without one trailing line break", () => {
    assert.equal(secret({ ADMIN_TOKEN_FILE: file('plain', 'a-token-of-enough-length') }, 'ADMIN_TOKEN'), 'a-token-of-enough-length');
    assert.equal(secret({ ADMIN_TOKEN_FILE: file('lf', 'a-token-of-enough-length\n') }, 'ADMIN_TOKEN'), 'a-token-of-enough-length');
    assert.equal(secret({ ADMIN_TOKEN_FILE: file('crlf', 'a-token-of-enough-length\r\n') }, 'ADMIN_TOKEN'), 'a-token-of-enough-length');
    // Only one line break goes, and spaces are the secret's own.
    assert.equal(secret({ ADMIN_TOKEN_FILE: file('two', ' spaced token of length \n\n') }, 'ADMIN_TOKEN'), ' spaced token of length \n');
  });

  it('takes an empty variable beside the file as unset', () => {
    assert.equal(secret({ ADMIN_TOKEN: '', ADMIN_TOKEN_FILE: file('beside', 'a-token-of-enough-length\n') }, 'ADMIN_TOKEN'), 'a-token-of-enough-length');
  });

  it('refuses the variable and its file both set, naming both', () => {
    refused(
      { ADMIN_TOKEN: 'a-token-of-enough-length', ADMIN_TOKEN_FILE: file('both', 'another-token-of-enough-length') },
      'ADMIN_TOKEN_FILE: ADMIN_TOKEN is set too: set only one of ADMIN_TOKEN and ADMIN_TOKEN_FILE',
    );
  });

  it('refuses a missing, empty or unreadable file, or a folder, naming the variable and the path', () => {
    const missing = path.join(dir, 'absent');
    refused({ ADMIN_TOKEN_FILE: missing }, `ADMIN_TOKEN_FILE: cannot read ${missing}: no such file`);
    const empty = file('empty', '');
    refused({ ADMIN_TOKEN_FILE: empty }, `ADMIN_TOKEN_FILE: ${empty} is empty`);
    const blank = file('blank', '\n');
    refused({ ADMIN_TOKEN_FILE: blank }, `ADMIN_TOKEN_FILE: ${blank} is empty`);
    refused({ ADMIN_TOKEN_FILE: dir }, `ADMIN_TOKEN_FILE: cannot read ${dir}: it is a folder, not a file`);
    if (process.getuid?.() !== 0) {
      // root reads any file, so the refusal can only be seen as another user.
      const locked = file('locked', 'a-token-of-enough-length');
      chmodSync(locked, 0o000);
      refused({ ADMIN_TOKEN_FILE: locked }, `ADMIN_TOKEN_FILE: cannot read ${locked}: permission denied`);
    }
  });

  it('refuses a short secret, naming the file it came from', () => {
    const short = file('short', 'short\n');
    refused({ ADMIN_TOKEN_FILE: short }, `ADMIN_TOKEN_FILE: the secret in ${short} must be at least 16 characters`);
    refused({ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN: must be at least 16 characters');
    assert.equal(secret({ ENCRYPTION_PWD_FILE: file('pwd', 'twelve chars') }, 'ENCRYPTION_PWD', 12), 'twelve chars');
  });
});
