import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type RunningLab } from '../support/start-lab.js';

const TOKEN = 'lab-token-for-auth-tests-0123';
let lab: RunningLab;

beforeAll(async () => {
  // TRUST_PROXY lets each test speak as its own client through X-Forwarded-For.
  lab = await startLab({ env: { LAB_AUTH_TOKEN: TOKEN, TRUST_PROXY: '127.0.0.1' } });
});
afterAll(async () => lab?.close());

const as = (client: string, headers: Record<string, string> = {}) => ({ 'x-forwarded-for': client, ...headers });

async function login(client: string, body: string, contentType = 'application/json'): Promise<Response> {
  return fetch(`${lab.url}/api/auth/login`, { method: 'POST', headers: as(client, { 'content-type': contentType }), body, redirect: 'manual' });
}

describe('sign-in sessions', () => {
  it('carry a 7-day expiry, and logout revokes the cookie on the server, not only in the browser', async () => {
    const signedIn = await login('198.51.100.1', JSON.stringify({ token: TOKEN }));
    expect(signedIn.status).toBe(200);
    const setCookie = signedIn.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/Max-Age=604800;/);
    expect(setCookie).toMatch(/HttpOnly/);
    const cookie = setCookie.split(';')[0]!;
    const other = (await login('198.51.100.1', JSON.stringify({ token: TOKEN }))).headers.get('set-cookie')!.split(';')[0]!;

    expect((await fetch(`${lab.url}/api/agents`, { headers: as('198.51.100.1', { cookie }) })).status).toBe(200);
    const logout = await fetch(`${lab.url}/api/auth/logout`, { method: 'POST', headers: as('198.51.100.1', { cookie }) });
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toMatch(/Max-Age=0/);

    // A copy of the signed-out cookie no longer opens anything; the other session still does.
    const replay = await fetch(`${lab.url}/api/agents`, { headers: as('198.51.100.1', { cookie }) });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('unauthorized:auth');
    expect((await fetch(`${lab.url}/`, { headers: as('198.51.100.1', { cookie }) })).status).toBe(401);
    expect((await fetch(`${lab.url}/api/agents`, { headers: as('198.51.100.1', { cookie: other }) })).status).toBe(200);
  });
});

describe('wrong bearer tokens', () => {
  it('are rate-limited per client like sign-ins: 429 with Retry-After after 20, for the right token too', async () => {
    const attacker = '203.0.113.66';
    for (let attempt = 0; attempt < 20; attempt++) {
      const wrong = await fetch(`${lab.url}/api/agents`, { headers: as(attacker, { authorization: `Bearer guess-${attempt}-xxxxxxxx` }) });
      expect(wrong.status).toBe(401);
    }
    const limited = await fetch(`${lab.url}/api/agents`, { headers: as(attacker, { authorization: 'Bearer guess-21-xxxxxxxx' }) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limit:auth');
    // While blocked, a right guess is indistinguishable from a wrong one, and sign-in is closed too.
    expect((await fetch(`${lab.url}/api/agents`, { headers: as(attacker, { authorization: `Bearer ${TOKEN}` }) })).status).toBe(429);
    expect((await login(attacker, JSON.stringify({ token: TOKEN }))).status).toBe(429);
    // Other clients are not affected.
    expect((await fetch(`${lab.url}/api/agents`, { headers: as('203.0.113.67', { authorization: `Bearer ${TOKEN}` }) })).status).toBe(200);
  });
});

describe('the sign-in form\'s next=', () => {
  it.each([
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['/\t/evil.example', '/'],
    ['/ /evil.example', '/'],
    ['/\u0085/evil.example', '/'],
    ['/\u202e/evil.example', '/'],
    ['/sessions\\..\\..', '/'],
    ['https://evil.example/', '/'],
    ['/sessions?id=1#top', '/sessions?id=1#top'],
    ['/bakeoff', '/bakeoff'],
  ])('%j redirects to %j', async (next, location) => {
    const response = await login('198.51.100.20', new URLSearchParams({ token: TOKEN, next }).toString(), 'application/x-www-form-urlencoded');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(location);
  });
});

describe('the access log', () => {
  it('escapes C1 control characters from request headers', async () => {
    // Raw bytes, as a hostile client sends them (Node accepts them in header values): NEL (0x85)
    // in the Referer, CSI (0x9b, a terminal escape) in the User-Agent.
    const request = Buffer.concat([
      Buffer.from('GET /health?probe=c1 HTTP/1.1\r\nHost: 127.0.0.1\r\nReferer: http://r.example/', 'latin1'),
      Buffer.from([0x85]),
      Buffer.from('forged\r\nUser-Agent: agent', 'latin1'),
      Buffer.from([0x9b]),
      Buffer.from('2J\r\nConnection: close\r\n\r\n', 'latin1'),
    ]);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(lab.port, '127.0.0.1', () => socket.end(request));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    let line: string | undefined;
    for (let waited = 0; waited < 5000 && !line; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      line = (await readFile(lab.accessLog, 'latin1').catch(() => '')).split('\n').find((entry) => entry.includes('probe=c1'));
    }
    expect(line).toBeDefined();
    expect(line).toContain('"http://r.example/\\x85forged"');
    expect(line).toContain('"agent\\x9b2J"');
    expect(line).not.toMatch(/[\u0080-\u009f]/);
  });
});
