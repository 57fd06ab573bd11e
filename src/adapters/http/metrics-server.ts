/**
 * A listener serving /metrics alone, without authentication: the Prometheus
 * convention of a separate port that only the scraper's network reaches
 * (METRICS_PORT, bound to METRICS_HOST, loopback by default).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

function answerError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: { code, message } }));
}

export function createMetricsServer(registry: Registry): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return answerError(res, 404, 'MLB_ERR_NOT_FOUND', `no route ${req.method} ${path}: this port serves GET /metrics only`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return answerError(res, 405, 'MLB_ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use GET`, { allow: 'GET, HEAD' });
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(text) }).end(req.method === 'HEAD' ? undefined : text),
      () => answerError(res, 500, 'MLB_ERR_INTERNAL', 'the metrics could not be collected'),
    );
  });
}
