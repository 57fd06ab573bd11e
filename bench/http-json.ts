/**
 * A keep-alive JSON client for seeding and checks (fetch would do, but node:http
 * with an Agent keeps seeding 10,000 records to a second or two).
 */
import http from 'node:http';

export { requestJson, type JsonResponse } from '../test/support/json-request.js';

export function createAgent(sockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: sockets });
}
