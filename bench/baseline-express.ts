/**
 * The same customers routes as an ordinary Express 5 app (express.json, route
 * params, res.json): what a hand-written Express service would cost. Run as
 * its own process (`node dist/bench/baseline-express.js`, PORT=0).
 */
import http from 'node:http';
import express from 'express';
import { listenAndAnnounce } from './baseline-listen.js';
import { CustomerStore, invalidField, pageParams } from './baseline-store.js';
import { COLLECTION_PATH } from './customers-api.js';

const store = new CustomerStore();
const app = express();
// The defaults would add work the other servers do not do.
app.disable('etag');
app.disable('x-powered-by');

app.get(`${COLLECTION_PATH}/:id`, (req, res) => {
  const record = store.get(req.params.id);
  if (!record) {
    res.status(404).json({ error: { message: 'not found' } });
    return;
  }
  res.json(record);
});

app.get(COLLECTION_PATH, (req, res) => {
  const limit = typeof req.query.limit === 'string' ? req.query.limit : undefined;
  const offset = typeof req.query.offset === 'string' ? req.query.offset : undefined;
  const params = pageParams(limit, offset);
  if (!params) {
    res.status(400).json({ error: { message: 'bad limit or offset' } });
    return;
  }
  res.json({ data: store.page(params.limit, params.offset), ...params });
});

app.post(COLLECTION_PATH, express.json({ limit: '1mb' }), (req, res) => {
  const problem = req.is('application/json') ? invalidField(req.body) : 'content-type must be application/json';
  if (problem) {
    res.status(400).json({ error: { message: problem } });
    return;
  }
  const record = store.create(req.body as { firstName: string; lastName: string; email: string });
  res.status(201).location(`${COLLECTION_PATH}/${record.id}`).json(record);
});

listenAndAnnounce(http.createServer(app), 'express baseline');
