import { BlockList, isIP } from 'node:net';

/**
 * Which IP addresses `fetch_url` may connect to. Every address is sorted into a kind;
 * only `public` is reachable by default. `allowPrivate` (FETCH_ALLOW_PRIVATE, for tests)
 * also opens loopback, private, carrier-grade NAT and unique-local addresses, but never
 * link-local (cloud metadata at 169.254.169.254), unspecified (0.0.0.0 reaches the local
 * host on Linux), multicast or reserved ones.
 */
export type AddressKind =
  | 'public'
  | 'loopback'
  | 'private'
  | 'carrier-grade-nat'
  | 'unique-local'
  | 'link-local'
  | 'multicast'
  | 'unspecified'
  | 'reserved';

/** Kinds that `allowPrivate` opens; everything else but `public` stays closed. */
const OPENED_BY_ALLOW_PRIVATE: ReadonlySet<AddressKind> = new Set(['loopback', 'private', 'carrier-grade-nat', 'unique-local']);

type Subnet = readonly [network: string, prefix: number];

/** Checked in this order; the first kind whose ranges contain the address wins. */
const IPV4_RANGES: ReadonlyArray<readonly [AddressKind, readonly Subnet[]]> = [
  ['unspecified', [['0.0.0.0', 8]]],
  ['loopback', [['127.0.0.0', 8]]],
  ['private', [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16]]],
  ['carrier-grade-nat', [['100.64.0.0', 10]]],
  ['link-local', [['169.254.0.0', 16]]],
  ['multicast', [['224.0.0.0', 4]]],
  [
    'reserved',
    [
      ['192.0.0.0', 24], // IETF protocol assignments
      ['192.0.2.0', 24], // documentation
      ['198.18.0.0', 15], // benchmarking
      ['198.51.100.0', 24], // documentation
      ['203.0.113.0', 24], // documentation
      ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
    ],
  ],
];

const IPV6_RANGES: ReadonlyArray<readonly [AddressKind, readonly Subnet[]]> = [
  ['unspecified', [['::', 128]]],
  ['loopback', [['::1', 128]]],
  ['unique-local', [['fc00::', 7]]],
  ['link-local', [['fe80::', 10]]],
  ['multicast', [['ff00::', 8]]],
  [
    'reserved',
    [
      ['::', 96], // IPv4-compatible (deprecated)
      ['100::', 64], // discard
      ['2001:db8::', 32], // documentation
      ['fec0::', 10], // site-local (deprecated)
    ],
  ],
];

function compile(family: 'ipv4' | 'ipv6', table: ReadonlyArray<readonly [AddressKind, readonly Subnet[]]>) {
  return table.map(([kind, subnets]) => {
    const list = new BlockList();
    for (const [network, prefix] of subnets) list.addSubnet(network, prefix, family);
    return { kind, list };
  });
}

const IPV4_LISTS = compile('ipv4', IPV4_RANGES);
const IPV6_LISTS = compile('ipv6', IPV6_RANGES);

/** The 16 bytes of an IPv6 address (zone id ignored), or undefined when it is not one. */
function ipv6Bytes(address: string): number[] | undefined {
  let text = address.split('%')[0] ?? '';
  if (isIP(text) !== 6) return undefined;
  const lastColon = text.lastIndexOf(':');
  const dotted = text.slice(lastColon + 1);
  if (dotted.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = [...headGroups, ...(tail === undefined ? [] : zeros), ...tailGroups];
  return groups.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

/**
 * The IPv4 address an IPv6 address carries and would reach: IPv4-mapped (::ffff:a.b.c.d),
 * NAT64 (64:ff9b::/96) and 6to4 (2002::/16). Checking the carried address closes the
 * `[::ffff:127.0.0.1]` route around the IPv4 rules.
 */
function embeddedIpv4(bytes: number[]): string | undefined {
  const zeroUpTo = (end: number, start = 0) => bytes.slice(start, end).every((byte) => byte === 0);
  const quad = (from: number) => bytes.slice(from, from + 4).join('.');
  if (zeroUpTo(10) && bytes[10] === 0xff && bytes[11] === 0xff) return quad(12);
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeroUpTo(12, 4)) return quad(12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return quad(2);
  return undefined;
}

/** The kind of an IP address (IPv4 or IPv6 text). Anything that is not an IP is `reserved`. */
export function classifyAddress(address: string): AddressKind {
  const plain = address.replace(/^\[|\]$/g, '');
  if (isIP(plain) === 4) {
    return IPV4_LISTS.find(({ list }) => list.check(plain, 'ipv4'))?.kind ?? 'public';
  }
  const bytes = ipv6Bytes(plain);
  if (!bytes) return 'reserved';
  const carried = embeddedIpv4(bytes);
  if (carried !== undefined) return classifyAddress(carried);
  const canonical = plain.split('%')[0] ?? plain;
  return IPV6_LISTS.find(({ list }) => list.check(canonical, 'ipv6'))?.kind ?? 'public';
}

/** True when `fetch_url` may connect to `address` under the given policy. */
export function isAddressAllowed(address: string, options: { allowPrivate: boolean }): boolean {
  const kind = classifyAddress(address);
  return kind === 'public' || (options.allowPrivate && OPENED_BY_ALLOW_PRIVATE.has(kind));
}
