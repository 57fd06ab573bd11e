// A remote written and built the way the original MicroLib's were: plain JavaScript, webpack with
// a named commonjs-module library, a factory that hashes a field, `validate(model, changes)` guards
// and an `onDelete` veto. Built here with webpack, served unchanged, its own worker thread.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import webpack from 'webpack';
import enhanced from '@module-federation/enhanced/webpack';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';

const require = createRequire(import.meta.url);

/** The models module, as an original remote author writes it (CommonJS, no host imports). */
const MODELS = `
const crypto = require('crypto');
const hash = (value) => crypto.createHash('sha256').update(String(value)).digest('hex');
const STATUS = ['PENDING', 'APPROVED', 'SHIPPING', 'COMPLETE'];

exports.User = {
  modelName: 'user',
  endpoint: 'users',
  factory: () => ({ userName, password }) => ({ userName, password: hash(password) }),
  validate: (model, changes) => {
    if (changes.userName !== undefined && model.userName !== undefined && changes.userName !== model.userName) throw new Error('userName may not change');
    return { ...model, ...changes, ...(changes.password !== undefined && model.userName !== undefined ? { password: hash(changes.password) } : {}) };
  },
};

exports.Ticket = {
  modelName: 'ticket',
  endpoint: 'tickets',
  factory: () => (input) => ({ ...input, status: 'PENDING' }),
  validate: (model, changes) => {
    if (changes.status !== undefined && STATUS.indexOf(changes.status) < STATUS.indexOf(model.status)) {
      throw new Error('status ' + changes.status + ' may not follow ' + model.status);
    }
    return { ...model, ...changes };
  },
  onDelete: (model) => {
    if (model.status !== 'COMPLETE') throw new Error('only complete tickets can be deleted');
  },
};
`;

async function buildOriginalRemote(dir: string): Promise<string> {
  await mkdir(path.join(dir, 'src'), { recursive: true });
  await writeFile(path.join(dir, 'src', 'models.js'), MODELS);
  const out = path.join(dir, 'dist');
  const compiler = webpack({
    mode: 'production',
    devtool: false,
    context: dir,
    target: 'async-node',
    entry: {},
    // The original's configs name the library: remoteEntry.js exports module.exports.<name>.
    output: { path: out, publicPath: 'auto', library: { type: 'commonjs-module', name: 'tickets' }, clean: true },
    amd: false,
    optimization: { minimize: false },
    plugins: [
      new enhanced.ModuleFederationPlugin({
        name: 'tickets',
        filename: 'remoteEntry.js',
        library: { type: 'commonjs-module', name: 'tickets' },
        exposes: { './models': './src/models.js' },
        runtimePlugins: [require.resolve('@module-federation/node/runtimePlugin')],
        dts: false,
      }),
    ],
  });
  await new Promise<void>((resolve, reject) =>
    compiler.run((error, stats) => {
      compiler.close(() => undefined);
      if (error) return reject(error);
      if (stats?.hasErrors()) return reject(new Error(stats.toString({ all: false, errors: true })));
      resolve();
    }),
  );
  return out;
}

describe('a remote built as the original MicroLib built them (webpack, named library)', () => {
  let dir: string;
  let host: InProcessHost;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'microlib-original-webpack-'));
    const dist = await buildOriginalRemote(dir);
    host = await startInProcessHost({ remotes: [{ name: 'tickets', kind: 'local', path: dist, exposes: ['./models'] }], env: { DATASOURCE_ADAPTER: 'memory' } });
  });
  /** A JSON request answered in-process, as a client would get it. */
  const call = async (url: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await host.inject({ method: init.method ?? 'GET', url, ...(init.body !== undefined ? { body: init.body } : {}) });
    return { status: res.status, body: res.body ? (res.json() as any) : undefined };
  };
  after(async () => {
    await host?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores what the factory computed, never the raw body', async () => {
    const created = await call('/microlib/api/models/users', { method: 'POST', body: { userName: 'ada', password: 'secret' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.password, createHash('sha256').update('secret').digest('hex'));
    const changed = await call(`/microlib/api/models/users/${created.body.id}`, { method: 'PATCH', body: { userName: 'eve' } });
    assert.equal(changed.status, 400, JSON.stringify(changed.body));
    assert.match(changed.body.error.message, /userName may not change/);
  });

  it('runs validate(model, changes) with the record before the change, and the onDelete veto', async () => {
    const ticket = (await call('/microlib/api/models/tickets', { method: 'POST', body: { title: 't' } })).body as { id: string };
    const path_ = `/microlib/api/models/tickets/${ticket.id}`;
    assert.equal((await call(path_, { method: 'PATCH', body: { status: 'SHIPPING' } })).status, 200);
    const back = await call(path_, { method: 'PATCH', body: { status: 'APPROVED' } });
    assert.equal(back.status, 400, JSON.stringify(back.body));
    assert.match(back.body.error.message, /status APPROVED may not follow SHIPPING/);
    const refused = await call(path_, { method: 'DELETE' });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal((await call(path_, { method: 'PATCH', body: { status: 'COMPLETE' } })).status, 200);
    assert.equal((await call(path_, { method: 'DELETE' })).status, 204);
    const remotes = (await call('/microlib/api/remotes')).body.remotes;
    assert.equal(remotes[0].isolation.isolation, 'thread');
  });
});
