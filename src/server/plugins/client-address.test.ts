import { describe, expect, it } from 'vitest';
import { createProxyTrust } from './client-address.js';

describe('createProxyTrust', () => {
  it('ignores X-Forwarded-For when no proxy is trusted', () => {
    const trust = createProxyTrust(undefined);
    expect(trust.clientAddress('192.0.2.1', '203.0.113.5')).toBe('192.0.2.1');
    expect(trust.clientAddress('::ffff:127.0.0.1', undefined)).toBe('127.0.0.1');
  });

  it('walks X-Forwarded-For from the right only through trusted proxies', () => {
    const trust = createProxyTrust('loopback, 10.0.0.0/8');
    expect(trust.clientAddress('127.0.0.1', '203.0.113.5')).toBe('203.0.113.5');
    // a client cannot forge its address by prepending entries: the walk stops at the first untrusted hop
    expect(trust.clientAddress('127.0.0.1', '1.1.1.1, 198.51.100.7, 10.0.0.2')).toBe('198.51.100.7');
    expect(trust.clientAddress('192.0.2.9', '203.0.113.5')).toBe('192.0.2.9');
    expect(trust.clientAddress('127.0.0.1', 'not-an-ip')).toBe('127.0.0.1');
  });

  it('accepts a hop count and "true"', () => {
    expect(createProxyTrust('1').clientAddress('192.0.2.1', '1.1.1.1, 2.2.2.2')).toBe('2.2.2.2');
    expect(createProxyTrust('true').clientAddress('192.0.2.1', '1.1.1.1, 2.2.2.2')).toBe('1.1.1.1');
  });

  it('refuses an entry it cannot read', () => {
    expect(() => createProxyTrust('proxy.example.com')).toThrow(/TRUST_PROXY/);
  });
});
