/**
 * The same customers routes as a Fastify 5 user would write them: route params,
 * a JSON schema on the POST body (validated by Fastify's own Ajv) and a response
 * schema for the fast serializer. What microlib's generated routes are compared
 * with: the issue asks whether we beat it. Run as its own process
 * (`node dist/bench/baseline-fastify.js`, PORT=0).
 */
import http from 'node:http';
import Fastify from 'fastify';
import { listenAndAnnounce } from './baseline-listen.js';
import { CustomerStore, pageParams, type Customer } from './baseline-store.js';
import { COLLECTION_PATH } from './customers-api.js';

const store = new CustomerStore();

// The shape microlib's customer spec states: three required fields, an email format.
const customerBody = {
  type: 'object',
  required: ['firstName', 'lastName', 'email'],
  properties: {
    firstName: { type: 'string', minLength: 1, maxLength: 100 },
    lastName: { type: 'string', minLength: 1, maxLength: 100 },
    email: { type: 'string', pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' },
  },
} as const;

const customer = {
  type: 'object',
  properties: {
    firstName: { type: 'string' },
    lastName: { type: 'string' },
    email: { type: 'string' },
    tier: { type: 'string' },
    id: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    revision: { type: 'integer' },
  },
} as const;

// Fastify builds the node:http server through this factory, so the shared start-up can listen on it.
let server: http.Server | undefined;
const app = Fastify({
  logger: false,
  bodyLimit: 1 << 20,
  serverFactory: (handler) => (server = http.createServer(handler)),
});

app.get<{ Params: { id: string } }>(`${COLLECTION_PATH}/:id`, { schema: { response: { 200: customer } } }, async (req, reply) => {
  const record = store.get(req.params.id);
  if (!record) return reply.code(404).send({ error: { message: 'not found' } });
  return record;
});

app.get<{ Querystring: { limit?: string; offset?: string } }>(
  COLLECTION_PATH,
  { schema: { response: { 200: { type: 'object', properties: { data: { type: 'array', items: customer }, limit: { type: 'integer' }, offset: { type: 'integer' } } } } } },
  async (req, reply) => {
    const params = pageParams(req.query.limit, req.query.offset);
    if (!params) return reply.code(400).send({ error: { message: 'bad limit or offset' } });
    return { data: store.page(params.limit, params.offset), ...params };
  },
);

app.post<{ Body: Pick<Customer, 'firstName' | 'lastName' | 'email'> }>(COLLECTION_PATH, { schema: { body: customerBody, response: { 201: customer } } }, async (req, reply) => {
  const record = store.create(req.body);
  return reply.code(201).header('location', `${COLLECTION_PATH}/${record.id}`).send(record);
});

await app.ready();
listenAndAnnounce(server!, 'fastify baseline');
