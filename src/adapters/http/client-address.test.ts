import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { clientAddressOf, readProxyTrust } from './client-address.js';

const req = (peer: string, forwardedFor?: string | string[]) =>
  ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

test('without TRUST_PROXY the peer is the client, whatever X-Forwarded-For says', () => {
  const address = clientAddressOf(readProxyTrust(''));
  assert.equal(address(req('192.0.2.1', '10.0.0.1')), '192.0.2.1');
  assert.equal(address(req('::ffff:192.0.2.1')), '192.0.2.1', 'IPv4-mapped IPv6 reads as IPv4');
  assert.equal(readProxyTrust('0'), undefined);
});

test('a list of proxies: the first address from the right that is not a trusted proxy', () => {
  const address = clientAddressOf(readProxyTrust('10.0.0.0/8, 192.0.2.1, fd00::/8'));
  assert.equal(address(req('192.0.2.1', '203.0.113.5')), '203.0.113.5');
  assert.equal(address(req('192.0.2.1', '6.6.6.6, 203.0.113.5')), '203.0.113.5', 'what the client prepends is not read');
  assert.equal(address(req('192.0.2.1', '203.0.113.5, 10.1.1.1')), '203.0.113.5', 'past every trusted hop');
  assert.equal(address(req('192.0.2.1', ['203.0.113.5', '10.1.1.1'])), '203.0.113.5', 'repeated headers');
  assert.equal(address(req('198.51.100.1', '203.0.113.5')), '198.51.100.1', 'an untrusted peer is the client');
  assert.equal(address(req('fd00::1', '2001:db8::7')), '2001:db8::7');
  assert.equal(address(req('::ffff:10.0.0.1', '203.0.113.5')), '203.0.113.5', 'a mapped peer matches IPv4 ranges');
  assert.equal(address(req('192.0.2.1', '[2001:db8::7]:4711')), '2001:db8::7', 'brackets and ports dropped');
  assert.equal(address(req('192.0.2.1', '203.0.113.5:4711')), '203.0.113.5');
  assert.equal(address(req('192.0.2.1', 'unknown, 10.0.0.2')), '10.0.0.2', 'a hop that names no address: the last known one');
  assert.equal(address(req('192.0.2.1', '10.0.0.3, 10.0.0.2')), '10.0.0.3', 'all trusted: the farthest');
});

test('a hop count trusts that many hops from the right', () => {
  const one = clientAddressOf(readProxyTrust('1'));
  assert.equal(one(req('192.0.2.1', '6.6.6.6, 203.0.113.5')), '203.0.113.5');
  const two = clientAddressOf(readProxyTrust('2'));
  assert.equal(two(req('192.0.2.1', '6.6.6.6, 203.0.113.5, 10.0.0.1')), '203.0.113.5');
  assert.equal(two(req('192.0.2.1', '203.0.113.5')), '203.0.113.5', 'fewer hops than trusted: the farthest');
  assert.equal(two(req('192.0.2.1')), '192.0.2.1');
});

test('a TRUST_PROXY that cannot be read is refused, naming the entry', () => {
  assert.throws(() => readProxyTrust('10.0.0.0/33'), /"10\.0\.0\.0\/33" has a bad prefix length/);
  assert.throws(() => readProxyTrust('proxy.example.com'), /"proxy\.example\.com" is not an IP address/);
  assert.throws(() => readProxyTrust('10.0.0.1/8/1'), /not an IP address/);
  assert.throws(() => readProxyTrust('21'), /at most 20/);
});
