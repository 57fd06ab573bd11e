/**
 * A DynamoDB stream's records (`Records[]` with `eventSource: 'aws:dynamodb'`), as
 * Lambda's event source mapping hands them over: `eventID`, `eventName` (INSERT,
 * MODIFY, REMOVE), `eventSourceARN` (`arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>`),
 * `dynamodb.{ Keys, NewImage?, OldImage?, SequenceNumber, ApproximateCreationDateTime }`,
 * and `userIdentity` `{ type: 'Service', principalId: 'dynamodb.amazonaws.com' }` on
 * an item that Time to Live removed.
 *
 * Each record becomes the event (a record has no body to read, so it is mapped here):
 * - `eventName`: the table's name and the change, `<table>Inserted`, `<table>Modified`,
 *   `<table>Removed` (camel case like the CRUD events; `orders*` hears them all);
 * - `modelName`: the table's name, so a model named like the table hears its changes;
 * - `id`: the record's `eventID` (unique, the same on every retry); `at`: its creation time;
 * - `data`: `{ table, operation: 'INSERT' | 'MODIFY' | 'REMOVE', keys, newImage?, oldImage?, expired? }`,
 *   the images present as the stream's view type gives them, as plain JSON
 *   (dynamodb-attributes.ts), `expired: true` when Time to Live removed the item.
 *
 * A batch comes from one shard, in its order: a failed record and the ones after it
 * are named by `SequenceNumber` in `batchItemFailures` (with ReportBatchItemFailures,
 * Lambda resumes the shard at the lowest one). A record that cannot be read is
 * logged and skipped, as on Kinesis: a retry could not read it either.
 */
import type { TriggerBatch } from './trigger-batch.js';
import type { MappedMessage, TriggerMessage } from './messages.js';
import { AttributeValueError, plainItem } from './dynamodb-attributes.js';

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

const CHANGES: Readonly<Record<string, string>> = { INSERT: 'Inserted', MODIFY: 'Modified', REMOVE: 'Removed' };

/** The table of a stream's ARN (`...:table/orders/stream/2026-12-05T16:00:00.000` → `orders`). */
function tableOf(arn: unknown): string | undefined {
  return typeof arn === 'string' ? /:table\/([^/]+)\/stream\//.exec(arn)?.[1] : undefined;
}

export function dynamodbBatch(records: Fields[]): TriggerBatch {
  const messages = records.map((record): TriggerMessage => {
    const stream = isObject(record['dynamodb']) ? record['dynamodb'] : {};
    const seconds = Number(stream['ApproximateCreationDateTime']);
    const at = Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1_000).toISOString() : undefined;
    const table = tableOf(record['eventSourceARN']);
    return { id: text(stream['SequenceNumber']) ?? '', channel: table ?? '', body: undefined, attributes: {}, at, mapped: recordEvent(record, stream, table, at) };
  });
  return { source: 'aws:dynamodb', messages, failures: 'items', ordered: true, skipUnreadable: true };
}

function recordEvent(record: Fields, stream: Fields, table: string | undefined, at: string | undefined): MappedMessage {
  const operation = record['eventName'];
  const change = typeof operation === 'string' && Object.hasOwn(CHANGES, operation) ? CHANGES[operation] : undefined;
  if (!isObject(record['dynamodb'])) return { invalid: 'the record has no "dynamodb" object' };
  if (change === undefined) return { invalid: `its eventName is ${JSON.stringify(operation)}, not INSERT, MODIFY or REMOVE` };
  if (table === undefined) return { invalid: `its eventSourceARN ${JSON.stringify(record['eventSourceARN'])} names no table (expected arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>)` };
  const id = text(record['eventID']);
  if (id === undefined) return { invalid: 'the record has no eventID' };
  try {
    const data: Fields = { table, operation, keys: plainItem(stream['Keys'], 'Keys') };
    if (stream['NewImage'] !== undefined) data['newImage'] = plainItem(stream['NewImage'], 'NewImage');
    if (stream['OldImage'] !== undefined) data['oldImage'] = plainItem(stream['OldImage'], 'OldImage');
    if (expiredByTtl(record)) data['expired'] = true;
    return { event: Object.freeze({ id, eventName: `${table}${change}`, modelName: table, at: at ?? new Date().toISOString(), data }) };
  } catch (error) {
    if (error instanceof AttributeValueError) return { invalid: `an attribute cannot be read: ${error.message}` };
    throw error;
  }
}

/** Time to Live deletes are REMOVE records made by the DynamoDB service itself. */
function expiredByTtl(record: Fields): boolean {
  const identity = record['userIdentity'];
  return record['eventName'] === 'REMOVE' && isObject(identity) && identity['type'] === 'Service' && identity['principalId'] === 'dynamodb.amazonaws.com';
}
