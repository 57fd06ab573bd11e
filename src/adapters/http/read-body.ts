/**
 * Reads a JSON (or MessagePack) request body: size limit (413), the host-wide
 * body budget (503), content type (415), syntax (400), a JSON object (a
 * MessagePack map) only (or, for a batch, an array, see {@link BodyShape}),
 * valid UTF-8, at most MAX_DEPTH levels of nesting, and no keys that could reach
 * an object's prototype.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { MicrolibError } from '../../domain/errors.js';
import type { FieldSpec } from '../../domain/model-spec.js';
import type { BodyBudget } from './body-budget.js';
import { readBoundedBody, receiveBoundedBody } from './bounded-body.js';
import { isMsgpackType } from '../wire/media-types.js';
import { decodeMsgpackBody } from '../wire/msgpack-codec.js';
import type { MsgpackTop } from '../wire/msgpack-scan.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
/** What most clients send, compared before the pattern is run. */
const PLAIN_JSON_TYPE = 'application/json';
/**
 * Bodies that may hold a key that would change an object's prototype or constructor
 * when copied: the literal names, or any \u escape (`"\u005f_proto__"` parses to `__proto__`).
 */
const SUSPICIOUS = /"(?:__proto__|constructor|prototype)"\s*:|\\u/;
/**
 * Deepest nesting of objects and arrays a body may have. Validation, copies and
 * datasources walk records recursively; 10,000 levels overflowed the stack (a 500).
 */
export const MAX_DEPTH = 64;
/** Shorter bodies cannot exceed MAX_DEPTH (each level takes two characters) and, without a backslash, hold no escape to check. */
const SCAN_BELOW = 2 * MAX_DEPTH + 1;

/** What a route takes at the top of its body: an object, an object or an array of items (a batch), or an array only. */
export type BodyShape = 'object' | 'object-or-array' | 'array';

/**
 * `budget`: the host-wide budget of buffered body bytes; a body that does not fit
 * is refused (503) rather than read. Its share is given back once parsed or refused.
 * `fields`: the field schema the body is for, which says where a MessagePack
 * body may hold a 64-bit integer or a timestamp (none without it).
 */
export function readObjectBody(req: IncomingMessage, limit: number, budget?: BodyBudget, shape?: 'object', fields?: Record<string, FieldSpec>): Promise<Record<string, unknown>>;
export function readObjectBody(req: IncomingMessage, limit: number, budget: BodyBudget | undefined, shape: BodyShape, fields?: Record<string, FieldSpec>): Promise<Record<string, unknown> | unknown[]>;
export function readObjectBody(req: IncomingMessage, limit: number, budget?: BodyBudget, shape: BodyShape = 'object', fields?: Record<string, FieldSpec>): Promise<Record<string, unknown> | unknown[]> {
  const type = req.headers['content-type'];
  if (type !== PLAIN_JSON_TYPE && (type === undefined || !JSON_TYPE.test(type))) {
    // Tested second, so a JSON body pays nothing for the other format.
    if (type && isMsgpackType(type)) return readMsgpackBody(req, limit, budget, fields, MSGPACK_TOP[shape]);
    return Promise.reject(new MicrolibError('MLB_ERR_UNSUPPORTED_MEDIA_TYPE', `content-type must be application/json or application/msgpack, got ${type ? `"${type}"` : 'none'}`, 'content-type'));
  }
  const claim = budget?.claim();
  // One promise, settled in the turn the body ends in (no async frame around the read).
  return new Promise((resolve, reject) => {
    receiveBoundedBody(
      req,
      claim ? { limit, claim } : { limit },
      (bytes) => {
        try {
          // toString would turn bad bytes into U+FFFD silently and store them.
          if (!isUtf8(bytes)) throw new MicrolibError('MLB_ERR_BAD_JSON', 'request body is not valid UTF-8');
          resolve(parseJsonBody(bytes.toString('utf8'), shape));
        } catch (error) {
          reject(error);
        } finally {
          claim?.release();
        }
      },
      (error) => {
        claim?.release();
        reject(error);
      },
    );
  });
}

