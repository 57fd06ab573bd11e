// A host with Kafka never waits for it to listen: it answers at once whether the brokers are
// unreachable or refuse it, and says what is wrong — a session timeout stock brokers refuse
// and, when a broker refuses the group join, which broker setting did, the value the host
// sent and what to change. The broker is librdkafka's mock cluster started with
// group.min.session.timeout.ms above what the host sends (an external KAFKA_BROKERS cluster
// cannot be set so by a test, so that case is skipped there).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { kafkaOrSkip } from './support/kafka-server.js';
import { until } from './support/until.js';
import { hostFor } from './support/with-host.js';

const topic = `startup-${randomUUID().slice(0, 8)}`;
// The host sends its default session timeout, 30 s; this broker accepts 45 s and more.
const { kafka, unavailable } = await kafkaOrSkip([topic], { groupMinSessionTimeoutMs: 45_000 });
after(() => kafka?.stop());

/** How long a host may take to listen: what starting one takes here, far below the start timeout below. */
const LISTEN_WITHIN_MS = 5_000;
/** Long enough that waiting for Kafka before listening would show. */
const KAFKA_START_TIMEOUT_MS = '60000';

const messages = (logs: Array<Record<string, unknown>>) => logs.map((l) => ({ level: l.level, msg: String(l.msg) }));

describe('a host with Kafka, at start', () => {
  it('listens at once while the brokers are unreachable, and warns of a session timeout stock brokers refuse', async (t) => {
    const host = await hostFor(t, {
      remotes: [],
      startTimeoutMs: LISTEN_WITHIN_MS,
      // Port 1 on loopback: nothing listens, connections are refused.
      env: { KAFKA_BROKERS: '127.0.0.1:1', KAFKA_START_TIMEOUT_MS, KAFKA_SESSION_TIMEOUT_MS: '3000', KAFKA_HEARTBEAT_INTERVAL_MS: '1000' },
    });
    assert.equal((await host.request('/microlib/health')).status, 200);
    // The Kafka client loads only once its transport starts (after the host listens): the warning follows shortly.
    const find = () => messages(host.logs).find((l) => l.msg.startsWith('KAFKA_SESSION_TIMEOUT_MS=3000'));
    await until(() => find() !== undefined, 'the session timeout warning', 5_000);
    const warning = find();
    assert.equal(warning?.level, 40, 'a warning');
    assert.match(warning.msg, /below 6000, the group\.min\.session\.timeout\.ms of a stock Kafka broker, which refuses/);
  });

  it(
    'says once which broker setting refused its group join, the value it sent and what to change',
    { skip: unavailable ?? (kafka?.external && 'needs a broker started with group.min.session.timeout.ms=45000') },
    async (t) => {
      const host = await hostFor(t, {
        remotes: [],
        startTimeoutMs: LISTEN_WITHIN_MS,
        // Debug: the refusal's repeats are logged at that level only.
        env: { KAFKA_BROKERS: kafka!.brokers.join(','), KAFKA_TOPIC: topic, KAFKA_START_TIMEOUT_MS, LOG_LEVEL: 'debug' },
      });
      assert.equal((await host.request('/microlib/health')).status, 200);
      const refusals = () => host.logs.filter((l) => String(l.msg).startsWith('Kafka refused to let this host join'));
      await until(() => refusals().length >= 2, 'the broker to refuse the join, and again after a retry', 15_000);
      const [first, ...again] = refusals();
      assert.equal(first!.level, 50, 'an error');
      assert.equal(first!.sessionTimeoutMs, 30_000);
      assert.match(String(first!.msg), /consumer group "microlib": the session timeout it sent, 30000 ms, is outside the range the broker allows/);
      assert.match(String(first!.msg), /group\.min\.session\.timeout\.ms/);
      assert.match(String(first!.msg), /set KAFKA_SESSION_TIMEOUT_MS within the broker's range/);
      assert.ok(again.every((l) => l.level === 20), 'the retries meet the same answer quietly, at debug level');
      const errors = messages(host.logs).filter((l) => Number(l.level) >= 50);
      assert.deepEqual(errors, [{ level: 50, msg: String(first!.msg) }], 'nothing else (kafkajs repeating it) logged as an error');
    },
  );
});
