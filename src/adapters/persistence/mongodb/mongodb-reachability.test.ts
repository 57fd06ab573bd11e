import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoNetworkError, MongoServerError } from 'mongodb';
import { until } from '../../../../test/support/until.js';
import { MongoReachability } from './mongodb-reachability.js';

/** A logger that keeps its lines. */
function recorder() {
  const lines: Array<{ level: 'warn' | 'info'; message: string; details: Record<string, unknown> }> = [];
  return {
    lines,
    warn: (details: Record<string, unknown>, message: string) => lines.push({ level: 'warn', message, details }),
    info: (details: Record<string, unknown>, message: string) => lines.push({ level: 'info', message, details }),
  };
}

test('one outage is logged once when it starts and once when it ends; what began before a change cannot end or restart it', async (t) => {
  // A probe that never answers: only operations end the outage here.
  const reachability = new MongoReachability('db1:27017', () => new Promise(() => undefined));
  t.after(() => reachability.close());
  const log = recorder();
  reachability.join('order');
  reachability.join('customer');
  const beforeOutage = reachability.current;

  reachability.failed(reachability.current, new MongoServerError({ ok: 0, code: 2, errmsg: 'BadValue' }), 'BadValue', log);
  assert.equal(reachability.reachable, true, 'an answer from the server is no outage');

  reachability.failed(beforeOutage, new MongoNetworkError('connection 1 closed'), 'connection 1 closed', log);
  const during = reachability.current;
  reachability.failed(during, new MongoNetworkError('connection 2 closed'), 'connection 2 closed', log);
  reachability.succeeded(beforeOutage);
  assert.equal(reachability.reachable, false, 'a read sent before the outage and answered just after does not end it');
  assert.deepEqual(
    log.lines.map((line) => [line.level, line.message, line.details['mongodb'], line.details['models']]),
    [['warn', 'MongoDB unreachable', 'db1:27017', ['order', 'customer']]],
  );

  reachability.succeeded(during);
  reachability.succeeded(during);
  reachability.failed(during, new MongoNetworkError('late'), 'late', log);
  assert.equal(reachability.reachable, true, 'a failure of an operation sent during the outage does not start another');
  assert.deepEqual(log.lines.map((line) => [line.level, line.message]), [['warn', 'MongoDB unreachable'], ['info', 'MongoDB reachable again']]);
  assert.equal(typeof log.lines[1]!.details['outageMs'], 'number');
  assert.equal(reachability.outages, 1);
});

test('while an outage lasts a ping probes the server, so the end is seen without any request', async (t) => {
  let answer = false;
  const reachability = new MongoReachability('db1:27017', () => (answer ? Promise.resolve({ ok: 1 }) : Promise.reject(new MongoNetworkError('refused'))));
  t.after(() => reachability.close());
  const log = recorder();
  reachability.failed(reachability.current, new MongoNetworkError('refused'), 'refused', log);
  assert.equal(reachability.reachable, false);
  answer = true;
  await until(() => reachability.reachable, 'the probe to see the server back', 5_000);
  assert.deepEqual(log.lines.map((line) => line.message), ['MongoDB unreachable', 'MongoDB reachable again']);
});