const MSGPACK_TOP: Record<BodyShape, MsgpackTop> = { object: 'map', 'object-or-array': 'map-or-array', array: 'array' };

/** A MessagePack body, with the same bounds and checks as a JSON one (see wire/msgpack-scan.ts). */
async function readMsgpackBody(req: IncomingMessage, limit: number, budget: BodyBudget | undefined, fields: Record<string, FieldSpec> | undefined, top: MsgpackTop): Promise<Record<string, unknown> | unknown[]> {
  const claim = budget?.claim();
  try {
    const bytes = await readBoundedBody(req, claim ? { limit, claim } : { limit });
    return decodeMsgpackBody(bytes, MAX_DEPTH, fields, top);
  } finally {
    claim?.release();
  }
}

export function parseObject(text: string): Record<string, unknown> {
  return parseJsonBody(text, 'object') as Record<string, unknown>;
}

const EXPECTED: Record<BodyShape, string> = { object: 'a JSON object', 'object-or-array': 'a JSON object or an array of them', array: 'a JSON array' };

/** The body `text` holds, which must have `shape` at its top. */
export function parseJsonBody(text: string, shape: BodyShape): Record<string, unknown> | unknown[] {
  if (text.trim() === '') throw new MicrolibError('MLB_ERR_BAD_JSON', `request body is empty; send ${EXPECTED[shape]}`);
  // Before parsing: the reviver below recurses, so depth must be bounded first.
  if (text.length >= SCAN_BELOW || text.includes('\\')) scanNesting(text);
  let value: unknown;
  try {
    // The reviver only runs for bodies that may hold a suspicious key, keeping the common path fast.
    value = SUSPICIOUS.test(text) ? JSON.parse(text, rejectForbiddenKeys) : JSON.parse(text);
  } catch (error) {
    if (error instanceof MicrolibError) throw error;
    throw new MicrolibError('MLB_ERR_BAD_JSON', `request body is not valid JSON: ${(error as Error).message}`);
  }
  const array = Array.isArray(value);
  if (typeof value !== 'object' || value === null || (array ? shape === 'object' : shape === 'array')) {
    throw new MicrolibError('MLB_ERR_BAD_JSON', `request body must be ${EXPECTED[shape]}`);
  }
  return value as Record<string, unknown> | unknown[];
}

function rejectForbiddenKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
    throw new MicrolibError('MLB_ERR_VALIDATION', `"${key}" is not allowed as a field name`, key);
  }
  return value;
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LETTER_U = 0x75;

/**
 * One pass over the text, no recursion: rejects nesting deeper than MAX_DEPTH and
 * \u escapes that leave a lone UTF-16 surrogate (not valid Unicode; stores and
 * drivers treat them differently). Other syntax errors are left to JSON.parse.
 */
function scanNesting(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === QUOTE) inString = false;
      else if (c === BACKSLASH) {
        if (text.charCodeAt(i + 1) !== LETTER_U) {
          i++;
          continue;
        }
        const unit = hex4(text, i + 2);
        i += 5;
        if (unit >= 0xdc00 && unit <= 0xdfff) throw loneSurrogate();
        if (unit >= 0xd800 && unit <= 0xdbff) {
          // A high surrogate must be followed at once by an escaped low one.
          const next = text.charCodeAt(i + 1) === BACKSLASH && text.charCodeAt(i + 2) === LETTER_U ? hex4(text, i + 3) : -1;
          if (next < 0xdc00 || next > 0xdfff) throw loneSurrogate();
          i += 6;
        }
      }
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > MAX_DEPTH) throw new MicrolibError('MLB_ERR_BAD_JSON', `request body nests objects and arrays deeper than ${MAX_DEPTH} levels`);
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
}

/** The value of four hex digits at `at`, or -1. */
function hex4(text: string, at: number): number {
  const digits = text.slice(at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(digits) ? Number.parseInt(digits, 16) : -1;
}

function loneSurrogate(): MicrolibError {
  return new MicrolibError('MLB_ERR_BAD_JSON', 'request body has a \\u escape that is a lone UTF-16 surrogate');
}
