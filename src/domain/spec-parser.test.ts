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
});
