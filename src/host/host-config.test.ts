import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, readConfig } from './host-config.js';

const config = (env: Record<string, string>) => readConfig(env, '/srv/app');

describe('configuration from the environment', () => {
  it('has working defaults with nothing set', () => {
    const c = config({});
    assert.equal(c.port, 8070);
    assert.equal(c.defaultDatasource, 'file');
    assert.equal(c.kafka, undefined);
    assert.equal(c.webswitchHub, false);
    assert.deepEqual(c.eventsShare, ['*']);
    assert.equal(c.portTimeoutMs, 30_000);
  });

  it('refuses bad values, naming the variable', () => {
    for (const [env, variable] of [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ DATASOURCE_ADAPTER: 'mongodb' }, 'MONGODB_URL'],
      [{ WEBSWITCH_HUB: 'true' }, 'WEBSWITCH_SECRET'],
      [{ WEBSWITCH_URL: 'http://hub/microlib/switch', WEBSWITCH_SECRET: 'a-secret-of-enough-length' }, 'WEBSWITCH_URL'],
      [{ WEBSWITCH_URL: 'ws://hub/microlib/switch', WEBSWITCH_SECRET: 'short' }, 'WEBSWITCH_SECRET'],
      [{ KAFKA_BROKERS: 'not a broker' }, 'KAFKA_BROKERS'],
      [{ KAFKA_BROKERS: 'k1:9092', KAFKA_TOPIC: 'microlib.{model}' }, 'KAFKA_SUBSCRIBE'],
      // kafkajs cannot make a consumer whose heartbeat is not below its session timeout (3000 is the heartbeat's default).
      [{ KAFKA_BROKERS: 'k1:9092', KAFKA_SESSION_TIMEOUT_MS: '3000' }, 'KAFKA_HEARTBEAT_INTERVAL_MS'],
      [{ PORT_TIMEOUT_MS: '0' }, 'PORT_TIMEOUT_MS'],
    ] as const) {
      assert.throws(() => config(env), (error: unknown) => error instanceof ConfigError && error.message.startsWith(`${variable}:`), JSON.stringify(env));
    }
  });

  it('reads Kafka settings: one group per service, the topic as default subscription, "none" to only publish', () => {
    const c = config({ KAFKA_BROKERS: 'k1:9092, k2:9092', KAFKA_CLIENT_ID: 'orders' });
    assert.deepEqual(c.kafka?.brokers, ['k1:9092', 'k2:9092']);
    assert.equal(c.kafka?.groupId, 'orders');
    assert.deepEqual(c.kafka?.subscribe, ['microlib-events']);
    assert.deepEqual(config({ KAFKA_BROKERS: 'k1:9092', KAFKA_SUBSCRIBE: 'none' }).kafka?.subscribe, []);
    const templated = config({ KAFKA_BROKERS: 'k1:9092', KAFKA_TOPIC: 'microlib.{model}', KAFKA_SUBSCRIBE: 'microlib.order,microlib.customer' });
    assert.deepEqual(templated.kafka?.subscribe, ['microlib.order', 'microlib.customer']);
  });

  it('reads the placement: its own Kafka group by default, the node named by HOST_ID unless MICROLIB_NODE_NAME says', () => {
    const c = config({ MICROLIB_PLACEMENT: 'orders', HOST_ID: 'h7', KAFKA_BROKERS: 'k1:9092' });
    assert.equal(c.placement, 'orders');
    assert.equal(c.nodeName, 'h7');
    assert.equal(c.kafka?.groupId, 'microlib-orders');
    assert.equal(config({ MICROLIB_PLACEMENT: 'orders', KAFKA_BROKERS: 'k1:9092', KAFKA_GROUP_ID: 'mine' }).kafka?.groupId, 'mine');
    assert.equal(config({ MICROLIB_NODE_NAME: 'n2', HOST_ID: 'h7' }).nodeName, 'n2');
    assert.equal(config({}).placement, undefined);
    assert.throws(() => config({ MICROLIB_PLACEMENT: 'two words' }), /^ConfigError: MICROLIB_PLACEMENT: "two words" is not a placement name/);
    assert.throws(() => config({ FORWARD_TIMEOUT_MS: '0' }), /^ConfigError: FORWARD_TIMEOUT_MS/);
  });

  it('reads cluster mode: workers only with CLUSTER_ENABLED, a stable flow runner id per slot, the shutdown timeout', () => {
    const single = config({ HOST_ID: 'edge-1' });
    assert.equal(single.clusterEnabled, false);
    assert.equal(single.workerSlot, undefined);
    assert.equal(single.flowRunnerId, 'edge-1/1');
    assert.equal(single.shutdownTimeoutMs, 10_000);
    const worker = config({ CLUSTER_ENABLED: 'true', CLUSTER_WORKERS: '3', MICROLIB_WORKER_SLOT: '2', HOST_ID: 'edge-1', SHUTDOWN_TIMEOUT_MS: '500' });
    assert.deepEqual([worker.clusterEnabled, worker.clusterWorkers, worker.workerSlot, worker.flowRunnerId, worker.shutdownTimeoutMs], [true, 3, 2, 'edge-1/2', 500]);
    assert.throws(() => config({ CLUSTER_WORKERS: '2' }), (e: Error) => e instanceof ConfigError && /CLUSTER_WORKERS: needs CLUSTER_ENABLED=true/.test(e.message));
    assert.throws(() => config({ CLUSTER_ENABLED: 'true', CLUSTER_WORKERS: '0' }), /CLUSTER_WORKERS: expected an integer from 1/);
    assert.throws(() => config({ CLUSTER_ENABLED: 'yes' }), /CLUSTER_ENABLED: expected true or false/);
  });
});
