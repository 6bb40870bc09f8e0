import { BlockList, isIP } from 'node:net';

/**
 * Who the client is, behind proxies we trust (TRUST_PROXY). `X-Forwarded-For` is believed only
 * hop by hop from the right, and only while the hop that added an entry is a trusted proxy;
 * with TRUST_PROXY unset the direct peer is the client. Used by the access log, the rate
 * limiter and Fastify's own `request.ip` (same rule everywhere).
 */
export interface ProxyTrust {
  /** Fastify's `trustProxy` function form: is the address at `hop` (0 = direct peer) a trusted proxy? */
  trusts(address: string, hop: number): boolean;
  /** The client address for a direct peer and the request's X-Forwarded-For header. */
  clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined): string;
}

const NAMED_RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** `::ffff:10.0.0.1` → `10.0.0.1`, so IPv4 ranges match either form. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim().replace(/^\[(.*)\]$/, '$1');
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(trimmed) ? trimmed.slice(7) : trimmed;
}

/**
 * Parse TRUST_PROXY: unset → trust nobody; `true`/`*` → trust every hop; a number → that many
 * hops; otherwise a comma-separated list of addresses, CIDR ranges and the names `loopback`,
 * `linklocal`, `uniquelocal`. Throws on an entry it cannot read.
 */
export function createProxyTrust(trustProxy: string | undefined): ProxyTrust {
  let trusts: (address: string, hop: number) => boolean;
  const setting = trustProxy?.trim().toLowerCase();
  if (!setting || setting === 'false') {
    trusts = () => false;
  } else if (setting === 'true' || setting === '*') {
    trusts = () => true;
  } else if (/^\d+$/.test(setting)) {
    const hops = Number(setting);
    trusts = (_address, hop) => hop < hops;
  } else {
    const list = new BlockList();
    for (const raw of setting.split(',').map((entry) => entry.trim()).filter(Boolean)) {
      for (const entry of NAMED_RANGES[raw] ?? [raw]) {
        const [address = '', prefix] = entry.split('/');
        const family = isIP(address);
        if (family === 0) throw new Error(`TRUST_PROXY entry "${raw}" is not an address, a CIDR range or loopback/linklocal/uniquelocal`);
        const type = family === 6 ? 'ipv6' : 'ipv4';
        if (prefix === undefined) list.addAddress(address, type);
        else list.addSubnet(address, Number(prefix), type);
      }
    }
    trusts = (address) => {
      const normalized = normalizeAddress(address);
      const family = isIP(normalized);
      return family !== 0 && list.check(normalized, family === 6 ? 'ipv6' : 'ipv4');
    };
  }

  // peers repeat (keep-alive connections, a proxy): normalise each address once
  const normalizedPeers = new Map<string, string>();
  const peerAddress = (peer: string | undefined): string => {
    if (peer === undefined) return '-';
    let normalized = normalizedPeers.get(peer);
    if (normalized === undefined) {
      normalized = normalizeAddress(peer) || '-';
      if (normalizedPeers.size >= 1024) normalizedPeers.clear();
      normalizedPeers.set(peer, normalized);
    }
    return normalized;
  };

  const clientAddress = (peer: string | undefined, forwardedFor: string | string[] | undefined): string => {
    let client = peerAddress(peer);
    if (!forwardedFor || client === '-') return client;
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
    const hops = header.split(',').map(normalizeAddress).filter(Boolean).reverse();
    for (let hop = 0; hop < hops.length; hop += 1) {
      if (!trusts(client, hop)) break;
      const next = hops[hop] as string;
      // a forged or garbled entry ends the walk: the last trustworthy address stands
      if (isIP(next) === 0) break;
      client = next;
    }
    return client;
  };

  return { trusts, clientAddress };
}
