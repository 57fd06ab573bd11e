// One team's bad remote beside a healthy one, in thread isolation: whatever teamA's code does,
// teamB keeps answering every request, the host stays healthy, and teamA comes back.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exampleRemoteDist } from './support/host-process.js';
import { containerSource, writeRemoteEntry } from './support/fixture-remotes.js';
import { withHost, type HostFixture } from './support/with-host.js';
import { until } from './support/until.js';

/** teamA's model: every command is one of the faults of the isolation issue. */
const TRAP_MODELS = `[{
  modelName: 'trap',
  endpoint: 'traps',
  factory: () => (input) => ({ ...input }),
  commands: {
    spin: { command: () => { for (;;) {} } },
    exit: { command: () => { process.exit(3); } },
    kill: { command: () => { process.kill(process.pid, 'SIGKILL'); } },
    throwLater: { command: () => { setTimeout(() => { throw new Error('late boom'); }, 5); return { threw: 'later' }; } },
    reject: { command: () => { Promise.reject(new Error('nobody catches this')); return { rejected: true }; } },
    hog: { command: () => { const kept = []; for (;;) kept.push(new Array(1e6).fill(kept.length)); } },
    env: { command: () => ({ seen: Object.keys(process.env).sort(), secret: process.env.WEBHOOK_SECRET ?? null, admin: process.env.ADMIN_TOKEN ?? null }) },
    patch: { command: () => { require('http').ServerResponse.prototype.end = function () { throw new Error('captured'); }; return { patched: true }; } },
    slow: { command: () => new Promise((resolve) => setTimeout(() => resolve(undefined), 400)) },
  },
}]`;

const CALL_TIMEOUT_MS = 1_000;

/** teamB's requests while `fault` runs: every one must succeed. */
async function teamBDuring(host: HostFixture, fault: Promise<unknown>): Promise<{ ok: number; failed: string[] }> {
  let done = false;
  void fault.finally(() => (done = true));
  const failed: string[] = [];
  let ok = 0;
  const deadline = Date.now() + 20_000;
  const client = async () => {
    // Bounded in count and time; at least a few requests even when the fault answers at once.
    for (let i = 0; i < 200 && Date.now() < deadline && (!done || i < 3); i++) {
      try {
        const res = await host.request('/microlib/api/models/customers', { method: 'POST', body: { firstName: 'B', lastName: 'Team', email: 'b@team.io' } });
        if (res.status === 201) ok++;
        else failed.push(`${res.status} ${JSON.stringify(res.body)}`);
      } catch (error) {
        failed.push(String(error));
      }
    }
  };
  await Promise.all([client(), client(), client()]);
  await fault;
  return { ok, failed };
}

