import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boundAddress, boundUrl } from './bound-url.js';

describe('boundUrl', () => {
  it('prints a wildcard bind as it is, not as a loopback address', () => {
    assert.equal(boundUrl('http', { address: '0.0.0.0', port: 8070 }), 'http://0.0.0.0:8070');
    assert.equal(boundUrl('http', { address: '::', port: 8070 }), 'http://[::]:8070');
  });

  it('prints a specific address with its scheme, bracketing IPv6', () => {
    assert.equal(boundUrl('https', { address: '127.0.0.1', port: 8443 }), 'https://127.0.0.1:8443');
    assert.equal(boundUrl('http', { address: '::1', port: 8070 }), 'http://[::1]:8070');
  });
});

describe('boundAddress', () => {
  it('takes the address the server reports over the configured host', () => {
    assert.deepEqual(boundAddress({ address: '0.0.0.0', port: 8070 }, '127.0.0.1', 1), { address: '0.0.0.0', port: 8070 });
    assert.deepEqual(boundAddress({ address: '127.0.0.1', port: 8070 }, '127.1', 8070), { address: '127.0.0.1', port: 8070 });
  });

  it('falls back to the configured host when the server reports no address', () => {
    assert.deepEqual(boundAddress(null, '0.0.0.0', 8070), { address: '0.0.0.0', port: 8070 });
    assert.deepEqual(boundAddress('/tmp/host.sock', '0.0.0.0', 8070), { address: '0.0.0.0', port: 8070 });
  });
});
