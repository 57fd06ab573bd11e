import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttributeValueError, plainItem } from './dynamodb-attributes.js';

test('an attribute named __proto__ stays an attribute: the item keeps its prototype', () => {
  // As a stream record arrives: JSON.parse makes __proto__ an own key.
  const item = plainItem(JSON.parse('{"__proto__":{"M":{"admin":{"BOOL":true}}},"id":{"S":"a1"}}'), 'NewImage');
  assert.equal(Object.getPrototypeOf(item), Object.prototype);
  assert.deepEqual(Object.keys(item), ['__proto__', 'id']);
  assert.deepEqual(Object.getOwnPropertyDescriptor(item, '__proto__')?.value, { admin: true });
  assert.equal((item as { admin?: unknown }).admin, undefined);
});

test('numbers that a double cannot hold stay text; others become numbers', () => {
  const item = plainItem({ small: { N: '1.5' }, big: { N: '12345678901234567890' }, safe: { N: '9007199254740991' } }, 'NewImage');
  assert.deepEqual(item, { small: 1.5, big: '12345678901234567890', safe: 9007199254740991 });
  assert.throws(() => plainItem({ bad: { N: 'ten' } }, 'NewImage'), (error: Error) => error instanceof AttributeValueError && /NewImage\.bad/.test(error.message));
});
