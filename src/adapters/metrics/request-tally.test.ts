import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { RequestTally } from './request-tally.js';

const BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

test('the tally writes exactly the text prom-client writes for the same requests', async () => {
  const ours = new Registry();
  const tally = new RequestTally(ours, BOUNDS);
  const theirs = new Registry();
  const counter = new Counter({ name: 'microlib_http_requests_total', help: 'Requests of the generated API', labelNames: ['model', 'route', 'method', 'status'], registers: [theirs] });
  const histogram = new Histogram({
    name: 'microlib_http_request_duration_seconds',
    help: 'Time to answer a request of the generated API',
    labelNames: ['model', 'route', 'method'],
    buckets: BOUNDS,
    registers: [theirs],
  });
  // Values on bucket bounds, between them, past the last one, and label values that need escaping.
  const requests: Array<[string, string, string, number, number]> = [
    ['order', 'item', 'GET', 200, 0.0004],
    ['order', 'item', 'GET', 200, 0.001],
    ['order', 'item', 'GET', 404, 0.0031],
    ['order', 'collection', 'POST', 201, 7],
    ['order', 'collection', 'POST', 400, 0.25],
    ['we"ird\\model', 'unknown', 'PATCH', 405, 0.00001],
  ];
  for (const [model, route, method, status, seconds] of requests) {
    tally.record(model, route, method, status, seconds);
    counter.labels(model, route, method, String(status)).inc();
    histogram.labels(model, route, method).observe(seconds);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  // As JSON too, but for prom-client's empty exemplars.
  const withoutExemplars = (metrics: unknown) => JSON.parse(JSON.stringify(metrics, (key, value) => (key === 'exemplar' ? undefined : value)));
  assert.deepEqual(withoutExemplars(await ours.getMetricsAsJSON()), withoutExemplars(await theirs.getMetricsAsJSON()));
});

test('reset empties the tally', async () => {
  const registry = new Registry();
  const tally = new RequestTally(registry, BOUNDS);
  tally.record('m', 'item', 'GET', 200, 0.01);
  registry.resetMetrics();
  assert.doesNotMatch(await registry.metrics(), /model="m"/);
});