describe('a hostile remote beside a healthy one (isolation: thread)', () => {
  const host = withHost(async ({ workDir }) => {
    const trap = await writeRemoteEntry(path.join(workDir, 'fixtures', 'teamA'), containerSource(TRAP_MODELS));
    return {
      remotes: [
        { name: 'teamA', kind: 'local', path: trap, callTimeoutMs: CALL_TIMEOUT_MS, memoryMb: 64, maxQueue: 3, env: ['TEAM_A_*'] },
        { name: 'teamB', kind: 'local', path: exampleRemoteDist },
      ],
      env: { WEBHOOK_SECRET: 'hook-secret-value', TEAM_A_COLOUR: 'blue', OTHER_TEAM_TOKEN: 'not-for-teamA' },
    };
  });
  let trapId: string;

  before(async () => {
    const created = await host.request('/microlib/api/models/traps', { method: 'POST', body: { name: 'bait' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    trapId = created.body.id;
  });

  const command = (name: string) => host.request(`/microlib/api/models/traps/${trapId}/commands/${name}`, { method: 'POST', body: {} });

  /** teamA answers again after its worker was replaced. */
  const teamABack = () =>
    until(async () => (await host.request('/microlib/api/models/traps', { method: 'POST', body: { name: 'again' } })).status === 201, 'teamA to serve again', 15_000);

  for (const fault of ['spin', 'exit', 'hog'] as const) {
    it(`${fault}: the call answers 503 naming the remote, teamB loses no request, teamA restarts`, async () => {
      const started = Date.now();
      const faultCall = command(fault);
      const teamB = await teamBDuring(host, faultCall);
      const answer = await faultCall;
      const took = Date.now() - started;
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.equal(answer.body.error.code, 'MLB_ERR_REMOTE_UNAVAILABLE');
      assert.match(answer.body.error.message, /remote "teamA" at /);
      if (fault === 'spin') assert.ok(took < CALL_TIMEOUT_MS + 3_000, `a stuck call answered after ${took} ms`);
      assert.deepEqual(teamB.failed, [], 'teamB requests failed during the fault');
      assert.ok(teamB.ok >= 3);
      assert.equal((await host.request('/microlib/health')).status, 200);
      await teamABack();
    });
  }

  for (const fault of ['throwLater', 'reject'] as const) {
    it(`${fault}: an error nobody catches replaces teamA's worker, never the host`, async () => {
      const before = (await host.request('/microlib/api/remotes')).body.remotes.find((r: { name: string }) => r.name === 'teamA').isolation.restarts;
      const teamB = await teamBDuring(host, command(fault));
      assert.deepEqual(teamB.failed, []);
      await until(async () => (await host.request('/microlib/api/remotes')).body.remotes.find((r: { name: string }) => r.name === 'teamA').isolation.restarts > before, 'the worker to restart');
      assert.equal((await host.request('/microlib/health')).status, 200);
      await teamABack();
    });
  }

  it('process.kill is refused inside the worker', async () => {
    const answer = await command('kill');
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.match(answer.body.error.message, /process\.kill is not available to remote code/);
    assert.equal((await host.request('/microlib/health')).status, 200);
  });

  it("teamA's code sees only the variables its entry lists", async () => {
    const answer = await command('env');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const record = answer.body;
    assert.deepEqual(record.seen, ['TEAM_A_COLOUR']);
    assert.equal(record.secret, null);
    assert.equal(record.admin, null);
  });

  it("patching a prototype changes teamA's worker only", async () => {
    const answer = await command('patch');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const res = await host.request('/microlib/api/models/customers', { method: 'POST', body: { firstName: 'C', lastName: 'D', email: 'c@d.io' } });
    assert.equal(res.status, 201);
  });

  it('answers 503 naming the remote once maxQueue calls are in flight, and serves the rest', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => command('slow')));
    const refused = answers.filter((a) => a.status === 503);
    assert.ok(answers.some((a) => a.status === 200), JSON.stringify(answers.map((a) => a.status)));
    assert.ok(refused.length > 0, JSON.stringify(answers.map((a) => a.status)));
    for (const answer of refused) {
      assert.equal(answer.body.error.code, 'MLB_ERR_REMOTE_UNAVAILABLE');
      assert.match(answer.body.error.message, /remote "teamA" at .*maxQueue 3/);
    }
  });

  it('shows restarts and the last crash in /microlib/api/remotes, and counts them in /metrics', async () => {
    const teamA = (await host.request('/microlib/api/remotes')).body.remotes.find((r: { name: string }) => r.name === 'teamA');
    assert.equal(teamA.isolation.isolation, 'thread');
    assert.ok(teamA.isolation.restarts >= 5, JSON.stringify(teamA.isolation));
    assert.match(teamA.isolation.lastCrash.reason, /crashed|exited|without yielding/);
    const metrics = await host.request('/metrics');
    assert.match(String(metrics.body), /microlib_remote_worker_crashes_total\{remote="teamA"\} [5-9]/);
    assert.ok(host.logs.some((line) => line.msg === 'remote worker stopped; restarting it' && line.remote === 'teamA'));
  });
});

