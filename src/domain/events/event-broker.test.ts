import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeEvent, type DomainEvent } from './domain-event.js';
import { EventBroker, type SubscriptionInfo } from './event-broker.js';
import { until } from '../../../test/support/until.js';

const quiet = () => new EventBroker({ onHandlerError: () => {} });

/** Publishes each name and returns what a recorder subscribed to `pattern` saw. */
async function seen(pattern: string | RegExp, names: string[]): Promise<string[]> {
  const broker = quiet();
  const got: string[] = [];
  broker.subscribe(pattern, (e) => void got.push(e.eventName));
  for (const name of names) await broker.publish(makeEvent(name));
  return got;
}

describe('EventBroker matching', () => {
  it('delivers exact names only', async () => {
    assert.deepEqual(await seen('orderCreated', ['orderCreated', 'orderUpdated', 'OrderCreated', 'orderCreated2']), ['orderCreated']);
  });

  it('delivers * patterns', async () => {
    const names = ['orderCreated', 'orderDeleted', 'customerCreated', 'invoice'];
    assert.deepEqual(await seen('order*', names), ['orderCreated', 'orderDeleted']);
    assert.deepEqual(await seen('*Created', names), ['orderCreated', 'customerCreated']);
    assert.deepEqual(await seen('*', names), names);
    assert.deepEqual(await seen('shipment*', names), []);
  });

  it('delivers RegExp patterns', async () => {
    assert.deepEqual(await seen(/^(order|invoice)$|Deleted$/, ['orderCreated', 'orderDeleted', 'invoice']), ['orderDeleted', 'invoice']);
  });

  it('reports delivered 0 when nobody listens', async () => {
    assert.deepEqual(await quiet().publish(makeEvent('nobody')), { delivered: 0, failed: [] });
  });

  it('starts handlers in subscription order and awaits async ones', async () => {
    const broker = quiet();
    const log: string[] = [];
    broker.subscribe('e', async () => {
      log.push('a start');
      // Still running when the later handlers start; a broker that awaited it first would never get there.
      await until(() => log.includes('c'), 'the later handlers to start while the first runs', 2_000);
      log.push('a end');
    });
    broker.subscribe('*', () => void log.push('b'));
    broker.subscribe(/e/, async () => void log.push('c'));
    const report = await broker.publish(makeEvent('e'));
    assert.deepEqual(log, ['a start', 'b', 'c', 'a end']);
    assert.equal(report.delivered, 3);
  });

  it('passes the event object to the handler', async () => {
    const broker = quiet();
    const event = makeEvent('e', { modelName: 'm', data: 1 });
    let got: DomainEvent | undefined;
    broker.subscribe('e', (e) => void (got = e));
    await broker.publish(event);
    assert.equal(got, event);
  });
});

describe('EventBroker subscriptions', () => {
  it('unsubscribe stops delivery and is idempotent', async () => {
    const broker = quiet();
    let calls = 0;
    const off = broker.subscribe('e', () => void calls++);
    const keep = broker.subscribe('e', () => {});
    await broker.publish(makeEvent('e'));
    off();
    off();
    await broker.publish(makeEvent('e'));
    assert.equal(calls, 1);
    assert.equal(broker.subscriptions().length, 1);
    keep();
    assert.deepEqual(broker.subscriptions(), []);
  });

  it('once delivers a single event, even to a nested publish', async () => {
    const broker = quiet();
    let calls = 0;
    broker.subscribe('e', async () => {
      calls++;
      await broker.publish(makeEvent('e'));
    }, { once: true });
    await broker.publish(makeEvent('e'));
    await broker.publish(makeEvent('e'));
    assert.equal(calls, 1);
    assert.deepEqual(broker.subscriptions(), []);
  });

  it('disposeOwner removes only that owner and returns the count', async () => {
    const broker = quiet();
    const got: string[] = [];
    broker.subscribe('e', () => void got.push('v1 a'), { owner: 'remote@1' });
    broker.subscribe('*', () => void got.push('v2'), { owner: 'remote@2' });
    broker.subscribe(/e/, () => void got.push('v1 b'), { owner: 'remote@1' });
    broker.subscribe('e', () => void got.push('none'));
    assert.equal(broker.disposeOwner('remote@1'), 2);
    assert.equal(broker.disposeOwner('remote@1'), 0);
    assert.equal(broker.disposeOwner('unknown'), 0);
    await broker.publish(makeEvent('e'));
    assert.deepEqual(got, ['v2', 'none']);
    assert.deepEqual(broker.subscriptions(), [{ pattern: '*', owner: 'remote@2' }, { pattern: 'e' }]);
  });

  it('lists subscriptions in order with patterns as strings', () => {
    const broker = quiet();
    broker.subscribe('orderCreated', () => {});
    broker.subscribe(/^a/i, () => {}, { owner: 'r@1' });
    assert.deepEqual(broker.subscriptions(), [{ pattern: 'orderCreated' }, { pattern: '/^a/i', owner: 'r@1' }]);
  });

  it('rejects invalid arguments', async () => {
    const broker = quiet();
    assert.throws(() => broker.subscribe('', () => {}), TypeError);
    assert.throws(() => broker.subscribe('e', 'nope' as unknown as () => void), TypeError);
    assert.throws(() => broker.subscribe('e', () => {}, { owner: '' }), TypeError);
    await assert.rejects(broker.publish({} as DomainEvent), TypeError);
    assert.deepEqual(broker.subscriptions(), []);
  });
});

