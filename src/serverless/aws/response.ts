/**
 * The host's answer in the shape the front door that asked expects:
 *
 * - API Gateway v1 (REST, HTTP API 1.0): `headers` (one value each) and
 *   `multiValueHeaders` (every value, Set-Cookie included); API Gateway merges them,
 *   the multi-value ones winning.
 * - HTTP API 2.0 and function URLs: `headers`, and `cookies` for the Set-Cookie lines.
 * - ALB: `statusDescription` (`200 OK`), and headers in the style of the event:
 *   `multiValueHeaders` when the target group has multi-value headers on, else
 *   `headers`, which holds one value per name (see `singleValued`).
 *
 * Bodies that are not text (anything but text/*, JSON, XML, JavaScript and form
 * data, or a compressed body) travel base64-encoded with `isBase64Encoded: true`.
 */
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import type { HttpEvent } from './events.js';

/** What the front door needs of an answer: the host's `InjectResponse` is one. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

export interface ApiGatewayV1Result {
  statusCode: number;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

export interface ApiGatewayV2Result {
  statusCode: number;
  headers: Record<string, string>;
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

export interface AlbResult {
  statusCode: number;
  statusDescription: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

export type LambdaResult = ApiGatewayV1Result | ApiGatewayV2Result | AlbResult;

/** Describe the connection to the host, not the answer: the front door frames its own. */
const NOT_RETURNED = new Set(['connection', 'keep-alive', 'transfer-encoding']);

/** Told when an answer had several Set-Cookie lines and the front door takes one (ALB without multi-value headers). */
export type DroppedCookies = (kept: number, dropped: number) => void;

export function toLambdaResult(http: HttpEvent, answer: Answer, onDroppedCookies?: DroppedCookies): LambdaResult {
  const { body, isBase64Encoded } = bodyOf(answer);
  const all = headerLists(answer.headers);
  const statusCode = answer.status;
  switch (http.kind) {
    case 'apigateway-v1':
      return { statusCode, headers: singleValued(all), multiValueHeaders: Object.fromEntries(all), body, isBase64Encoded };
    case 'apigateway-v2': {
      const cookies = all.get('set-cookie');
      return { statusCode, headers: singleValued(all), ...(cookies ? { cookies } : {}), body, isBase64Encoded };
    }
    case 'alb': {
      const statusDescription = `${statusCode} ${STATUS_CODES[statusCode] ?? 'Unknown'}`;
      if (http.multiValue) return { statusCode, statusDescription, multiValueHeaders: Object.fromEntries(all), body, isBase64Encoded };
      const headers = singleValued(all);
      const cookies = all.get('set-cookie');
      // One value per name: the last Set-Cookie is kept (an ALB keeps the last of repeated request headers too).
      if (cookies && cookies.length > 1) onDroppedCookies?.(1, cookies.length - 1);
      if (cookies) headers['set-cookie'] = cookies[cookies.length - 1]!;
      return { statusCode, statusDescription, headers, body, isBase64Encoded };
    }
  }
}

/** Every header the front door returns, as lists of values (lower-case names, as node gives them). */
function headerLists(headers: IncomingHttpHeaders): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_RETURNED.has(name)) continue;
    lists.set(name, Array.isArray(value) ? value : [value]);
  }
  return lists;
}

/** One value per name, repeated ones joined with commas (as HTTP allows); Set-Cookie left out (it cannot be joined). */
function singleValued(lists: Map<string, string[]>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of lists) if (name !== 'set-cookie') headers[name] = values.join(', ');
  return headers;
}

function bodyOf(answer: Answer): { body: string; isBase64Encoded: boolean } {
  if (answer.raw.length === 0) return { body: '', isBase64Encoded: false };
  if (isText(answer.headers['content-type'], answer.headers['content-encoding'])) return { body: answer.raw.toString('utf8'), isBase64Encoded: false };
  return { body: answer.raw.toString('base64'), isBase64Encoded: true };
}

/** Whether a body of this type is text the front door can carry as a JSON string unchanged. */
export function isText(contentType: string | undefined, contentEncoding?: string): boolean {
  if (contentEncoding !== undefined && contentEncoding.trim().toLowerCase() !== 'identity') return false;
  if (contentType === undefined) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (type.startsWith('text/')) return true;
  if (type.endsWith('+json') || type.endsWith('+xml')) return true;
  return ['application/json', 'application/xml', 'application/javascript', 'application/x-www-form-urlencoded', 'application/x-ndjson', 'application/graphql'].includes(type);
}
