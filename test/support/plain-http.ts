/**
 * HTTP requests on a fresh connection each (no keep-alive pool), so a cluster
 * spreads them over its workers and a dead worker costs only the request it held.
 */
import http from 'node:http';
import net from 'node:net';

export interface PlainResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export function plainRequest(url: string, init: { method?: string; body?: unknown } = {}): Promise<PlainResponse> {
  const payload = init.body === undefined ? undefined : Buffer.from(JSON.stringify(init.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: init.method ?? 'GET',
        agent: false,
        headers: { connection: 'close', ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Whether a TCP connection to the port is refused (nothing listens any more). */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}
