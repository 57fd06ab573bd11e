// DynamoDB stream records through the Lambda handler (microlib/serverless): each
// record becomes an event on the host's broker, its images as plain JSON, so a
// model named like the table hears the table's changes in its eventHandlers; a
// failed record and the ones after it are answered by sequence number.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLambdaHandler } from '../src/serverless/index.js';
import { lambdaContext } from './support/aws-events.js';
import { dynamodbStreamEvent, streamEventId } from './support/trigger-events.js';
import { seenIn, shipmentHandlerHooks } from './support/shipment-remote.js';

const SEQ = (n: number) => `1110000000000000000${String(n).padStart(6, '0')}`;
const key = (parcel: string) => ({ parcel: { S: parcel } });

describe('DynamoDB stream records through the Lambda handler', () => {
  const shipping = shipmentHandlerHooks(createLambdaHandler);

  it('publishes INSERT, MODIFY and REMOVE in order, converting every attribute type to plain JSON', async () => {
    const answer = await shipping.handler(dynamodbStreamEvent('shipment', [
      {
        sequenceNumber: SEQ(1), eventName: 'INSERT', keys: key('d1'),
        newImage: {
          parcel: { S: 'd1' },
          weight: { N: '12.5' },
          count: { N: '42' },
          maxSafe: { N: '9007199254740991' },
          big: { N: '12345678901234567890123' },
          precise: { N: '0.12345678901234567' },
          fragile: { BOOL: true },
          note: { NULL: true },
          label: { B: 'AAEC/w==' },
          dims: { M: { w: { N: '3' }, h: { N: '-4.25' } } },
          scans: { L: [{ S: 'hub' }, { N: '7' }, { M: { ok: { BOOL: false } } }, { L: [] }] },
          tags: { SS: ['cold', 'heavy'] },
          sizes: { NS: ['1', '2.5', '98765432109876543210'] },
          blobs: { BS: ['AQ==', 'Ag=='] },
        },
      },
      { sequenceNumber: SEQ(2), eventName: 'MODIFY', keys: key('d1'), oldImage: { parcel: { S: 'd1' }, state: { S: 'packed' } }, newImage: { parcel: { S: 'd1' }, state: { S: 'shipped' } } },
      // A REMOVE carries no NewImage.
      { sequenceNumber: SEQ(3), eventName: 'REMOVE', keys: key('d1'), oldImage: { parcel: { S: 'd1' }, state: { S: 'shipped' } } },
      { sequenceNumber: SEQ(4), eventName: 'REMOVE', keys: key('d0'), oldImage: { parcel: { S: 'd0' } }, expired: true },
    ]), lambdaContext());
    assert.deepEqual(answer, { batchItemFailures: [] });
    const seen = await seenIn(shipping.seenFile);
    assert.deepEqual(seen.map((s) => [s.eventName, s.id, s.modelName]), [
      ['shipmentInserted', streamEventId(SEQ(1)), 'shipment'],
      ['shipmentModified', streamEventId(SEQ(2)), 'shipment'],
      ['shipmentRemoved', streamEventId(SEQ(3)), 'shipment'],
      ['shipmentRemoved', streamEventId(SEQ(4)), 'shipment'],
    ]);
    assert.deepEqual(seen[0]?.data, {
      table: 'shipment',
      operation: 'INSERT',
      keys: { parcel: 'd1' },
      newImage: {
        parcel: 'd1',
        weight: 12.5,
        count: 42,
        maxSafe: 9007199254740991,
        big: '12345678901234567890123',
        precise: '0.12345678901234567',
        fragile: true,
        note: null,
        label: 'AAEC/w==',
        dims: { w: 3, h: -4.25 },
        scans: ['hub', 7, { ok: false }, []],
        tags: ['cold', 'heavy'],
        sizes: [1, 2.5, '98765432109876543210'],
        blobs: ['AQ==', 'Ag=='],
      },
    });
    assert.deepEqual(seen[1]?.data, { table: 'shipment', operation: 'MODIFY', keys: { parcel: 'd1' }, oldImage: { parcel: 'd1', state: 'packed' }, newImage: { parcel: 'd1', state: 'shipped' } });
    assert.deepEqual(seen[2]?.data, { table: 'shipment', operation: 'REMOVE', keys: { parcel: 'd1' }, oldImage: { parcel: 'd1', state: 'shipped' } });
    assert.deepEqual(seen[3]?.data, { table: 'shipment', operation: 'REMOVE', keys: { parcel: 'd0' }, oldImage: { parcel: 'd0' }, expired: true });
  });

  it('names a failed record and the ones after it by sequence number, skips an unreadable one, and does not repeat delivered records on the retry', async () => {
    const changes = [
      { sequenceNumber: SEQ(11), eventName: 'INSERT' as const, keys: key('e1'), newImage: { parcel: { S: 'e1' } } },
      { sequenceNumber: SEQ(12), eventName: 'INSERT' as const, keys: key('e2'), newImage: { parcel: { S: 'e2' }, weight: { N: 'heavy' } } },
      { sequenceNumber: SEQ(13), eventName: 'INSERT' as const, keys: key('e3'), newImage: { parcel: { S: 'e3' }, explode: { BOOL: true } } },
      { sequenceNumber: SEQ(14), eventName: 'INSERT' as const, keys: key('e4'), newImage: { parcel: { S: 'e4' } } },
    ];
    const parcels = async () => (await seenIn(shipping.seenFile)).map((s) => (s.data['keys'] as { parcel?: string } | undefined)?.parcel);
    const answer = await shipping.handler(dynamodbStreamEvent('shipment', changes), lambdaContext());
    assert.deepEqual(answer, { batchItemFailures: [{ itemIdentifier: SEQ(13) }, { itemIdentifier: SEQ(14) }] });
    const after1 = await parcels();
    assert.ok(after1.includes('e1') && !after1.includes('e2') && !after1.includes('e4'), "a shard's records stay in order: e4 waits for e3");
    const skipped = shipping.fn.logs.find((line) => line['messageId'] === SEQ(12));
    assert.match(String(skipped?.['msg']), /an attribute cannot be read: NewImage\.weight: N must hold a number as text, got "heavy" \(skipped/);
    assert.ok(shipping.fn.logs.some((line) => line['msg'] === 'event handler failed' && /refused parcel/.test(JSON.stringify(line['err']))), 'the handler failure is logged');

    // Lambda resumes the shard at the first sequence number named: e3 (now readable by the handler) and e4.
    const retried = await shipping.handler(dynamodbStreamEvent('shipment', [changes[0]!, { ...changes[2]!, newImage: { parcel: { S: 'e3' } } }, changes[3]!]), lambdaContext());
    assert.deepEqual(retried, { batchItemFailures: [] });
    const after2 = await parcels();
    assert.deepEqual(after2.filter((p) => p?.startsWith('e')), ['e1', 'e3', 'e4'], 'e1 was delivered by this instance and is not run again');
  });

  it('skips a record whose table, change or keys cannot be read, naming why', async () => {
    const event = dynamodbStreamEvent('shipment', [{ sequenceNumber: SEQ(21), eventName: 'INSERT', keys: key('u1'), newImage: { parcel: { S: 'u1' } } }]);
    const record = (event['Records'] as Array<Record<string, unknown>>)[0]!;
    const broken = { Records: [{ ...record, eventName: 'UPSERT' }, { ...record, eventSourceARN: 'arn:aws:dynamodb:eu-west-1:123456789012:global-table' }, { ...record, dynamodb: { ...(record['dynamodb'] as object), Keys: { parcel: { STRING: 'u1' } } } }] };
    assert.deepEqual(await shipping.handler(broken, lambdaContext()), { batchItemFailures: [] });
    const reasons = shipping.fn.logs.filter((line) => line['source'] === 'aws:dynamodb' && /trigger message refused/.test(String(line['msg']))).map((line) => String(line['msg']));
    assert.ok(reasons.some((msg) => /eventName is "UPSERT", not INSERT, MODIFY or REMOVE/.test(msg)), 'the unknown change');
    assert.ok(reasons.some((msg) => /eventSourceARN .* names no table/.test(msg)), 'the ARN without a table');
    assert.ok(reasons.some((msg) => /Keys\.parcel: unknown type "STRING"/.test(msg)), 'the unknown attribute type');
  });
});
