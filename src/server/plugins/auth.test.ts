import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RevokedSessionsFile } from '../../store/revoked-sessions-file.js';
import { createAuth, DEFAULT_SESSION_SECONDS, SESSION_COOKIE } from './auth.js';
import { createFailureLimiter } from './failure-limiter.js';

const TOKEN = 'lab-token-0123456789';
/** Only the headers are read by the auth checks. */
const withCookie = (value: string) => ({ headers: { cookie: `${SESSION_COOKIE}=${value}` } }) as unknown as FastifyRequest;
const cookieValue = (setCookie: string) => setCookie.split(';')[0]!.slice(SESSION_COOKIE.length + 1);

describe('session cookies', () => {
  it('expire after 7 days, checked by the server, and a changed expiry breaks the signature', () => {
    let now = Date.UTC(2026, 11, 1);
    const auth = createAuth({ token: TOKEN, now: () => now });
    const setCookie = auth.sessionCookie({ secure: false });
    expect(setCookie).toContain(`Max-Age=${DEFAULT_SESSION_SECONDS}`);
    expect(DEFAULT_SESSION_SECONDS).toBe(7 * 24 * 3600);
    expect(setCookie).not.toContain(TOKEN);
    const value = cookieValue(setCookie);
    expect(auth.authorized(withCookie(value))).toBe(true);

    // A browser that ignores Max-Age gets nothing from keeping the cookie.
    now += DEFAULT_SESSION_SECONDS * 1000 - 1000;
    expect(auth.authorized(withCookie(value))).toBe(true);
    now += 1000;
    expect(auth.authorized(withCookie(value))).toBe(false);

    // Moving the expiry forward by hand invalidates the MAC.
    const [id, expires, mac] = value.split('.') as [string, string, string];
    expect(auth.authorized(withCookie(`${id}.${Number(expires) + 3600}.${mac}`))).toBe(false);
    // Every sign-in is a session of its own.
    expect(cookieValue(auth.sessionCookie({ secure: false }))).not.toBe(cookieValue(auth.sessionCookie({ secure: false })));
  });

  it('are revoked by logout, and a token change signs everyone out', async () => {
    const auth = createAuth({ token: TOKEN });
    const first = cookieValue(auth.sessionCookie({ secure: true }));
    const second = cookieValue(auth.sessionCookie({ secure: true }));
    expect(await auth.revoke(withCookie(first))).toBe(true);
    expect(auth.authorized(withCookie(first))).toBe(false);
    expect(auth.authorized(withCookie(second))).toBe(true);
    expect(await auth.revoke(withCookie('forged.1.x'))).toBe(false);
    expect(createAuth({ token: 'another-token-987654' }).authorized(withCookie(second))).toBe(false);
  });

  it('stay revoked after a restart and in another process on the same DATA_DIR (revoked-sessions.json)', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-revoked-'));
    try {
      let now = Date.UTC(2026, 11, 1);
      const store = () => new RevokedSessionsFile({ dataDir, now: () => now });
      const before = createAuth({ token: TOKEN, now: () => now, revocations: store() });
      const other = createAuth({ token: TOKEN, now: () => now, revocations: store() });
      const cookie = cookieValue(before.sessionCookie({ secure: false }));
      const kept = cookieValue(before.sessionCookie({ secure: false }));
      expect(await before.revoke(withCookie(cookie))).toBe(true);

      const restarted = createAuth({ token: TOKEN, now: () => now, revocations: store() });
      expect(restarted.authorized(withCookie(cookie))).toBe(true); // not read yet
      await restarted.refreshRevocations();
      expect(restarted.authorized(withCookie(cookie))).toBe(false);
      expect(restarted.authorized(withCookie(kept))).toBe(true);
      await other.refreshRevocations();
      expect(other.authorized(withCookie(cookie))).toBe(false);

      // Entries leave the file once the cookie would have expired anyway.
      now += DEFAULT_SESSION_SECONDS * 1000;
      expect(await createAuth({ token: TOKEN, now: () => now - 1000, revocations: store() }).revoke(withCookie(kept))).toBe(true);
      const file = JSON.parse(await readFile(path.join(dataDir, 'revoked-sessions.json'), 'utf8')) as { revoked: Array<{ id: string }> };
      expect(file.revoked.map((entry) => entry.id)).toEqual([kept.split('.')[0]]);

      // A damaged list is reported (the server logs it) and replaced by the next logout.
      await writeFile(path.join(dataDir, 'revoked-sessions.json'), '{"revoked": 5}');
      await expect(store().load()).rejects.toThrow(/not a list of revoked sessions/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the failure limiter', () => {
  it('blocks a client after N failures for the rest of the window, other clients unaffected', () => {
    let now = 0;
    const limiter = createFailureLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(limiter.blockedFor('a')).toBe(0);
      limiter.recordFailure('a');
    }
    now = 15_000;
    expect(limiter.blockedFor('a')).toBe(45);
    expect(limiter.blockedFor('b')).toBe(0);
    now = 60_000;
    expect(limiter.blockedFor('a')).toBe(0);
  });

  it('remembers at most maxClients', () => {
    const limiter = createFailureLimiter({ maxFailures: 1, maxClients: 100 });
    for (let client = 0; client < 1000; client++) limiter.recordFailure(`client-${client}`);
    expect(limiter.blockedFor('client-999')).toBeGreaterThan(0);
    expect(limiter.blockedFor('client-0')).toBe(0);
  });
});
