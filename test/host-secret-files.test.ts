// Secrets from files (Docker/Kubernetes secrets): a host given ADMIN_TOKEN_FILE accepts the token
// in that file on its admin endpoints and refuses any other; a mistake in a secret's file stops
// the start with one line naming the variable and the path, never a stack.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { localModelsRemote } from './support/fixture-remotes.js';
import { makeWorkDir, removeDir, repoRoot, startHost } from './support/host-process.js';
import { withHost } from './support/with-host.js';

const run = promisify(execFile);
const cliScript = path.join(repoRoot, 'dist/src/cli/microlib.js');
const TOKEN = 'token-from-a-mounted-secret-file';
const models = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;

describe('ADMIN_TOKEN_FILE', () => {
  let tokenFile = '';
  const host = withHost(async ({ workDir }) => {
    tokenFile = path.join(workDir, 'admin_token');
    // As `kubectl create secret` or `echo` writes it: with a final line break.
    await writeFile(tokenFile, `${TOKEN}\n`);
    return { remotes: [await localModelsRemote(workDir, models)], env: { ADMIN_TOKEN_FILE: tokenFile } };
  });
  const reload = (token?: string) => host.request('/microlib/reload', { method: 'POST', ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });

  it('accepts the token in the file on an admin endpoint and refuses another', async () => {
    const accepted = await reload(TOKEN);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.results[0].remote, 'kit');
    for (const other of [undefined, 'another-token-of-enough-length', `${TOKEN}x`]) {
      const refused = await reload(other);
      assert.equal(refused.status, 401, `token ${String(other)}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error.code, 'MLB_ERR_UNAUTHORIZED');
    }
  });

  it('is read by the CLI too', async () => {
    const cli = await run(process.execPath, [cliScript, 'reload', 'kit'], { env: { PATH: process.env.PATH ?? '', MICROLIB_URL: host.url, ADMIN_TOKEN_FILE: tokenFile }, timeout: 30_000 });
    assert.match(cli.stdout, /^kit: /m);
  });
});

describe('a mistake in a secret file', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map(removeDir)));

  /** What the host says on stderr when it refuses to start with `env`. */
  const refusal = async (env: (workDir: string) => Promise<Record<string, string>>): Promise<string> => {
    const workDir = await makeWorkDir();
    dirs.push(workDir);
    const started = startHost({ workDir, remotes: [], env: await env(workDir) });
    const error = await started.then(
      async (running) => {
        await running.stop();
        assert.fail('the host started');
      },
      (failure: Error) => failure.message,
    );
    assert.match(error, /^host exited with 1 before listening\n/);
    const stderr = error.slice(error.indexOf('\n') + 1).trim();
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack');
    return stderr;
  };

  it('refuses both ADMIN_TOKEN and ADMIN_TOKEN_FILE, naming both', async () => {
    const stderr = await refusal(async (workDir) => {
      await writeFile(path.join(workDir, 'token'), TOKEN);
      return { ADMIN_TOKEN: TOKEN, ADMIN_TOKEN_FILE: path.join(workDir, 'token') };
    });
    assert.equal(stderr, 'microlib: configuration error: ADMIN_TOKEN_FILE: ADMIN_TOKEN is set too: set only one of ADMIN_TOKEN and ADMIN_TOKEN_FILE');
  });

  it('refuses a missing or empty file, naming the variable and the path', async () => {
    let missing = '';
    const absent = await refusal(async (workDir) => ({ WEBHOOK_SECRET_FILE: (missing = path.join(workDir, 'no-such-secret')) }));
    assert.equal(absent, `microlib: configuration error: WEBHOOK_SECRET_FILE: cannot read ${missing}: no such file`);
    let emptyFile = '';
    const empty = await refusal(async (workDir) => {
      await writeFile((emptyFile = path.join(workDir, 'empty')), '');
      return { ENCRYPTION_PWD_FILE: emptyFile };
    });
    assert.equal(empty, `microlib: configuration error: ENCRYPTION_PWD_FILE: ${emptyFile} is empty`);
  });
});
