// Triggers that are not HTTP (SQS, SNS, Kafka event source mappings, Pub/Sub
// CloudEvents) through microlib/serverless: each message becomes an event on the
// host's broker, so a model's eventHandlers run in the function; failed messages
// are answered as each platform retries them (SQS: batchItemFailures; SNS, Kafka
// and Pub/Sub: the invocation fails).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createLambdaHandler, TriggerDeliveryError, UnsupportedEventError } from '../src/serverless/index.js';
import { lambdaContext } from './support/aws-events.js';
import { serverlessImport, startFramework } from './support/functions-framework.js';
import { kafkaEvent, kinesisEvent, pubsubCloudEventRequest, snsEnvelope, snsEvent, sqsEvent } from './support/trigger-events.js';
import { until } from './support/until.js';
import { seenIn, shipmentFunction, shipmentHandlerHooks } from './support/shipment-remote.js';

const shipment = { modelName: 'shipment' };

describe('trigger messages through the Lambda handler', () => {
  const shipping = shipmentHandlerHooks(createLambdaHandler);
  const parcels = async () => (await seenIn(shipping.seenFile)).map((seen) => seen.data.parcel);

  it('SQS: runs the eventHandlers of each message and returns only the failed ones in batchItemFailures', async () => {
    const event = sqsEvent('parcels', [
      { id: 'm1', body: JSON.stringify({ parcel: 'p1' }), attributes: { eventName: 'parcelScanned', ...shipment } },
      { id: 'm2', body: '{"parcel": "p2"', attributes: shipment },
      { id: 'm3', body: JSON.stringify({ parcel: 'p3', explode: true }), attributes: shipment },
      // A microlib event as a host's Kafka bridge writes it: published as it is, with its own id and name.
      { id: 'm4', body: JSON.stringify({ id: 'evt-4', eventName: 'parcelDelivered', modelName: 'shipment', at: '2026-12-05T16:00:00.000Z', data: { parcel: 'p4' } }) },
    ]);
    const answer = await shipping.handler(event, lambdaContext());
    assert.deepEqual(answer, { batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] });
    const seen = await seenIn(shipping.seenFile);
    assert.deepEqual(seen.map((s) => [s.eventName, s.id, s.modelName, s.data.parcel]), [['parcelScanned', 'm1', 'shipment', 'p1'], ['parcelDelivered', 'evt-4', 'shipment', 'p4']]);
    const refused = shipping.fn.logs.find((line) => /trigger message refused: its body is not JSON/.test(String(line['msg'])));
    assert.equal(refused?.['messageId'], 'm2', 'the invalid body is logged, naming the message');
    assert.ok(shipping.fn.logs.some((line) => line['msg'] === 'event handler failed' && /refused parcel p3/.test(JSON.stringify(line['err']))), 'the handler failure is logged');

    // The queue hands the failed ones back, with one delivered before: that one is not run twice by this instance.
    const retried = await shipping.handler(sqsEvent('parcels', [
      { id: 'm1', body: JSON.stringify({ parcel: 'p1' }), attributes: { eventName: 'parcelScanned', ...shipment } },
      { id: 'm3', body: JSON.stringify({ parcel: 'p3' }), attributes: shipment },
    ]), lambdaContext());
    assert.deepEqual(retried, { batchItemFailures: [] });
    assert.deepEqual(await parcels(), ['p1', 'p4', 'p3']);
    // No eventName attribute: the queue's name is the event's.
    assert.equal((await seenIn(shipping.seenFile)).at(-1)?.eventName, 'parcels');
  });

  it('SQS fed by an SNS topic: unwraps the notification; a FIFO queue stops at the first failure', async () => {
    const wrapped = await shipping.handler(sqsEvent('from-topic', [{ id: 'w1', body: snsEnvelope('shipping-news', { id: 'w1', body: JSON.stringify({ parcel: 'w1' }), attributes: shipment }) }]), lambdaContext());
    assert.deepEqual(wrapped, { batchItemFailures: [] });
    assert.deepEqual((await seenIn(shipping.seenFile)).at(-1), { eventName: 'shipping-news', id: 'w1', modelName: 'shipment', data: { parcel: 'w1' } });

    const fifo = await shipping.handler(sqsEvent('parcels.fifo', [
      { id: 'f1', body: JSON.stringify({ parcel: 'f1' }), attributes: shipment },
      { id: 'f2', body: 'not json', attributes: shipment },
      { id: 'f3', body: JSON.stringify({ parcel: 'f3' }), attributes: shipment },
    ]), lambdaContext());
    assert.deepEqual(fifo, { batchItemFailures: [{ itemIdentifier: 'f2' }, { itemIdentifier: 'f3' }] }, 'f3 waits for f2, in order');
    assert.ok((await parcels()).includes('f1') && !(await parcels()).includes('f3'));
  });

  it('SNS: delivers the notification, and fails the invocation when it cannot be delivered', async () => {
    assert.equal(await shipping.handler(snsEvent('shipping-news', { id: 's1', body: JSON.stringify({ parcel: 's1' }), attributes: { eventName: 'parcelLost', ...shipment } }), lambdaContext()), undefined);
    assert.equal((await seenIn(shipping.seenFile)).at(-1)?.eventName, 'parcelLost');
    await assert.rejects(shipping.handler(snsEvent('shipping-news', { id: 's2', body: '<xml/>', attributes: shipment }), lambdaContext()), (error: Error) => {
      assert.ok(error instanceof TriggerDeliveryError);
      assert.match(error.message, /1 message\(s\) of the aws:sns batch failed: s2: its body is not JSON/);
      return true;
    });
  });

  it('Kafka (MSK and self-managed): decodes base64 values and byte-array headers; a failed record fails the invocation so the batch is retried', async () => {
    assert.equal(await shipping.handler(kafkaEvent('shipments', [
      { id: '10', body: JSON.stringify({ parcel: 'k10' }), attributes: { eventName: 'parcelPacked', ...shipment } },
      { id: '11', body: JSON.stringify({ parcel: 'k11' }), attributes: shipment },
    ]), lambdaContext()), undefined);
    assert.deepEqual((await seenIn(shipping.seenFile)).slice(-2).map((s) => [s.eventName, s.id]), [['parcelPacked', 'shipments-0@10'], ['shipments', 'shipments-0@11']]);

    const batch = kafkaEvent('shipments', [
      { id: '12', body: JSON.stringify({ parcel: 'k12' }), attributes: shipment },
      { id: '13', body: JSON.stringify({ parcel: 'k13', explode: true }), attributes: shipment },
      { id: '14', body: JSON.stringify({ parcel: 'k14' }), attributes: shipment },
    ], 'SelfManagedKafka');
    await assert.rejects(shipping.handler(batch, lambdaContext()), (error: Error) => {
      assert.ok(error instanceof TriggerDeliveryError);
      assert.deepEqual(error.failed.map((f) => f.id), ['shipments-0@13', 'shipments-0@14']);
      return true;
    });
    const before = await parcels();
    assert.ok(before.includes('k12') && !before.includes('k14'), 'a partition\'s records stay in order: k14 waits for k13');
    // The retried batch: k12 was delivered by this instance and is not run again.
    await assert.rejects(shipping.handler(batch, lambdaContext()), TriggerDeliveryError);
    assert.equal((await parcels()).filter((p) => p === 'k12').length, 1);
  });

  it('Kinesis: delivers records in order; a failed record and the ones after it are named by sequence number, an unreadable one is skipped', async () => {
    const event = (parcel: string, explode = false) => JSON.stringify({ id: `evt-${parcel}`, eventName: 'parcelScanned', modelName: 'shipment', at: '2026-12-05T16:00:00.000Z', data: { parcel, ...(explode ? { explode: true } : {}) } });
    const answer = await shipping.handler(kinesisEvent('parcel-stream', [
      { id: '49590338271490256608559692538361571095921575989136588801', body: event('n1') },
      { id: '49590338271490256608559692538361571095921575989136588802', body: 'not json {' },
      { id: '49590338271490256608559692538361571095921575989136588803', body: event('n3', true) },
      { id: '49590338271490256608559692538361571095921575989136588804', body: event('n4') },
    ]), lambdaContext());
    assert.deepEqual(answer, {
      batchItemFailures: [{ itemIdentifier: '49590338271490256608559692538361571095921575989136588803' }, { itemIdentifier: '49590338271490256608559692538361571095921575989136588804' }],
    });
    const seen = await parcels();
    assert.ok(seen.includes('n1') && !seen.includes('n4'), "a shard's records stay in order: n4 waits for n3");
    const skipped = shipping.fn.logs.find((line) => line['messageId'] === '49590338271490256608559692538361571095921575989136588802');
    assert.match(String(skipped?.['msg']), /its body is not JSON .*skipped/);
  });

  it('Kafka: a record that is not JSON is logged and skipped, so it does not hold up its partition', async () => {
    const batch = kafkaEvent('shipments', [
      { id: '20', body: 'not json {', attributes: shipment },
      { id: '21', body: JSON.stringify({ parcel: 'k21' }), attributes: shipment },
    ]);
    assert.equal(await shipping.handler(batch, lambdaContext()), undefined);
    assert.ok((await parcels()).includes('k21'), 'the record after the unreadable one is delivered');
    const refused = shipping.fn.logs.find((line) => line['messageId'] === 'shipments-0@20');
    assert.match(String(refused?.['msg']), /trigger message refused: its body is not JSON .*skipped/);
  });

  it('fails the records it has no time left for, before the platform ends the function', async () => {
    const answer = await shipping.handler(sqsEvent('parcels', [{ id: 't1', body: JSON.stringify({ parcel: 't1' }), attributes: shipment }]), lambdaContext(100));
    assert.deepEqual(answer, { batchItemFailures: [{ itemIdentifier: 't1' }] });
    assert.ok(!(await parcels()).includes('t1'));
  });

  it('still refuses events of no known trigger with UnsupportedEventError', async () => {
    await assert.rejects(shipping.handler({ Records: [{ eventSource: 'aws:s3', s3: {} }] }, lambdaContext()), (error: Error) => {
      assert.ok(error instanceof UnsupportedEventError);
      assert.match(error.message, /SQS, SNS, Kinesis or DynamoDB Streams Records.*got an object with Records/);
      return true;
    });
  });
});

