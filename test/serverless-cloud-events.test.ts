// CloudEvents other than Pub/Sub's through createCloudEventHandler (microlib/serverless):
// each becomes an event named by its type on the host's broker, so a model's
// eventHandlers run in the function; its data as JSON, text or base64; a repeat
// (same source, same id) is skipped. In-process, then under Google's functions framework.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createCloudEventHandler, TriggerDeliveryError, UnsupportedCloudEventError } from '../src/serverless/index.js';
import { serverlessImport, startFramework } from './support/functions-framework.js';
import { binaryCloudEventRequest, structuredCloudEventRequest } from './support/trigger-events.js';
import { seenIn, shipmentFunction, shipmentHandlerHooks } from './support/shipment-remote.js';
import { until } from './support/until.js';

const WEIGHED = 'com.example.parcel.weighed';
const SCALES = '//scales.example.com/hubs/lyon';

describe('CloudEvents of any type through the CloudEvent handler', () => {
  const shipping = shipmentHandlerHooks(createCloudEventHandler);

  const weighed = (id: string, fields: Record<string, unknown>) => ({ specversion: '1.0', type: WEIGHED, source: SCALES, id, time: '2026-12-05T16:00:00.000Z', modelname: 'shipment', ...fields });

  it("reaches a model's eventHandlers under the CloudEvent's type, with its source, subject and JSON data", async () => {
    await shipping.handler(weighed('w-1', { subject: 'parcels/c1', datacontenttype: 'application/json', data: { parcel: 'c1', grams: 1200 } }));
    assert.deepEqual((await seenIn(shipping.seenFile)).at(-1), { eventName: WEIGHED, id: 'w-1', modelName: 'shipment', source: SCALES, subject: 'parcels/c1', data: { parcel: 'c1', grams: 1200 } });
  });

  it('passes data that is not JSON as text or base64 with its datacontenttype, and decodes JSON sent as data_base64', async () => {
    await shipping.handler(weighed('w-2', { datacontenttype: 'text/csv', data: 'parcel,grams\nc2,800' }));
    await shipping.handler(weighed('w-3', { datacontenttype: 'image/png', data_base64: 'iVBORw0KGgo=' }));
    await shipping.handler(weighed('w-4', { data: Buffer.from([0, 1, 2, 255]) }));
    await shipping.handler(weighed('w-5', { datacontenttype: 'application/json', data_base64: Buffer.from('{"parcel":"c5"}').toString('base64') }));
    await shipping.handler(weighed('w-6', { datacontenttype: 'application/json', data: 'c6 as a JSON string' }));
    assert.deepEqual((await seenIn(shipping.seenFile)).slice(-5).map((seen) => [seen.id, seen.data]), [
      ['w-2', { datacontenttype: 'text/csv', text: 'parcel,grams\nc2,800' }],
      ['w-3', { datacontenttype: 'image/png', data_base64: 'iVBORw0KGgo=' }],
      ['w-4', { data_base64: 'AAEC/w==' }],
      ['w-5', { parcel: 'c5' }],
      ['w-6', 'c6 as a JSON string'],
    ]);
  });

  it('skips a repeat of the same source and id, but not the same id from another source', async () => {
    const before = (await seenIn(shipping.seenFile)).length;
    await shipping.handler(weighed('w-1', { data: { parcel: 'c1 again' } }));
    await shipping.handler(weighed('w-1', { source: '//scales.example.com/hubs/porto', data: { parcel: 'c1 in porto' } }));
    const seen = (await seenIn(shipping.seenFile)).slice(before);
    assert.deepEqual(seen.map((s) => [s.source, s.data.parcel]), [['//scales.example.com/hubs/porto', 'c1 in porto']]);
  });

  it('rejects when a handler fails (the sender retries), and names what is missing from an event it cannot read', async () => {
    await assert.rejects(shipping.handler(weighed('w-7', { data: { parcel: 'c7', explode: true } })), (error: Error) => {
      assert.ok(error instanceof TriggerDeliveryError);
      assert.match(error.message, /1 message\(s\) of the cloudevent batch failed: w-7: 1 handler\(s\) failed on com\.example\.parcel\.weighed/);
      return true;
    });
    await assert.rejects(shipping.handler({ specversion: '1.0', type: WEIGHED, id: 'w-8', data: {} }), (error: Error) => {
      assert.ok(error instanceof UnsupportedCloudEventError);
      assert.match(error.message, /expected a CloudEvent with type, source and id .*got type "com\.example\.parcel\.weighed", source missing, id "w-8"/);
      return true;
    });
    // A Pub/Sub CloudEvent keeps its own mapping: without its message it is not published under its type.
    await assert.rejects(shipping.handler({ specversion: '1.0', type: 'google.cloud.pubsub.topic.v1.messagePublished', source: '//pubsub.googleapis.com/projects/shop/topics/parcels', id: 'ps-9', data: {} }), UnsupportedCloudEventError);
  });
});

describe("CloudEvents of any type under Google's functions framework", () => {
  it('delivers binary and structured mode CloudEvents to the eventHandlers, and answers 500 when a handler fails', async () => {
    const { fn, seenFile } = await shipmentFunction();
    await writeFile(path.join(fn.dir, 'index.mjs'), `import { createCloudEventHandler } from ${serverlessImport()};\nexport const microlibEvents = createCloudEventHandler();\n`);
    const framework = await startFramework(fn.dir, 'index.mjs', 'microlibEvents', { ...fn.env, DATASOURCE_ADAPTER: 'memory' }, 'cloudevent');
    const post = (request: { headers: Record<string, string>; body: string }) => fetch(framework.base, { method: 'POST', headers: request.headers, body: request.body });
    const event = (id: string, data: string, contentType: string) => ({ type: WEIGHED, source: SCALES, id, extensions: { modelname: 'shipment' }, data, contentType });
    try {
      const binary = await post(binaryCloudEventRequest(event('f-1', JSON.stringify({ parcel: 'f1', grams: 300 }), 'application/json')));
      assert.equal(binary.status, 204, await binary.text());
      const structured = await post(structuredCloudEventRequest(event('f-2', 'parcel,grams\nf2,500', 'text/csv')));
      assert.equal(structured.status, 204, await structured.text());
      const bytes = await post(binaryCloudEventRequest(event('f-3', 'AB', 'application/octet-stream')));
      assert.equal(bytes.status, 204, await bytes.text());
      assert.deepEqual((await seenIn(seenFile)).map((seen) => [seen.eventName, seen.id, seen.modelName, seen.source, seen.data]), [
        [WEIGHED, 'f-1', 'shipment', SCALES, { parcel: 'f1', grams: 300 }],
        [WEIGHED, 'f-2', 'shipment', SCALES, { datacontenttype: 'text/csv', text: 'parcel,grams\nf2,500' }],
        [WEIGHED, 'f-3', 'shipment', SCALES, { data_base64: Buffer.from('AB').toString('base64') }],
      ]);

      const failing = await post(binaryCloudEventRequest(event('f-4', JSON.stringify({ parcel: 'f4', explode: true }), 'application/json')));
      assert.equal(failing.status, 500);
      await until(() => /refused parcel f4/.test(framework.output()), 'the handler failure in the log', 5_000);
      assert.equal(framework.child.exitCode, null, 'the function still runs');
    } finally {
      await framework.stop();
      await fn.remove();
    }
  });
});
