/**
 * HTTP requests on a fresh connection each (no keep-alive pool), so a cluster
 * spreads them over its workers and a dead worker costs only the request it held.
 */
import net from 'node:net';
import { requestJson, type JsonResponse } from './json-request.js';

export type PlainResponse = JsonResponse;

export function plainRequest(url: string, init: { method?: string; body?: unknown } = {}): Promise<PlainResponse> {
  return requestJson(url, { ...init, agent: false, headers: { connection: 'close' }, timeoutMs: 15_000 });
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
