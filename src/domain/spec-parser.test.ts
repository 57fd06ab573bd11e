import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelSpecs, SpecError } from './spec-parser.js';
import { requireProperties } from './mixins/properties.js';

const factory = () => (input: Record<string, unknown>) => input;

describe('parseModelSpecs', () => {
  it('collects specs from arrays, named exports and default exports', () => {
    const a = { modelName: 'a', endpoint: 'as', factory };
    const b = { modelName: 'b', endpoint: 'bs', factory };
    assert.deepEqual(parseModelSpecs([a, b]).map((s) => s.modelName), ['a', 'b']);
    assert.deepEqual(parseModelSpecs({ A: a, B: b, helper: () => 1 }).map((s) => s.modelName), ['a', 'b']);
    assert.deepEqual(parseModelSpecs({ default: [a] }).map((s) => s.modelName), ['a']);
  });

  it('refuses bad specs naming the model and the option', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /exports no model specification/],
      [[{ modelName: 'a', endpoint: 'A B', factory }], /"a".*"endpoint"/],
      [[{ modelName: 'a', endpoint: 'as' }], /"factory" must be a function/],
      [[{ modelName: 'a', endpoint: 'as', factory, validate: 'no' }], /"validate" must be a function/],
      [[{ modelName: 'a', endpoint: 'as', factory, eventHandlers: [1] }], /eventHandlers/],
      [[{ modelName: 'a', endpoint: 'as', factory, mixins: [(o: object) => o] }], /mixins\[0\] is a function \(the original MicroLib's form\)/],
      [[{ modelName: 'a', endpoint: 'as', factory, mixins: [{ onCreate: 1 }] }], /mixins\[0\] must be an object/],
      [[{ modelName: 'a', endpoint: 'as', factory }, { modelName: 'a', endpoint: 'bs', factory }], /modelName "a" is used twice/],
    ];
    for (const [input, pattern] of cases) {
      assert.throws(() => parseModelSpecs(input), (e: unknown) => e instanceof SpecError && pattern.test(e.message), String(pattern));
    }
    assert.doesNotThrow(() => parseModelSpecs([{ modelName: 'a', endpoint: 'as', factory, mixins: [requireProperties('x')] }]));
  });

  it('takes hookSemantics "original" or "merged", and refuses any other', () => {
    for (const hookSemantics of ['original', 'merged']) {
      assert.equal(parseModelSpecs([{ modelName: 'a', endpoint: 'as', factory, hookSemantics }])[0]!.hookSemantics, hookSemantics);
    }
    assert.throws(
      () => parseModelSpecs([{ modelName: 'a', endpoint: 'as', factory, hookSemantics: 'merge' }]),
      (e: unknown) => e instanceof SpecError && e.message === 'model spec "a": "hookSemantics" must be "original" or "merged" (got "merge")',
    );
  });

  it('refuses a misspelt key, naming it, the model and the nearest known key', () => {
    const refused = (spec: object) => {
      try {
        parseModelSpecs([{ modelName: 'order', endpoint: 'orders', factory, ...spec }]);
      } catch (error) {
        assert.ok(error instanceof SpecError, String(error));
        return error.message;
      }
      assert.fail(`accepted ${JSON.stringify(spec)}`);
    };
    assert.equal(refused({ feilds: {} }), 'model spec "order": unknown key "feilds" in the spec; did you mean "fields"?');
    assert.equal(refused({ factroy: factory }), 'model spec "order": unknown key "factroy" in the spec; did you mean "factory"?', 'before "factory" is missed');
    assert.match(refused({ colour: 'red' }), /unknown key "colour" in the spec; allowed: modelName, endpoint, factory, fields, .*mixins$/);
    assert.match(refused({ fields: { title: { type: 'string', requird: true } } }), /unknown key "requird" in fields\.title; did you mean "required"\?/);
    assert.match(refused({ fields: { lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string', maxlen: 9 } } } } } }), /unknown key "maxlen" in fields\.lines\.items\.properties\.sku; did you mean "maxLength"\?/);
    assert.match(refused({ ports: { pay: { consumeEvent: 'submitted' } } }), /unknown key "consumeEvent" in ports\.pay; did you mean "consumesEvent"\?/);
    assert.match(refused({ ports: { pay: { retries: { retries: 1, baseDelay: 5 } } } }), /unknown key "baseDelay" in ports\.pay\.retries; did you mean "baseDelayMs"\?/);
    assert.match(refused({ ports: { pay: { circuitBreaker: { failureRate: 0.5 } } } }), /unknown key "failureRate" in ports\.pay\.circuitBreaker; did you mean "failureRateThreshold"\?/);
    assert.match(refused({ relations: { customer: { type: 'manyToOne', modelName: 'customer', foriegnKey: 'customerId' } } }), /unknown key "foriegnKey" in relations\.customer; did you mean "foreignKey"\?/);
    assert.match(refused({ commands: { approve: { command: () => undefined, acls: [] } } }), /unknown key "acls" in commands\.approve; did you mean "acl"\?/);
    assert.match(refused({ access: { owners: true } }), /unknown key "owners" in access; did you mean "owner"\?/);
  });

  it("accepts every key of the original MicroLib's specs", () => {
    const threshold = { errorRate: 20, callVolume: 10, intervalMs: 100000, retryDelay: 30000 };
    // The keys of MicroLib-Example's order and customer specs and of the original ModelSpecification typedef.
    const original = {
      modelName: 'order',
      endpoint: 'orders',
      factory: () => async (input: Record<string, unknown>) => Object.freeze({ ...input }),
      datasource: 'DataSourceFile',
      dependencies: { uuid: () => 'x' },
      mixins: [requireProperties('orderItems')],
      validate: (model: object) => model,
      onUpdate: (model: object) => model,
      onDelete: (model: object) => model,
      eventHandlers: [() => undefined],
      ports: {
        validateAddress: { service: 'Address', type: 'outbound', keys: 'shippingAddress', producesEvent: 'addressValidated', disabled: true, timeout: 2000, maxRetry: 2, circuitBreaker: { default: threshold, portRetryFailed_order: threshold } },
        authorizePayment: { service: 'Payment', type: 'outbound', keys: 'paymentAuthorization', consumesEvent: 'startWorkflow', producesEvent: 'paymentAuthorized', undo: () => undefined, timeout: 2000, maxRetry: 2 },
        shipOrder: { service: 'Shipping', callback: () => undefined, errorCallback: () => undefined, timeoutCallback: () => undefined, consumesEvent: 'paymentAuthorized' },
        oauthCallback: { type: 'inbound', adapter: 'endpoints.oauthCallback', keys: ['nonce'], producesEvent: 'refreshToken' },
        refreshToken: { type: 'outbound', service: 'oauth', settings: { urls: ['oauth.example.com'] }, consumesEvent: 'refreshToken', producesEvent: 'tokenRefreshed' },
      },
      endpoints: { oauthCallback: { uri: 'oauth-callback', callback: () => undefined } },
      relations: { customer: { modelName: 'customer', foreignKey: 'customerId', type: 'manyToOne', desc: 'Many orders per customer' } },
      commands: { approve: { command: () => undefined, acl: ['write', 'approve'] } },
      accessControlList: { orders: { allow: 'read', type: 'relation', desc: 'Allow customer model to see orders' } },
      serializers: [{ on: 'deserialize', key: 'creditCardNumber', type: 'string', value: (_key: string, value: unknown) => value, enabled: false }],
    };
    const [spec] = parseModelSpecs([original]);
    assert.equal(spec!.modelName, 'order');
    assert.equal(spec!.relations!.customer!.description, 'Many orders per customer', '`desc` is read as `description`');
  });

  it('reads `desc` as `description` without touching the remote\'s objects', () => {
    const relations = Object.freeze({ customer: Object.freeze({ type: 'manyToOne', modelName: 'customer', foreignKey: 'customerId', desc: 'The buyer.' }) });
    const ports = { pay: { desc: 'Takes the money.' }, ship: { description: 'Sends the goods.' } };
    const commands = { approve: { command: () => undefined, desc: 'Approves.', description: 'Approves.' } };
    const [spec] = parseModelSpecs([Object.freeze({ modelName: 'order', endpoint: 'orders', factory, relations, ports, commands })]);
    assert.equal(spec!.relations!.customer!.description, 'The buyer.');
    assert.equal(spec!.ports!.pay!.description, 'Takes the money.');
    assert.equal(spec!.ports!.ship!.description, 'Sends the goods.');
    assert.equal(spec!.commands!.approve!.description, 'Approves.');
    assert.equal((relations.customer as { description?: string }).description, undefined, 'the frozen original is left as written');
    assert.throws(
      () => parseModelSpecs([{ modelName: 'order', endpoint: 'orders', factory, ports: { pay: { desc: 'a', description: 'b' } } }]),
      /model spec "order": ports\.pay gives both "description" and its alias "desc", with different texts/,
    );
  });
});
