import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DomainEvent } from './domain-event.js';
import { EventBroker } from './event-broker.js';
import { forModel } from './model-events.js';
import { crudEventName } from './crud-event-name.js';

describe('forModel', () => {
  it('notify reaches listen with modelName and data set', async () => {
    const broker = new EventBroker({ onHandlerError: () => {} });
    const order = forModel(broker, 'order', 'orders@1', { id: () => 'ev-1', now: () => new Date(0) });
    const invoice = forModel(broker, 'invoice', 'billing@1');
    const got: DomainEvent[] = [];
    invoice.listen(crudEventName('order', 'create'), (e) => void got.push(e));
    const report = await order.notify('orderCreated', { total: 12 });
    assert.deepEqual(report, { delivered: 1, failed: [] });
    assert.deepEqual(got.map((e) => ({ ...e })), [
      { id: 'ev-1', eventName: 'orderCreated', modelName: 'order', at: '1970-01-01T00:00:00.000Z', data: { total: 12 } },
    ]);
  });

  it('listen subscribes with the owner, so disposeOwner ends it', async () => {
    const broker = new EventBroker({ onHandlerError: () => {} });
    const v1 = forModel(broker, 'invoice', 'billing@1');
    const v2 = forModel(broker, 'invoice', 'billing@2');
    const got: string[] = [];
    v1.listen('order*', () => void got.push('v1'));
    v2.listen(/^order/, () => void got.push('v2'));
    assert.deepEqual(broker.subscriptions(), [
      { pattern: 'order*', owner: 'billing@1' },
      { pattern: '/^order/', owner: 'billing@2' },
    ]);
    assert.equal(broker.disposeOwner('billing@1'), 1);
    await forModel(broker, 'order', 'orders@1').notify('orderDeleted');
    assert.deepEqual(got, ['v2']);
  });

  it('listen returns an unsubscribe and honours once', async () => {
    const broker = new EventBroker({ onHandlerError: () => {} });
    const model = forModel(broker, 'm', 'r@1');
    let always = 0;
    let once = 0;
    const off = model.listen('e', () => void always++);
    model.listen('e', () => void once++, { once: true });
    await model.notify('e');
    await model.notify('e');
    off();
    await model.notify('e');
    assert.equal(always, 2);
    assert.equal(once, 1);
  });

  it('notify reports handler failures without rejecting', async () => {
    const broker = new EventBroker({ onHandlerError: () => {} });
    const model = forModel(broker, 'm', 'r@1');
    model.listen('e', () => {
      throw new Error('x');
    });
    const report = await model.notify('e', 1);
    assert.equal(report.failed.length, 1);
    assert.equal(report.failed[0]?.owner, 'r@1');
  });

  it('rejects an empty model name or owner', () => {
    const broker = new EventBroker();
    assert.throws(() => forModel(broker, '', 'r@1'), TypeError);
    assert.throws(() => forModel(broker, 'm', ''), TypeError);
  });
});
