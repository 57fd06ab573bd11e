/**
 * Reads a JSON request body: size limit (413), content type (415), syntax (400),
 * a JSON object only, and no keys that could reach an object's prototype.
 */
import type { IncomingMessage } from 'node:http';
import { MicrolibError } from '../../domain/errors.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
/** Keys that would change an object's prototype or constructor when copied. */
const FORBIDDEN_KEY = /"(?:__proto__|constructor|prototype)"\s*:/;

export function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'];
  if (!type || !JSON_TYPE.test(type)) {
    return Promise.reject(new MicrolibError('MLB_ERR_UNSUPPORTED_MEDIA_TYPE', `content-type must be application/json, got ${type ? `"${type}"` : 'none'}`, 'content-type'));
  }
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    // A client that disconnects mid-body surfaces here ("aborted"), so the request
    // (and the route table it holds) never waits for ever.
    req.on('error', (error) => {
      if (!failed) reject(new MicrolibError('MLB_ERR_BAD_JSON', `request body could not be read: ${error.message}`));
      failed = true;
    });
    req.on('end', () => {
      if (failed) return;
      try {
        const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
        resolve(parseObject(bytes.toString('utf8')));
      } catch (error) {
        reject(error);
      }
    });
  });
}

function tooLarge(limit: number): MicrolibError {
  return new MicrolibError('MLB_ERR_PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`);
}

export function parseObject(text: string): Record<string, unknown> {
  if (text.trim() === '') throw new MicrolibError('MLB_ERR_BAD_JSON', 'request body is empty; send a JSON object');
  let value: unknown;
  try {
    // The reviver only runs for bodies that mention a suspicious key, keeping the common path fast.
    value = FORBIDDEN_KEY.test(text) ? JSON.parse(text, rejectForbiddenKeys) : JSON.parse(text);
  } catch (error) {
    if (error instanceof MicrolibError) throw error;
    throw new MicrolibError('MLB_ERR_BAD_JSON', `request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MicrolibError('MLB_ERR_BAD_JSON', 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function rejectForbiddenKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
    throw new MicrolibError('MLB_ERR_VALIDATION', `"${key}" is not allowed as a field name`, key);
  }
  return value;
}
