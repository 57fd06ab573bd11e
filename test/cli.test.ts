// The `microlib` CLI, run as a user runs it (the compiled bin in a child process):
// a remote from `microlib init` builds, passes its own tests and is served by a
// host with working CRUD; reload, status, remotes and rollback against that host;
// usage errors and an unreachable host.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { removeDir, repoRoot } from './support/host-process.js';
import { hostFor, withHost } from './support/with-host.js';

const CLI = path.join(repoRoot, 'dist/src/cli/microlib.js');
const ADMIN_TOKEN = 'cli-test-admin-token-0123456789';
// A webpack or tsc run takes seconds; these bound a stuck one.
const BUILD_TIMEOUT_MS = 120_000;
const CLI_TIMEOUT_MS = 30_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], options: { cwd?: string; env?: Record<string, string>; timeout?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...options.env }, timeout: options.timeout ?? CLI_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const microlib = (args: string[], env: Record<string, string> = {}, cwd?: string) => run(process.execPath, [CLI, ...args], { env, ...(cwd ? { cwd } : {}) });

/**
 * Gives the scaffold this repository's installed toolchain instead of `npm install`:
 * a node_modules of links to ours.
 */
async function linkToolchain(dir: string): Promise<void> {
  const modules = path.join(dir, 'node_modules');
  await mkdir(modules);
  for (const name of await readdir(path.join(repoRoot, 'node_modules'))) await symlink(path.join(repoRoot, 'node_modules', name), path.join(modules, name));
}