describe('a Pub/Sub CloudEvent under Google\'s functions framework', () => {
  it('runs the eventHandlers of the message, and answers 500 (Pub/Sub redelivers) when its body is not JSON', async () => {
    const { fn, seenFile } = await shipmentFunction();
    await writeFile(path.join(fn.dir, 'index.mjs'), `import { createCloudEventHandler } from ${serverlessImport()};\nexport const microlibEvents = createCloudEventHandler();\n`);
    const framework = await startFramework(fn.dir, 'index.mjs', 'microlibEvents', { ...fn.env, DATASOURCE_ADAPTER: 'memory' }, 'cloudevent');
    try {
      const good = pubsubCloudEventRequest('shop', 'parcels', { id: 'ps-1', body: JSON.stringify({ parcel: 'g1' }), attributes: { eventName: 'parcelShipped', ...shipment } });
      const answer = await fetch(framework.base, { method: 'POST', headers: good.headers, body: good.body });
      assert.equal(answer.status, 204, await answer.text());
      assert.deepEqual(await seenIn(seenFile), [{ eventName: 'parcelShipped', id: 'ps-1', modelName: 'shipment', data: { parcel: 'g1' } }]);

      const bad = pubsubCloudEventRequest('shop', 'parcels', { id: 'ps-2', body: 'not json', attributes: shipment });
      const refused = await fetch(framework.base, { method: 'POST', headers: bad.headers, body: bad.body });
      assert.equal(refused.status, 500);
      await until(() => /trigger message refused: its body is not JSON/.test(framework.output()), 'the refusal in the log', 5_000);
      assert.equal(framework.child.exitCode, null, 'the function still runs');
    } finally {
      await framework.stop();
      await fn.remove();
    }
  });
});