describe('EventBroker handler errors', () => {
  it('reports sync throws and async rejections while other handlers still run', async () => {
    const reported: Array<[unknown, DomainEvent, SubscriptionInfo]> = [];
    const broker = new EventBroker({ onHandlerError: (error, event, subscription) => void reported.push([error, event, subscription]) });
    const boom = new Error('boom');
    const ran: string[] = [];
    broker.subscribe('e', () => {
      throw boom;
    }, { owner: 'r@1' });
    broker.subscribe('e', () => void ran.push('second'));
    broker.subscribe('e*', async () => {
      await Promise.resolve();
      throw 'async reason';
    });
    broker.subscribe('e', async () => void ran.push('fourth'));
    const event = makeEvent('e');
    const report = await broker.publish(event);
    assert.deepEqual(ran, ['second', 'fourth']);
    assert.equal(report.delivered, 4);
    assert.deepEqual(report.failed, [
      { pattern: 'e', owner: 'r@1', error: boom },
      { pattern: 'e*', error: 'async reason' },
    ]);
    assert.deepEqual(reported, [
      [boom, event, { pattern: 'e', owner: 'r@1' }],
      [ 'async reason', event, { pattern: 'e*' }],
    ]);
  });

  it('emits a process warning when no onHandlerError is given', async (t) => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => void warnings.push(w);
    process.on('warning', onWarning);
    t.after(() => void process.off('warning', onWarning));
    const broker = new EventBroker();
    broker.subscribe('e', () => {
      throw new Error('lost?');
    }, { owner: 'r@1' });
    const report = await broker.publish(makeEvent('e'));
    assert.equal(report.failed.length, 1);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.name, 'MicrolibEventHandlerWarning');
    assert.match(warnings[0]?.message ?? '', /"e" of r@1 failed on e: lost\?/);
  });

  it('survives an onHandlerError that throws', async (t) => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => void warnings.push(w);
    process.on('warning', onWarning);
    t.after(() => void process.off('warning', onWarning));
    const broker = new EventBroker({
      onHandlerError: () => {
        throw new Error('logger down');
      },
    });
    broker.subscribe('e', () => Promise.reject(new Error('handler failed')));
    const report = await broker.publish(makeEvent('e'));
    assert.equal(report.failed.length, 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]?.message ?? '', /handler failed/);
    assert.match(warnings[1]?.message ?? '', /logger down/);
  });
});

describe('EventBroker changes during publish', () => {
  it('a subscription added by a handler sees the next event, not this one', async () => {
    const broker = quiet();
    const got: string[] = [];
    broker.subscribe('e', (e) => {
      got.push(`first ${e.id}`);
      broker.subscribe('e', (e2) => void got.push(`late ${e2.id}`));
    }, { once: true });
    broker.subscribe('e', (e) => void got.push(`second ${e.id}`));
    await broker.publish(makeEvent('e', {}, { id: () => '1' }));
    await broker.publish(makeEvent('e', {}, { id: () => '2' }));
    assert.deepEqual(got, ['first 1', 'second 1', 'second 2', 'late 2']);
  });

  it('a subscription removed by an earlier handler is skipped', async () => {
    const broker = quiet();
    const got: string[] = [];
    let offLater: () => void = () => {};
    broker.subscribe('e', () => {
      got.push('first');
      offLater();
      broker.disposeOwner('r@1');
    });
    offLater = broker.subscribe('e', () => void got.push('removed'));
    broker.subscribe('e', () => void got.push('disposed'), { owner: 'r@1' });
    broker.subscribe('e', () => void got.push('last'));
    const report = await broker.publish(makeEvent('e'));
    assert.deepEqual(got, ['first', 'last']);
    assert.equal(report.delivered, 2);
  });

  it('a handler unsubscribing itself does not disturb the others', async () => {
    const broker = quiet();
    const got: string[] = [];
    const off = broker.subscribe('e', () => {
      got.push('self');
      off();
    });
    broker.subscribe('e', () => void got.push('next'));
    await broker.publish(makeEvent('e'));
    await broker.publish(makeEvent('e'));
    assert.deepEqual(got, ['self', 'next', 'next']);
  });
});
