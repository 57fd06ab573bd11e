import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode, isPlainData, TAG, type DecodeContext, type EncodeContext, type Tagged } from './marshal.js';

/** Both sides in one process: what one side registers, the other calls through `calls`. */
function pair() {
  const table = new Map<string, [(...args: unknown[]) => unknown, unknown]>();
  const controllers = new Map<string, AbortController>();
  let n = 0;
  const sender: EncodeContext = {
    fn: (fn, self) => {
      const id = `f${++n}`;
      table.set(id, [fn, self]);
      return id;
    },
    signal: (signal) => {
      const id = `s${++n}`;
      const mirror = new AbortController();
      controllers.set(id, mirror);
      signal.addEventListener('abort', () => mirror.abort(signal.reason));
      return id;
    },
  };
  const receiver: DecodeContext = {
    fn: (id) => (...args: unknown[]) => {
      const [fn, self] = table.get(id)!;
      return fn.apply(self, args);
    },
    ref: () => undefined,
    signal: (id) => controllers.get(id)!.signal,
    error: (tagged) => Object.assign(new Error(tagged.message), { name: tagged.name, code: tagged.code }),
  };
  /** Encoded, structured-cloned as a message would be, decoded. */
  const send = (value: unknown) => decode(structuredClone(encode(value, sender)), receiver);
  return { send };
}

describe('values across the isolation boundary', () => {
  it('carries plain data as it is, and says when no encoding is needed', () => {
    const { send } = pair();
    const data = { a: 1, b: ['x', { c: null }], d: true };
    assert.deepEqual(send(data), data);
    assert.equal(isPlainData(data), true);
    assert.equal(isPlainData({ f: () => 1 }), false);
    assert.equal(isPlainData(new Date()), false);
  });

  it('carries BigInt and Date values (bigint and date fields model code returns) exactly, BigInt without encoding', () => {
    const { send } = pair();
    const record = { amount: 2n ** 63n - 1n, lines: [{ qty: -(2n ** 63n) }], due: new Date(Date.UTC(2024, 4, 1)) };
    assert.deepEqual(send(record), record);
    assert.equal(isPlainData({ amount: 9007199254740993n, lines: [{ qty: 1n }] }), true);
    // The plain path posts the value itself: structured clone keeps a BigInt as it is.
    assert.equal(structuredClone({ amount: 9007199254740993n }).amount, 9007199254740993n);
  });

  it('turns functions into callbacks, keeping `this` for methods', async () => {
    const { send } = pair();
    const service = {
      base: 10,
      add(x: number) {
        return this.base + x;
      },
    };
    const received = send({ service, twice: (x: number) => x * 2 }) as { service: { base: number; add(x: number): number }; twice(x: number): number };
    assert.equal(received.service.base, 10);
    assert.equal(await received.service.add(5), 15);
    assert.equal(await received.twice(4), 8);
  });

  it("keeps a record's non-enumerable methods non-enumerable, and a class instance's methods", () => {
    const { send } = pair();
    const record = { id: 'r1', total: 3 };
    Object.defineProperty(record, 'customer', { value: () => ({ id: 'c1' }), enumerable: false });
    class Counter {
      count = 2;
      next() {
        return ++this.count;
      }
    }
    const received = send({ record, counter: new Counter() }) as { record: Record<string, unknown> & { customer(): unknown }; counter: { count: number; next(): number } };
    assert.deepEqual(Object.keys(received.record), ['id', 'total']);
    assert.deepEqual(received.record.customer(), { id: 'c1' });
    assert.equal(received.counter.next(), 3);
  });

  it('keeps an error its name, message and code', () => {
    const { send } = pair();
    const error = Object.assign(new TypeError('bad total'), { code: 'E_TOTAL' });
    const received = send({ error }) as { error: Error & { code: string } };
    assert.ok(received.error instanceof Error);
    assert.equal(received.error.name, 'TypeError');
    assert.equal(received.error.message, 'bad total');
    assert.equal(received.error.code, 'E_TOTAL');
  });

  it('mirrors an AbortSignal', () => {
    const { send } = pair();
    const controller = new AbortController();
    const received = send({ signal: controller.signal }) as { signal: AbortSignal };
    assert.equal(received.signal.aborted, false);
    controller.abort(new Error('deadline'));
    assert.equal(received.signal.aborted, true);
  });

  it('never reads a client body that carries the tag key as a tag', () => {
    const { send } = pair();
    const body = { [TAG]: 'fn', id: 'f1', note: 'from a client' } as unknown as Tagged;
    assert.equal(isPlainData(body), false, 'the tag key forces encoding');
    assert.deepEqual(send(body), body);
  });

  it('keeps shared and cyclic objects shared', () => {
    const { send } = pair();
    const shared = { n: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    const received = send(cyclic) as Record<string, unknown>;
    assert.equal(received.shared, received.again);
    assert.equal(received.self, received);
  });
});
