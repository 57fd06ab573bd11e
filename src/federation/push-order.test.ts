import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { judgePush } from './push-order.js';
import type { CommitOrder, Source } from './sources/source.js';

// A line of history o → a → b → c, and x on another line from o.
const line = ['o', 'a', 'b', 'c'];
function order(base: string, head: string): CommitOrder {
  if (base === head) return 'identical';
  const [i, j] = [line.indexOf(base), line.indexOf(head)];
  if (i === -1 || j === -1) return base === 'o' ? 'ahead' : head === 'o' ? 'behind' : 'diverged';
  return j > i ? 'ahead' : 'behind';
}

function source(fail?: Error): Source & { asked: string[] } {
  const asked: string[] = [];
  return {
    kind: 'github',
    asked,
    describe: () => 'test',
    resolve: () => Promise.reject(new Error('not used')),
    compare: async (base, head) => {
      asked.push(`${base}...${head}`);
      if (fail) throw fail;
      return order(base, head);
    },
  };
}

const signal = new AbortController().signal;

describe('judgePush', () => {
  it('deploys a newer commit, and anything when nothing runs', async () => {
    assert.equal(await judgePush(source(), { version: 'c', forced: false }, 'b', undefined, signal), undefined);
    assert.equal(await judgePush(source(), { version: 'a', forced: false }, null, undefined, signal), undefined);
  });

  it('deploys a fast-forward from the running version without asking the source', async () => {
    const asked = source();
    assert.equal(await judgePush(asked, { version: 'c', replaces: 'b', forced: false }, 'b', undefined, signal), undefined);
    assert.deepEqual(asked.asked, []);
    // After a rollback the push must be newer than the version rolled back from as well: that needs the source.
    const afterRollback = source();
    assert.match((await judgePush(afterRollback, { version: 'b', replaces: 'a', forced: false }, 'a', 'c', signal))!, /older than the version a rollback left c/);
    assert.deepEqual(afterRollback.asked, ['a...b', 'c...b']);
  });

  it('ignores an older commit and one on another line, saying why', async () => {
    assert.match((await judgePush(source(), { version: 'a', replaces: 'o', forced: false }, 'c', undefined, signal))!, /a is older than the running c/);
    assert.match((await judgePush(source(), { version: 'x', forced: false }, 'c', undefined, signal))!, /diverged/);
  });

  it('follows a force push away from the running version or a newer one, not a stale one', async () => {
    const fromRunning = source();
    assert.equal(await judgePush(fromRunning, { version: 'a', replaces: 'c', forced: true }, 'c', undefined, signal), undefined);
    assert.deepEqual(fromRunning.asked, [], 'a force push away from the running version needs no question');
    assert.equal(await judgePush(source(), { version: 'a', replaces: 'c', forced: true }, 'b', undefined, signal), undefined, 'the push left a newer commit than the running one');
    assert.match((await judgePush(source(), { version: 'a', replaces: 'b', forced: true }, 'c', undefined, signal))!, /stale force push/);
    assert.match((await judgePush(source(), { version: 'a', replaces: 'x', forced: true }, 'c', undefined, signal))!, /stale force push/);
  });

  it('after a rollback, needs a commit newer than the version rolled back from too', async () => {
    assert.match((await judgePush(source(), { version: 'c', forced: false }, 'a', 'c', signal))!, /c is the version a rollback left/);
    assert.match((await judgePush(source(), { version: 'b', forced: false }, 'a', 'c', signal))!, /older than the version a rollback left c/);
    assert.equal(await judgePush(source(), { version: 'c', forced: false }, 'a', 'b', signal), undefined);
  });

  it('does not deploy when the source cannot tell', async () => {
    const why = await judgePush(source(new Error('GitHub answered 503')), { version: 'c', forced: false }, 'b', undefined, signal);
    assert.match(why!, /could not tell whether c is newer than the running b \(GitHub answered 503\)/);
  });

  it('deploys what a source without commit order offers', async () => {
    const { compare: _unused, ...plain } = source();
    assert.equal(await judgePush(plain, { version: 'a', forced: false }, 'c', undefined, signal), undefined);
  });
});
