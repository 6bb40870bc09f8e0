import { lookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { classifyAddress, isAddressAllowed } from './address-policy.js';

/**
 * The checks every URL `fetch_url` touches must pass, the first one and every redirect
 * hop alike: http(s) only, no credentials, a host on the allow-list, and addresses that
 * are not private, loopback or link-local. A URL that passes comes with the addresses
 * it was vetted at, and the caller connects to exactly those (no second DNS answer, so
 * no DNS rebinding between the check and the connection).
 *
 * Allow-list entries: `example.com` matches that host exactly (not `www.example.com`);
 * `*.example.com` matches any subdomain of it (not the apex — list both for both).
 * Entries are compared after the same normalisation as URLs (lower case, IDN to
 * punycode, no trailing dot, IP literals canonical), so `2130706433` as an entry means
 * `127.0.0.1`. Wildcards never match IP addresses.
 */

/** What the guard needs to know. */
export interface FetchPolicy {
  /** Host names (`example.com`), wildcard entries (`*.example.com`) or IP literals. */
  allowlist: readonly string[];
  /** Let loopback/private addresses through (FETCH_ALLOW_PRIVATE, tests only). */
  allowPrivate: boolean;
}

/** Resolves a host name to every address it has (the default is `dns.lookup` with `all`). */
export type HostResolver = (host: string) => Promise<LookupAddress[]>;

/** A refusal: `blocked` when the policy refused (the run's web_status becomes `blocked`). */
export interface GuardRefusal {
  allowed: false;
  blocked: boolean;
  message: string;
}

export type UrlCheck = { allowed: true; url: URL; host: string } | GuardRefusal;
export type AddressCheck = { allowed: true; addresses: LookupAddress[] } | GuardRefusal;

/** The exact text the runbook and UI rely on when a host is not on the allow-list. */
export function domainRefusal(host: string): string {
  return `Refused: domain '${host}' not in allow-list.`;
}

/** `[::1]` → `::1`, `Example.COM.` → `example.com`: the form hosts are compared in. */
function comparableHost(hostname: string): string {
  return hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** An allow-list entry in comparable form, or undefined when it cannot name a host. */
function normaliseEntry(entry: string): { exact: string } | { suffix: string } | undefined {
  const trimmed = entry.trim();
  const wildcard = trimmed.startsWith('*.');
  const name = wildcard ? trimmed.slice(2) : trimmed;
  if (name === '' || /[/?#@\s]/.test(name)) return undefined;
  const authority = isIP(name) === 6 ? `[${name}]` : name;
  const host = URL.canParse(`http://${authority}/`) ? new URL(`http://${authority}/`) : undefined;
  if (!host || host.port !== '') return undefined;
  const comparable = comparableHost(host.hostname);
  if (wildcard) return isIP(comparable) === 0 ? { suffix: `.${comparable}` } : undefined;
  return { exact: comparable };
}

/** True when `hostname` (as `URL.hostname` gives it) is on the allow-list. */
export function isHostAllowed(hostname: string, allowlist: readonly string[]): boolean {
  const host = comparableHost(hostname);
  const hostIsIp = isIP(host) !== 0;
  return allowlist.some((entry) => {
    const rule = normaliseEntry(entry);
    if (!rule) return false;
    if ('exact' in rule) return rule.exact === host;
    return !hostIsIp && host.endsWith(rule.suffix);
  });
}

/**
 * The checks that need no network: a parseable http(s) URL without credentials whose
 * host is on the allow-list. A malformed URL is not `blocked` (nothing was refused by
 * policy; the model sent nonsense).
 */
export function checkUrl(input: string | URL, policy: Pick<FetchPolicy, 'allowlist'>): UrlCheck {
  const text = String(input);
  if (!URL.canParse(text)) {
    return { allowed: false, blocked: false, message: `Error: '${text.slice(0, 200)}' is not a valid absolute URL.` };
  }
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { allowed: false, blocked: true, message: `Refused: only http and https URLs are allowed (got '${url.protocol}').` };
  }
  if (url.username !== '' || url.password !== '') {
    return { allowed: false, blocked: true, message: 'Refused: URLs with a user name or password are not allowed.' };
  }
  const host = comparableHost(url.hostname);
  if (!isHostAllowed(url.hostname, policy.allowlist)) {
    return { allowed: false, blocked: true, message: domainRefusal(host) };
  }
  return { allowed: true, url, host };
}

const defaultResolver: HostResolver = (host) => lookup(host, { all: true, verbatim: true });

/** Rejects when `signal` aborts: dns.lookup itself cannot be cancelled. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Every address `host` resolves to, vetted. If any one of them is not allowed the host
 * is refused (a name with one public and one private record is not trusted). DNS
 * failures throw (they are network errors, not refusals).
 */
export async function resolveVetted(options: {
  host: string;
  allowPrivate: boolean;
  resolve?: HostResolver | undefined;
  signal?: AbortSignal | undefined;
}): Promise<AddressCheck> {
  const { host, allowPrivate, resolve = defaultResolver, signal } = options;
  const family = isIP(host);
  const addresses = family !== 0 ? [{ address: host, family }] : await abortable(resolve(host), signal);
  if (addresses.length === 0) throw new Error(`no address found for '${host}'`);
  const refused = addresses.find(({ address }) => !isAddressAllowed(address, { allowPrivate }));
  if (refused) {
    const kind = classifyAddress(refused.address);
    const via = refused.address === host ? '' : ` resolves to ${refused.address}, which`;
    const article = /^[aeiou]/.test(kind) ? 'an' : 'a';
    return {
      allowed: false,
      blocked: true,
      message: `Refused: '${host}'${via} is ${article} ${kind} address; fetch_url may not reach private, loopback, link-local or other non-public addresses.`,
    };
  }
  return { allowed: true, addresses };
}
