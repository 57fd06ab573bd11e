/**
 * One node:http server: generated model routes go to the model router, all
 * else to the Express admin app.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { MODELS_PREFIX } from './model-router.js';

export interface HttpServerDeps {
  handleModelRequest(req: IncomingMessage, res: ServerResponse): Promise<void>;
  adminApp(req: IncomingMessage, res: ServerResponse): void;
}

export function createHttpServer(deps: HttpServerDeps): http.Server {
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith(MODELS_PREFIX)) void deps.handleModelRequest(req, res);
    else deps.adminApp(req, res);
  });
  // Bound slow clients: headers within 20 s, whole request within 60 s.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return server;
}
