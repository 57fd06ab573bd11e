// A remote's error that nobody can catch — a throw from a timer, a rejection nobody handles —
// used to exit the whole host (code 1). The host started as `npm start` does (dist/src/server.js)
// logs it with its stack and remote, counts it in /metrics, and keeps serving every team.
// teamA runs with `isolation: 'none'` so its code shares the host's thread (in `thread` mode its
// worker dies and is replaced instead: test/hostile-remotes.test.ts).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { localModelsRemote } from './support/fixture-remotes.js';
import { until } from './support/until.js';
import { withHost } from './support/with-host.js';

const TEAM_A = `[{
  modelName: 'trap', endpoint: 'traps', datasource: 'memory', factory: () => (input) => ({ ...input }),
  commands: {
    throwLater: { command: () => { setTimeout(() => { throw new Error('boom from teamA'); }); return { scheduled: true }; } },
    rejectUnhandled: { command: () => { Promise.reject(new Error('rejection from teamA')); return { rejected: true }; } },
  },
}]`;
const TEAM_B = `[{ modelName: 'note', endpoint: 'notes', datasource: 'memory', factory: () => (input) => ({ ...input }) }]`;

describe('a stray error in a remote running in the host thread', () => {
  const host = withHost(async ({ workDir }) => ({
    remotes: [{ ...(await localModelsRemote(workDir, TEAM_A, 'teamA')), isolation: 'none' }, await localModelsRemote(workDir, TEAM_B, 'teamB')],
  }));
  let trapId: string;

  before(async () => {
    const created = await host.request('/microlib/api/models/traps', { method: 'POST', body: { name: 'bait' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    trapId = created.body.id;
  });

  /** The log line of the stray error whose message is `message`, once it is there. */
  const logged = async (message: string) => {
    let line: Record<string, any> | undefined;
    await until(() => (line = host.logs.find((l) => (l.err as { message?: string } | undefined)?.message === message)) !== undefined, `"${message}" in the log`);
    return line!;
  };

  /** The host still answers: health, and another team's model. */
  const stillServing = async () => {
    assert.equal((await host.request('/microlib/health')).status, 200);
    const note = await host.request('/microlib/api/models/notes', { method: 'POST', body: { text: 'still here' } });
    assert.equal(note.status, 201, JSON.stringify(note.body));
  };

  it('a throw from a timer is logged with its stack and remote, and the host keeps serving', async () => {
    const call = await host.request(`/microlib/api/models/traps/${trapId}/commands/throwLater`, { method: 'POST', body: {} });
    assert.equal(call.status, 200, JSON.stringify(call.body));
    const line = await logged('boom from teamA');
    assert.equal(line.msg, 'uncaught exception (the host keeps serving)');
    assert.equal(line.level, 50);
    assert.equal(line.remote, 'teamA');
    assert.match(line.err.stack, /boom from teamA\n\s+at /);
    await stillServing();
  });

  it('an unhandled rejection is logged with its remote, and the host keeps serving', async () => {
    const call = await host.request(`/microlib/api/models/traps/${trapId}/commands/rejectUnhandled`, { method: 'POST', body: {} });
    assert.equal(call.status, 200, JSON.stringify(call.body));
    const line = await logged('rejection from teamA');
    assert.equal(line.msg, 'unhandled promise rejection (the host keeps serving)');
    assert.equal(line.remote, 'teamA');
    await stillServing();
  });

  it('/metrics counts each kind', async () => {
    const scrape = await host.request('/metrics');
    assert.equal(scrape.status, 200);
    assert.match(String(scrape.body), /^microlib_uncaught_errors_total\{kind="exception"\} 1$/m);
    assert.match(String(scrape.body), /^microlib_uncaught_errors_total\{kind="rejection"\} 1$/m);
  });
});
