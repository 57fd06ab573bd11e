import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerFrom } from './container-export.js';

const container = () => ({ init() {}, get() {} });

describe('containerFrom', () => {
  it('takes module.exports itself when it is a container', () => {
    const exported = container();
    assert.equal(containerFrom(exported, 'shop', 'remoteEntry.js'), exported);
  });

  it('takes the export under the library name before default and any other', () => {
    const named = container();
    assert.equal(containerFrom({ other: container(), default: container(), shop: named }, 'shop', 'remoteEntry.js'), named);
  });

  it('takes module.exports.default when there is no export under the library name', () => {
    const fallback = container();
    assert.equal(containerFrom({ other: container(), default: fallback }, 'shop', 'remoteEntry.js'), fallback);
  });

  it('takes the only export that is a container, whatever its name', () => {
    const only = container();
    assert.equal(containerFrom({ version: '1.0', orderService: only }, 'shop', 'remoteEntry.js'), only);
  });

  it('refuses, naming the exports found, when none or several unnamed exports are containers', () => {
    assert.throws(() => containerFrom({ foo: 1, bar: { get() {} } }, 'shop', 'remoteEntry.js'), /remoteEntry\.js does not export a federation container .*module\.exports\.shop.*; exports found: foo, bar$/);
    assert.throws(() => containerFrom({ a: container(), b: container() }, 'shop', 'remoteEntry.js'), /2 exports are containers.*exports found: a, b$/);
    assert.throws(() => containerFrom({}, 'shop', 'remoteEntry.js'), /exports nothing$/);
    assert.throws(() => containerFrom(42, 'shop', 'remoteEntry.js'), /module\.exports is a number, not an object$/);
    assert.throws(() => containerFrom(undefined, 'shop', 'remoteEntry.js'), /module\.exports is undefined$/);
  });
});
