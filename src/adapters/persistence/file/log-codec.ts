/**
 * The file datasource's log line format, one record operation per line:
 *
 *     <crc32 of payload, 8 lowercase hex digits> <space> <payload JSON> \n
 *
 * payloads: `{"log":"microlib","v":1}` (header; a compacted log's adds `"seq":<n>`, the
 * highest creation sequence number ever given, which the records it kept may no
 * longer show), `{"s":<seq>,"r":<record>}`
 * (create or replace: the whole record and its creation sequence number) and
 * `{"d":<id>}` (delete). JSON text never contains a raw newline, so `\n` always
 * ends a line, and a line whose checksum fails can be skipped without losing
 * the lines after it.
 */
import type { StoredRecord } from '../../../domain/model-spec.js';
import { crc32 } from './crc32.js';

/** Version written in the header; a log with another version is refused rather than misread. */
export const LOG_FORMAT_VERSION = 1;

/** One decoded log line. */
export type LogEntry =
  | { kind: 'header'; version: number; seq: number }
  | { kind: 'put'; seq: number; record: StoredRecord }
  | { kind: 'delete'; id: string }
  | { kind: 'corrupt'; reason: string };

const SPACE = 0x20;
const CHECKSUM_HEX = /^[0-9a-f]{8}$/;

function frame(payload: string): string {
  return `${crc32(payload).toString(16).padStart(8, '0')} ${payload}\n`;
}

/** The line that starts every log and snapshot; `highSeq`: the highest creation sequence number given so far. */
export function encodeHeaderLine(highSeq = 0): string {
  return frame(`{"log":"microlib","v":${LOG_FORMAT_VERSION}${highSeq > 0 ? `,"seq":${highSeq}` : ''}}`);
}

/** A create or replace line; `recordJson` is the record's JSON text, reused to avoid a second stringify. */
export function encodePutLine(seq: number, recordJson: string): string {
  return frame(`{"s":${seq},"r":${recordJson}}`);
}

/** A delete line. */
export function encodeDeleteLine(id: string): string {
  return frame(`{"d":${JSON.stringify(id)}}`);
}

/** Decodes one line (without its trailing newline). Never throws: damage comes back as `corrupt`. */
export function decodeLine(line: Uint8Array): LogEntry {
  if (line.length < 10 || line[8] !== SPACE) return { kind: 'corrupt', reason: 'not a checksummed line' };
  const checksumText = Buffer.from(line.buffer, line.byteOffset, 8).toString('latin1');
  if (!CHECKSUM_HEX.test(checksumText)) return { kind: 'corrupt', reason: 'bad checksum field' };
  const payload = Buffer.from(line.buffer, line.byteOffset + 9, line.length - 9);
  if (crc32(payload) !== Number.parseInt(checksumText, 16)) return { kind: 'corrupt', reason: 'checksum mismatch' };
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return { kind: 'corrupt', reason: 'checksum matches but payload is not JSON' };
  }
  return interpret(value);
}

function interpret(value: unknown): LogEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'corrupt', reason: 'payload is not an object' };
  const payload = value as Record<string, unknown>;
  if (payload['log'] === 'microlib' && typeof payload['v'] === 'number') {
    const seq = payload['seq'];
    return { kind: 'header', version: payload['v'], seq: Number.isSafeInteger(seq) && (seq as number) > 0 ? (seq as number) : 0 };
  }
  const record = payload['r'];
  const seq = payload['s'];
  if (record !== undefined) {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return { kind: 'corrupt', reason: 'record is not an object' };
    if (typeof (record as { id?: unknown }).id !== 'string') return { kind: 'corrupt', reason: 'record has no string id' };
    if (!Number.isSafeInteger(seq) || (seq as number) < 1) return { kind: 'corrupt', reason: 'bad sequence number' };
    return { kind: 'put', seq: seq as number, record: record as StoredRecord };
  }
  if (typeof payload['d'] === 'string') return { kind: 'delete', id: payload['d'] };
  return { kind: 'corrupt', reason: 'unknown operation' };
}