describe('microlib init: a scaffolded remote builds, tests and serves', () => {
  let remoteDir: string;
  let init: Run;
  const host = withHost(async ({ workDir }) => {
    remoteDir = path.join(workDir, 'billing-service');
    init = await microlib(['init', remoteDir, '--model', 'invoice']);
    assert.equal(init.code, 0, init.stderr);
    await linkToolchain(remoteDir);
    const build = await run(process.execPath, [path.join(repoRoot, 'node_modules/webpack-cli/bin/cli.js'), '--config', 'webpack.config.js'], { cwd: remoteDir, timeout: BUILD_TIMEOUT_MS });
    assert.equal(build.code, 0, `${build.stdout}\n${build.stderr}`);
    return { remotes: [{ name: 'billing', kind: 'local', path: path.join(remoteDir, 'dist') }], env: { ADMIN_TOKEN } };
  });
  const api = '/microlib/api/models/invoices';

  it('writes the remote repository and says how to use it', async () => {
    assert.match(init.stdout, /Wrote remote "billingService" .* model "invoice" \(served at \/microlib\/api\/models\/invoices\)/);
    for (const file of ['package.json', 'webpack.config.js', 'tsconfig.json', 'src/models/index.ts', 'src/models/invoice.ts', 'test/invoice.test.ts', '.github/workflows/build.yml', '.gitignore', 'README.md']) {
      assert.ok((await stat(path.join(remoteDir, file))).isFile(), file);
      assert.match(init.stdout, new RegExp(`^  ${file.replace(/\./g, '\\.')}$`, 'm'));
    }
    // The host's public types come along, so the remote installs without microlib on a registry.
    assert.ok((await stat(path.join(remoteDir, 'types/microlib/domain/model-spec.d.ts'))).isFile());
    assert.doesNotMatch(await readFile(path.join(remoteDir, 'package.json'), 'utf8'), /"microlib"/);
    const again = await microlib(['init', remoteDir]);
    assert.equal(again.code, 1, 'a folder that is not empty is refused');
    assert.match(again.stderr, /^microlib init: .*billing-service is not empty; use --force/);
  });

  it("passes its own tests (npm test: tsc, then node --test)", async () => {
    const tested = await run('npm', ['test'], { cwd: remoteDir, timeout: BUILD_TIMEOUT_MS });
    assert.equal(tested.code, 0, `${tested.stdout}\n${tested.stderr}`);
    // The summary's prefix depends on the runner's default reporter (tap on Node 20, spec on 24).
    assert.match(tested.stdout, /^(# |ℹ )pass 3$/m);
    assert.match(tested.stdout, /^(# |ℹ )fail 0$/m);
  });

  it('is served by a host: create, read, update, a command, delete', async () => {
    const created = await host.request(api, { method: 'POST', body: { title: '  first invoice ' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.title, 'first invoice', "the scaffold's factory ran");
    assert.equal(created.body.quantity, 1, 'field defaults apply');
    assert.equal(created.body.status, 'open');
    const id = created.body.id as string;

    assert.equal((await host.request(`${api}/${id}`)).body.title, 'first invoice');
    const patched = await host.request(`${api}/${id}`, { method: 'PATCH', body: { quantity: 3 } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.quantity, 3);
    const closed = await host.request(`${api}/${id}/commands/close`, { method: 'POST' });
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    assert.equal(closed.body.status, 'closed');
    const list = await host.request(`${api}?status=closed`);
    assert.deepEqual(list.body.data.map((r: { id: string }) => r.id), [id]);
    assert.equal((await host.request(`${api}/${id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await host.request(`${api}/${id}`)).status, 404);
  });

  it('answers a bad body with a 400 naming the field', async () => {
    const untitled = await host.request(api, { method: 'POST', body: { quantity: 2 } });
    assert.equal(untitled.status, 400);
    assert.equal(untitled.body.error.code, 'MLB_ERR_VALIDATION');
    assert.equal(untitled.body.error.field, 'title');
    const negative = await host.request(api, { method: 'POST', body: { title: 'x', quantity: -1 } });
    assert.equal(negative.status, 400);
    assert.equal(negative.body.error.field, 'quantity');
  });

  it('status, remotes, reload and rollback drive that host', async () => {
    const env = { MICROLIB_URL: host.url, ADMIN_TOKEN };
    const status = await microlib(['status'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^${host.url.replace(/[.:/]/g, '\\$&')}: ready, health ok$`, 'm'));
    assert.match(status.stdout, /^billing +ready +sha256-\S+ +\S+ +\/invoices$/m);

    const anonymous = await microlib(['reload'], { MICROLIB_URL: host.url });
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /^microlib reload: 401 .*\(give --token or set ADMIN_TOKEN\)$/m);
    const wrongToken = await microlib(['reload', '--url', host.url, '--token', 'not-the-admin-token']);
    assert.equal(wrongToken.code, 1);
    assert.match(wrongToken.stderr, /401 .*\(the token was not accepted\)/);

    const unchanged = await microlib(['reload'], env);
    assert.equal(unchanged.code, 0, unchanged.stderr);
    assert.match(unchanged.stdout, /^billing: unchanged at sha256-\S{5} \(\d+ ms\)$/m);

    // A new build (here: a changed remoteEntry.js) is a new version; the first is kept for rollback.
    await appendFile(path.join(remoteDir, 'dist/remoteEntry.js'), '\n// second build\n');
    const reloaded = await microlib(['reload', 'billing'], env);
    assert.equal(reloaded.code, 0, reloaded.stderr);
    const [, first, second] = /^billing: reloaded (\S+) -> (\S+) \(\d+ ms\)$/m.exec(reloaded.stdout) ?? [];
    assert.ok(first && second && first !== second, reloaded.stdout);

    const remotes = await microlib(['remotes'], env);
    assert.equal(remotes.code, 0, remotes.stderr);
    assert.match(remotes.stdout, /^NAME +KIND +VERSION +STATUS +LOADED +LOAD +KEPT +SOURCE$/m);
    assert.match(remotes.stdout, new RegExp(`^billing +local +${second} +ready +\\S+ +\\d+ ms +${first} +local:`, 'm'));
    const json = JSON.parse((await microlib(['remotes', '--json'], env)).stdout) as { remotes: Array<{ name: string; version: string }> };
    assert.equal(json.remotes[0]!.name, 'billing');
    assert.ok(json.remotes[0]!.version.startsWith(second));

    const unknownRemote = await microlib(['rollback', 'nope'], env);
    assert.equal(unknownRemote.code, 1);
    assert.equal(unknownRemote.stderr.trim(), 'microlib rollback: 404 no remote named "nope"');
    const unknownVersion = await microlib(['rollback', 'billing', '--to', 'sha256-0000'], env);
    assert.equal(unknownVersion.code, 1);
    assert.match(unknownVersion.stderr, /404 remote "billing" keeps no version "sha256-0000"/);

    const rolledBack = await microlib(['rollback', 'billing', '--to', first], env);
    assert.equal(rolledBack.code, 0, rolledBack.stderr);
    assert.equal(rolledBack.stdout.trim().replace(/\(\d+ ms\)/, '(n ms)'), `billing: rolled back ${second} -> ${first} (n ms)`);
    assert.match((await microlib(['status'], env)).stdout, new RegExp(`^billing +ready \\(pinned\\) +${first} `, 'm'));
    assert.equal((await host.request(api, { method: 'POST', body: { title: 'after the rollback' } })).status, 201, 'the version rolled back to serves');

    const nothingLeft = await microlib(['rollback', 'billing'], env);
    assert.equal(nothingLeft.code, 1);
    assert.match(nothingLeft.stderr, /409 remote "billing" has no previous version/);
  });
});

describe('microlib start', () => {
  it('runs the host in its own process until SIGTERM', async (t) => {
    const host = await hostFor(t, { remotes: [], nodeArgs: [CLI, 'start'] });
    const health = await host.request('/microlib/health');
    assert.deepEqual([health.status, health.body], [200, { status: 'ok' }]);
    assert.equal(await host.stop(), 0, 'a clean stop');
  });
});

describe('microlib usage', () => {
  it('prints the usage on --help, and on a wrong command or flag exits 2 with it on stderr', async () => {
    const help = await microlib(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['start', 'reload', 'status', 'remotes', 'rollback', 'init']) assert.match(help.stdout, new RegExp(`^  ${command} +\\S`, 'm'));
    const rollbackHelp = await microlib(['rollback', '--help']);
    assert.equal(rollbackHelp.code, 0);
    assert.match(rollbackHelp.stdout, /^Usage: microlib rollback <remote> \[--to <version>\]/);

    for (const [args, message] of [
      [[], /^Usage: microlib <command>/],
      [['deploy'], /^microlib: unknown command "deploy"/],
      [['status', '--verbose'], /^microlib status: Unknown option '--verbose'\n\nUsage: microlib status/],
      [['reload', '--url'], /^microlib reload: Option '--url <value>' argument missing/],
      [['rollback'], /^microlib rollback: missing <remote>/],
      [['remotes', 'extra'], /^microlib remotes: unexpected argument "extra"/],
      [['init'], /^microlib init: missing <dir>/],
      [['init', path.join(os.tmpdir(), 'x'), '--model', 'Line-Item'], /^microlib init: model name "Line-Item" must start with a lowercase letter/],
    ] as const) {
      const result = await microlib([...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '', args.join(' '));
      assert.match(result.stderr, message, args.join(' '));
    }
  });

  it('says in one line when the host cannot be reached or the URL is wrong', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const unreachable = await microlib(['status', '--url', `http://127.0.0.1:${closed}`]);
    assert.equal(unreachable.code, 1);
    assert.equal(unreachable.stderr, `microlib status: cannot reach the host at http://127.0.0.1:${closed}: ECONNREFUSED\n`);
    const badUrl = await microlib(['remotes'], { MICROLIB_URL: 'ftp://example.com' });
    assert.equal(badUrl.code, 1);
    assert.equal(badUrl.stderr, 'microlib remotes: MICROLIB_URL: must be an http:// or https:// URL, got "ftp://example.com"\n');
  });

  it('refuses a remote name the build cannot use, and writes nothing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'microlib-cli-'));
    try {
      const target = path.join(dir, 'remote');
      const result = await microlib(['init', target, '--name', 'my-remote']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^microlib init: remote name "my-remote" \(given with --name\) must start with a letter/);
      await assert.rejects(stat(target), { code: 'ENOENT' });
      await writeFile(path.join(dir, 'keep.txt'), 'mine');
      const forced = await microlib(['init', dir, '--name', 'shop', '--force']);
      assert.equal(forced.code, 0, forced.stderr);
      assert.ok((await readdir(dir)).includes('keep.txt'), '--force keeps files it does not write');
    } finally {
      await removeDir(dir);
    }
  });
});
