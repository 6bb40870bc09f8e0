import { describe, expect, it } from 'vitest';
import { checkUrl, isHostAllowed, resolveVetted } from './url-guard.js';

const DEFAULT_ALLOWLIST = ['example.com', 'api.github.com', 'raw.githubusercontent.com'];

describe('isHostAllowed', () => {
  it('matches a plain entry exactly, ignoring case and a trailing dot', () => {
    expect(isHostAllowed('example.com', DEFAULT_ALLOWLIST)).toBe(true);
    expect(isHostAllowed('EXAMPLE.com.', DEFAULT_ALLOWLIST)).toBe(true);
    expect(isHostAllowed('www.example.com', DEFAULT_ALLOWLIST)).toBe(false);
    expect(isHostAllowed('notexample.com', DEFAULT_ALLOWLIST)).toBe(false);
    expect(isHostAllowed('example.com.evil.net', DEFAULT_ALLOWLIST)).toBe(false);
  });

  it('matches subdomains, and only subdomains, of a *.domain entry', () => {
    const allowlist = ['*.example.org'];
    expect(isHostAllowed('docs.example.org', allowlist)).toBe(true);
    expect(isHostAllowed('a.b.example.org', allowlist)).toBe(true);
    expect(isHostAllowed('example.org', allowlist)).toBe(false);
    expect(isHostAllowed('badexample.org', allowlist)).toBe(false);
  });

  it('compares IP literals in canonical form and never by wildcard', () => {
    expect(isHostAllowed('127.0.0.1', ['2130706433'])).toBe(true);
    expect(isHostAllowed('[::1]', ['::1'])).toBe(true);
    expect(isHostAllowed('10.0.0.1', ['*.0.0.1'])).toBe(false);
  });
});

describe('checkUrl', () => {
  const policy = { allowlist: DEFAULT_ALLOWLIST };

  it('accepts an allow-listed http(s) URL', () => {
    const check = checkUrl('https://api.github.com/repos/x/y', policy);
    expect(check).toMatchObject({ allowed: true, host: 'api.github.com' });
  });

  it('refuses a host off the list with the exact text', () => {
    expect(checkUrl('https://evil.example.net/path', policy)).toEqual({
      allowed: false,
      blocked: true,
      message: "Refused: domain 'evil.example.net' not in allow-list.",
    });
  });

  it.each([
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://[::1]:8080/', '::1'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1'],
    ['http://0.0.0.0/', '0.0.0.0'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['http://localhost/', 'localhost'],
    ['http://example.com.evil.net/', 'example.com.evil.net'],
  ])('refuses %s as the host %s', (url, host) => {
    expect(checkUrl(url, policy)).toEqual({ allowed: false, blocked: true, message: `Refused: domain '${host}' not in allow-list.` });
  });

  it.each(['file:///etc/passwd', 'ftp://example.com/file', 'gopher://example.com/', 'data:text/plain,hi', 'javascript:alert(1)'])(
    'refuses the non-http scheme of %s',
    (url) => {
      const check = checkUrl(url, policy);
      expect(check).toMatchObject({ allowed: false, blocked: true });
      expect(!check.allowed && check.message).toMatch(/^Refused: only http and https URLs are allowed/);
    },
  );

  it('refuses credentials in the URL', () => {
    expect(checkUrl('https://user:secret@example.com/', policy)).toEqual({
      allowed: false,
      blocked: true,
      message: 'Refused: URLs with a user name or password are not allowed.',
    });
  });

  it('reports a malformed URL as an error, not a block', () => {
    expect(checkUrl('not a url', policy)).toMatchObject({ allowed: false, blocked: false });
  });
});

describe('resolveVetted', () => {
  const resolveTo = (...addresses: string[]) => async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('passes a host whose every address is public', async () => {
    const check = await resolveVetted({ host: 'example.com', allowPrivate: false, resolve: resolveTo('93.184.215.14', '2606:2800::1') });
    expect(check).toEqual({
      allowed: true,
      addresses: [
        { address: '93.184.215.14', family: 4 },
        { address: '2606:2800::1', family: 6 },
      ],
    });
  });

  it('blocks a host when any one address is private (no mixed records)', async () => {
    const check = await resolveVetted({ host: 'example.com', allowPrivate: false, resolve: resolveTo('93.184.215.14', '10.0.0.5') });
    expect(check).toMatchObject({ allowed: false, blocked: true });
    expect(!check.allowed && check.message).toContain("'example.com' resolves to 10.0.0.5, which is a private address");
  });

  it.each(['127.0.0.1', '::1', '0.0.0.0', '169.254.169.254', '::ffff:7f00:1', 'fd00::1', '100.64.1.1'])(
    'blocks the IP literal %s without asking DNS',
    async (host) => {
      const resolve = async () => {
        throw new Error('DNS must not be asked for an IP literal');
      };
      const check = await resolveVetted({ host, allowPrivate: false, resolve });
      expect(check).toMatchObject({ allowed: false, blocked: true });
    },
  );

  it('blocks a real name that resolves to loopback (real DNS)', async () => {
    const check = await resolveVetted({ host: 'localhost', allowPrivate: false });
    expect(check).toMatchObject({ allowed: false, blocked: true });
    expect(!check.allowed && check.message).toMatch(/^Refused: 'localhost' resolves to .* loopback address/);
  });
});
