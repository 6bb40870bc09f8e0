import { describe, expect, it } from 'vitest';
import { classifyAddress, isAddressAllowed } from './address-policy.js';

describe('classifyAddress', () => {
  it.each([
    ['93.184.215.14', 'public'],
    ['2606:4700::6810:84e5', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade-nat'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd00::1', 'unique-local'],
    ['fc12:3456::1', 'unique-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:93.184.215.14', 'public'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['::127.0.0.1', 'reserved'],
    ['not-an-ip', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

describe('isAddressAllowed', () => {
  it('allows only public addresses by default', () => {
    expect(isAddressAllowed('93.184.215.14', { allowPrivate: false })).toBe(true);
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '100.64.0.1', 'fd00::1', '169.254.169.254', '0.0.0.0', '::ffff:127.0.0.1']) {
      expect(isAddressAllowed(address, { allowPrivate: false }), address).toBe(false);
    }
  });

  it('with allowPrivate opens loopback and private ranges but never link-local, unspecified or multicast', () => {
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '192.168.0.1', '100.64.0.1', 'fd00::1', '::ffff:127.0.0.1']) {
      expect(isAddressAllowed(address, { allowPrivate: true }), address).toBe(true);
    }
    for (const address of ['169.254.169.254', 'fe80::1', '0.0.0.0', '::', '224.0.0.1', '::ffff:169.254.169.254']) {
      expect(isAddressAllowed(address, { allowPrivate: true }), address).toBe(false);
    }
  });
});
