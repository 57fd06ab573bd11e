/**
 * The ceiling: the generated routes' work for customers written by hand on
 * bare node:http, with no framework, schema engine or copies. Run as its own
 * process by the bench (`node dist/bench/baseline-node-http.js`, PORT=0).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { listenAndAnnounce } from './baseline-listen.js';
import { CustomerStore, invalidField, pageParams } from './baseline-store.js';
import { COLLECTION_PATH } from './customers-api.js';

const BODY_LIMIT = 1 << 20;
const store = new CustomerStore();

function send(res: ServerResponse, status: number, body: unknown, location?: string): void {
  const text = JSON.stringify(body);
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) };
  if (location) headers.location = location;
  res.writeHead(status, headers);
  res.end(text);
}

function fail(res: ServerResponse, status: number, message: string): void {
  send(res, status, { error: { message } });
}

function create(req: IncomingMessage, res: ServerResponse): void {
  if (!req.headers['content-type']?.startsWith('application/json')) return fail(res, 415, 'content-type must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > BODY_LIMIT) {
      fail(res, 413, 'body too large');
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > BODY_LIMIT) return;
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
    } catch {
      return fail(res, 400, 'body is not valid JSON');
    }
    const problem = invalidField(body);
    if (problem) return fail(res, 400, problem);
    const record = store.create(body as { firstName: string; lastName: string; email: string });
    send(res, 201, record, `${COLLECTION_PATH}/${record.id}`);
  });
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === COLLECTION_PATH) {
    if (req.method === 'POST') return create(req, res);
    if (req.method !== 'GET') return fail(res, 405, 'method not allowed');
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const params = pageParams(query.get('limit'), query.get('offset'));
    if (!params) return fail(res, 400, 'bad limit or offset');
    return send(res, 200, { data: store.page(params.limit, params.offset), ...params });
  }
  if (path.startsWith(`${COLLECTION_PATH}/`) && req.method === 'GET') {
    const record = store.get(decodeURIComponent(path.slice(COLLECTION_PATH.length + 1)));
    return record ? send(res, 200, record) : fail(res, 404, 'not found');
  }
  fail(res, 404, 'no such route');
});

listenAndAnnounce(server, 'node:http baseline');
