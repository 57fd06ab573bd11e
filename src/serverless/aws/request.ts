/**
 * An AWS HTTP event as the request a client would have sent: method, path and
 * query, headers, body bytes. What each front door changed on the way is undone
 * here: API Gateway's decoded query values are encoded again, multi-value headers
 * and v2's `cookies` become header lines, a base64 body becomes its bytes, and an
 * HTTP API's named stage is taken off the path (see `pathOf`).
 */
import type { InjectRequest } from '../../host/inject.js';
import { PLAIN_TOKEN } from '../../adapters/http/request-id.js';
import type { HttpEvent } from './events.js';

export interface RequestMapping {
  /**
   * A prefix taken off every path: a custom domain's base path mapping, which API
   * Gateway REST APIs leave in `path` (e.g. `/v1` for `api.example.com/v1/...`).
   */
  basePath?: string | undefined;
  /** The invocation's id (Lambda's `awsRequestId`), used as X-Request-Id when the event carries neither one nor the gateway's own. */
  invocationId?: string | undefined;
}

/** Headers that describe the connection or framing of the gateway's request, not the request itself: the in-process request frames its own body. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'expect', 'proxy-connection']);

export function toInjectRequest(http: HttpEvent, mapping: RequestMapping = {}): InjectRequest & { headers: Record<string, string> } {
  const { event } = http;
  const method = (http.kind === 'apigateway-v2' ? http.event.requestContext.http.method : http.event.httpMethod).toUpperCase();
  const query = queryOf(http);
  const headers = headersOf(http);
  const sourceIp = http.kind === 'apigateway-v2' ? http.event.requestContext.http.sourceIp : http.kind === 'apigateway-v1' ? http.event.requestContext?.identity?.sourceIp : undefined;
  if (sourceIp) headers['x-forwarded-for'] = withLastHop(headers['x-forwarded-for'], sourceIp);
  // The gateway's id ties the host's log lines to the gateway's access log; else the invocation's, to Lambda's own lines.
  if (headers['x-request-id'] === undefined) {
    const gatewayId = http.kind === 'alb' ? undefined : http.event.requestContext?.requestId;
    const id = [gatewayId, mapping.invocationId].find((candidate) => candidate !== undefined && PLAIN_TOKEN.test(candidate));
    if (id !== undefined) headers['x-request-id'] = id;
  }
  const text = event.body ?? undefined;
  const body = text === undefined || text === '' ? undefined : event.isBase64Encoded ? Buffer.from(text, 'base64') : text;
  return { method, url: `${pathOf(http, mapping.basePath)}${query === '' ? '' : `?${query}`}`, headers, ...(body === undefined ? {} : { body }) };
}

/**
 * The path the host routes on. REST APIs leave the stage out of `path` already
 * (it is in `requestContext.path`) but keep a custom domain's base path mapping;
 * HTTP APIs put a named stage in front (`/prod/...`), never `$default`, and leave
 * custom-domain mappings out. So: an HTTP API's named stage is taken off, then
 * `basePath` if the path starts with it.
 */
function pathOf(http: HttpEvent, basePath: string | undefined): string {
  let path = http.kind === 'apigateway-v2' ? http.event.rawPath : http.event.path;
  const httpApi = http.kind === 'apigateway-v2' || (http.kind === 'apigateway-v1' && http.event.version === '1.0');
  const stage = http.kind === 'alb' ? undefined : http.event.requestContext?.stage;
  if (httpApi && stage && stage !== '$default') path = withoutPrefix(path, `/${stage}`);
  if (basePath) path = withoutPrefix(path, `/${basePath.replace(/^\/+|\/+$/g, '')}`);
  return escapeUnsafe(path.startsWith('/') ? path : `/${path}`);
}

function withoutPrefix(path: string, prefix: string): string {
  if (prefix === '/' || prefix === '') return path;
  if (path === prefix) return '/';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

function queryOf(http: HttpEvent): string {
  if (http.kind === 'apigateway-v2') return escapeUnsafe(http.event.rawQueryString ?? '');
  const { event } = http;
  const pairs: Array<[string, string]> = [];
  const multi = event.multiValueQueryStringParameters;
  if (multi) for (const [name, values] of Object.entries(multi)) for (const value of values ?? []) pairs.push([name, value]);
  else for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) pairs.push([name, value]);
  // API Gateway hands over decoded values; an ALB hands over the client's own text.
  const encode = http.kind === 'alb' ? escapeUnsafe : encodeComponent;
  return pairs.map(([name, value]) => `${encode(name)}=${encode(value)}`).join('&');
}

function headersOf(http: HttpEvent): Record<string, string> {
  const headers: Record<string, string> = {};
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    if (NOT_FORWARDED.has(key)) return;
    const line = asHeaderValue(value);
    if (line === undefined) return;
    const before = headers[key];
    headers[key] = before === undefined ? line : `${before}${key === 'cookie' ? '; ' : ', '}${line}`;
  };
  const multi = http.kind === 'apigateway-v2' ? undefined : http.event.multiValueHeaders;
  if (multi) for (const [name, values] of Object.entries(multi)) for (const value of values ?? []) add(name, value);
  else for (const [name, value] of Object.entries(http.event.headers ?? {})) if (value !== undefined) add(name, value);
  // HTTP API v2 takes the Cookie header apart into `cookies`; put it back together.
  if (http.kind === 'apigateway-v2') for (const cookie of http.event.cookies ?? []) add('cookie', cookie);
  return headers;
}

/**
 * A header value node will send: characters past Latin-1 as their UTF-8 bytes (what
 * a client's bytes look like to node's parser), control characters refused (undefined).
 */
function asHeaderValue(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  let line = /[^\t\x20-\x7e\x80-\xff]/.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
  line = line.trim();
  // eslint-disable-next-line no-control-regex
  return /[^\t\x20-\x7e\x80-\xff]/.test(line) ? undefined : line;
}

/** Appends the address the front door saw unless the header already ends with it. */
function withLastHop(forwardedFor: string | undefined, address: string): string {
  if (!forwardedFor) return address;
  const last = forwardedFor.split(',').pop()!.trim();
  return last === address ? forwardedFor : `${forwardedFor}, ${address}`;
}

/** Percent-encodes what may not stand in a request target (spaces, non-ASCII, quotes...), leaving escapes already there as they are. */
function escapeUnsafe(text: string): string {
  return text.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]+/g, percentEncoded);
}

/** As encodeURIComponent, without its URIError on a lone surrogate (which becomes U+FFFD). */
function encodeComponent(text: string): string {
  return text.replace(/[^A-Za-z0-9\-_.!~*'()]+/g, percentEncoded);
}

function percentEncoded(run: string): string {
  let encoded = '';
  for (const byte of Buffer.from(run, 'utf8')) encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return encoded;
}