describe('a remote whose remoteEntry.js never finishes evaluating', () => {
  let liveDir = '';
  const host = withHost(async ({ workDir }) => {
    const looping = await writeRemoteEntry(path.join(workDir, 'fixtures', 'loops'), 'for (;;) {}\n');
    liveDir = await writeRemoteEntry(path.join(workDir, 'fixtures', 'live'), containerSource(`[{ modelName: 'gadget', endpoint: 'gadgets', factory: () => (x) => ({ ...x, v: 1 }) }]`));
    return {
      remotes: [
        { name: 'loops', kind: 'local', path: looping },
        { name: 'live', kind: 'local', path: liveDir },
        { name: 'teamB', kind: 'local', path: exampleRemoteDist },
      ],
      env: { LOAD_TIMEOUT_MS: '2000', MICROLIB_DEV_MODE: 'true' },
    };
  });

  it('is refused after LOAD_TIMEOUT_MS while the host starts and serves the others', async () => {
    const loops = (await host.request('/microlib/api/remotes')).body.remotes.find((r: { name: string }) => r.name === 'loops');
    assert.equal(loops.status, 'failed');
    assert.match(loops.lastError.message, /did not finish within 2000 ms/);
    assert.equal((await host.request('/microlib/api/models/customers')).status, 200);
  });

  it('a hot deploy of a looping build is refused and the running version keeps serving', async () => {
    await writeFile(path.join(liveDir, 'remoteEntry.js'), 'for (;;) {}\n');
    const started = Date.now();
    const reload = await host.request('/microlib/reload', { method: 'POST' });
    assert.equal(reload.status, 422, JSON.stringify(reload.body));
    const live = reload.body.results.find((r: { remote: string }) => r.remote === 'live');
    assert.equal(live.outcome, 'failed', JSON.stringify(live));
    assert.ok(Date.now() - started < 10_000);
    const gadget = await host.request('/microlib/api/models/gadgets', { method: 'POST', body: {} });
    assert.equal(gadget.status, 201);
    assert.equal(gadget.body.v, 1, 'the running version still serves');
    assert.equal((await host.request('/microlib/health')).status, 200);
  });

  it('a hot deploy that loads but crash-loops is rolled back to the version before it', async () => {
    const live = () => host.request('/microlib/api/remotes').then(({ body }) => body.remotes.find((r: { name: string }) => r.name === 'live'));
    const good = (await live()).version;
    // The factory runs again in every restarted worker, so the worker dies again each time.
    await writeRemoteEntry(liveDir, containerSource(`[{ modelName: 'gadget', endpoint: 'gadgets', factory: () => { setTimeout(() => { throw new Error('dies after start'); }, 20); return (x) => ({ ...x, v: 2 }); } }]`));
    const reload = await host.request('/microlib/reload', { method: 'POST', body: { remote: 'live' } });
    assert.equal(reload.body.results[0].outcome, 'reloaded', JSON.stringify(reload.body));
    const back = await until(async () => {
      const state = await live();
      return state.version === good && state.pinned === good && state;
    }, 'the crash-looping version to be rolled back', 20_000);
    assert.equal(back.status, 'ready');
    const gadget = await host.request('/microlib/api/models/gadgets', { method: 'POST', body: {} });
    assert.equal(gadget.status, 201, JSON.stringify(gadget.body));
    assert.equal(gadget.body.v, 1);
    // The log line follows the rollback's result, which may come after the state changed.
    await until(() => host.logs.some((line) => line.msg === 'rolled back a crash-looping version' && line.remote === 'live'), 'the rollback to be logged');
  });
});

describe('a remote in a process of its own (isolation: process)', () => {
  const host = withHost(async ({ workDir }) => {
    const reader = await writeRemoteEntry(
      path.join(workDir, 'fixtures', 'reader'),
      containerSource(`[{
        modelName: 'reader',
        endpoint: 'readers',
        factory: () => (input) => ({ ...input }),
        commands: {
          read: { command: (model, input) => ({ text: require('fs').readFileSync(input.file, 'utf8').slice(0, 40) }) },
          spawn: { command: () => { require('child_process').execFileSync('true'); return { spawned: true }; } },
        },
      }]`),
    );
    return {
      remotes: [
        { name: 'reader', kind: 'local', path: reader, isolation: 'process' },
        { name: 'teamB', kind: 'local', path: exampleRemoteDist },
      ],
      env: { WEBHOOK_SECRET: 'hook-secret-value', DATASOURCE_ADAPTER: 'file' },
    };
  });
  let readerId: string;

  before(async () => {
    const created = await host.request('/microlib/api/models/readers', { method: 'POST', body: { name: 'r' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    readerId = created.body.id;
    assert.equal((await host.request('/microlib/api/models/customers', { method: 'POST', body: { firstName: 'S', lastName: 'T', email: 's@t.io' } })).status, 201);
  });

  const read = (file: string) => host.request(`/microlib/api/models/readers/${readerId}/commands/read`, { method: 'POST', body: { file } });

  it("cannot read another model's data, the host's environment or files outside its snapshot", async () => {
    for (const file of [path.join(host.workDir, 'data', 'customer.log'), '/proc/self/environ', path.join(host.workDir, 'remoteEntries.js')]) {
      const answer = await read(file);
      assert.equal(answer.status, 400, `${file}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.body.error.message, /ERR_ACCESS_DENIED|Access to this API has been restricted/, file);
    }
  });

  it('reads its own snapshot', async () => {
    const remotes = (await host.request('/microlib/api/remotes')).body.remotes;
    const reader = remotes.find((r: { name: string }) => r.name === 'reader');
    assert.equal(reader.isolation.isolation, 'process');
    const own = path.join(host.workDir, 'cache', 'reader', reader.version, 'remoteEntry.js');
    const answer = await read(own);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.match(answer.body.text, /module\.exports/);
  });

  it('cannot start a process', async () => {
    const answer = await host.request(`/microlib/api/models/readers/${readerId}/commands/spawn`, { method: 'POST', body: {} });
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.match(answer.body.error.message, /ERR_ACCESS_DENIED|restricted/);
  });
});
