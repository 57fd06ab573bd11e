/**
 * One JSON request over node:http, without fetch's pool: the caller picks the
 * agent (a keep-alive one for seeding, none for a fresh connection each time).
 * Tests and benchmarks share it.
 */
import http from 'node:http';

export interface JsonResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, the text when it is not JSON, undefined when empty. */
  body: any;
}

export interface JsonRequestOptions {
  method?: string;
  body?: unknown;
  /** false (the default): a connection of its own. */
  agent?: http.Agent | false;
  headers?: http.OutgoingHttpHeaders;
  timeoutMs?: number;
}

export function requestJson(url: string, options: JsonRequestOptions = {}): Promise<JsonResponse> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const method = options.method ?? 'GET';
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: options.agent ?? false,
        timeout: timeoutMs,
        headers: { ...options.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            // not JSON: keep the text for the error message
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
