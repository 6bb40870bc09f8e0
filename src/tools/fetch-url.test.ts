import type { LookupAddress } from 'node:dns';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchUrl } from './fetch-url.js';

/** A real HTTP server on 127.0.0.1 that records the paths it was asked for. */
interface TestServer {
  port: number;
  paths: string[];
  hosts: string[];
}

const servers: http.Server[] = [];

async function startServer(handler: (request: IncomingMessage, response: ServerResponse, server: TestServer) => void): Promise<TestServer> {
  const state: TestServer = { port: 0, paths: [], hosts: [] };
  const server = http.createServer((request, response) => {
    state.paths.push(request.url ?? '');
    state.hosts.push(request.headers.host ?? '');
    handler(request, response, state);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

/** Names used in tests resolve to the test server's loopback address (the answer is still vetted). */
function loopbackResolver(calls: string[] = []) {
  return async (host: string): Promise<LookupAddress[]> => {
    calls.push(host);
    return [{ address: '127.0.0.1', family: 4 }];
  };
}

const testPolicy = { allowlist: ['allowed.test', 'also-allowed.test', '127.0.0.1'], allowPrivate: true };

/** The body part of a fetch_url result: between the header block and any truncation note. */
function bodyOf(result: string): string {
  return result.split('\n\n')[1] ?? '';
}

describe('fetchUrl against a real server', () => {
  it('returns the status, the content type and the text of an allow-listed page', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('hello from the test server');
    });
    const outcome = await fetchUrl({ url: `http://127.0.0.1:${server.port}/page`, policy: testPolicy });
    expect(outcome.web_status).toBe('ok');
    expect(outcome.result).toContain('Status: 200 OK');
    expect(outcome.result).toContain('Content-Type: text/plain; charset=utf-8');
    expect(bodyOf(outcome.result)).toBe('hello from the test server');
  });

  it('connects to the vetted address, asking DNS once per hop, and keeps the Host header', async () => {
    const server = await startServer((_request, response) => response.end('ok'));
    const calls: string[] = [];
    const outcome = await fetchUrl({ url: `http://allowed.test:${server.port}/`, policy: testPolicy, resolve: loopbackResolver(calls) });
    expect(outcome.web_status).toBe('ok');
    expect(calls).toEqual(['allowed.test']);
    expect(server.hosts).toEqual([`allowed.test:${server.port}`]);
  });

  it('truncates the text shown to 4,096 characters', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('z'.repeat(10_000));
    });
    const outcome = await fetchUrl({ url: `http://127.0.0.1:${server.port}/`, policy: testPolicy });
    expect(bodyOf(outcome.result)).toBe('z'.repeat(4_096));
    expect(outcome.result).toContain('[Body truncated: showing the first 4,096 characters.]');
  });

  it('does not split a surrogate pair at the cut', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`${'a'.repeat(4_095)}${'😀'.repeat(10)}`);
    });
    const outcome = await fetchUrl({ url: `http://127.0.0.1:${server.port}/`, policy: testPolicy });
    expect(bodyOf(outcome.result)).toBe('a'.repeat(4_095));
  });

  it('stops reading a 10 MB body at the byte limit and closes the connection', async () => {
    const total = 10 * 1024 * 1024;
    const chunk = Buffer.alloc(16 * 1024, 'y');
    let written = 0;
    let finished = false;
    let connectionClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => {
      connectionClosed = resolve;
    });
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(total) });
      response.on('close', connectionClosed);
      const pump = () => {
        if (response.destroyed) return;
        if (written >= total) {
          finished = true;
          response.end();
          return;
        }
        written += chunk.length;
        response.write(chunk);
        // Throttled, so the whole body would take seconds to send: the client must hang up first.
        setTimeout(pump, 2);
      };
      pump();
    });
    const outcome = await fetchUrl({ url: `http://127.0.0.1:${server.port}/big`, policy: testPolicy });
    await closed;
    expect(finished).toBe(false);
    expect(written).toBeLessThan(1024 * 1024);
    expect(bodyOf(outcome.result)).toBe('y'.repeat(4_096));
  });

  it('honours the timeout when the server never answers', async () => {
    const server = await startServer(() => {
      // Never respond.
    });
    const started = Date.now();
    const outcome = await fetchUrl({ url: `http://127.0.0.1:${server.port}/slow`, policy: testPolicy, timeoutSeconds: 0.3 });
    expect(outcome).toEqual({ result: `Error: fetching http://127.0.0.1:${server.port}/slow timed out after 0.3 s.`, web_status: 'ok' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('honours the timeout while the body is still arriving', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('the start of a body that never ends');
    });
    const outcome = await fetchUrl({ url: `http://127.0.0.1:${server.port}/drip`, policy: testPolicy, timeoutSeconds: 0.3 });
    expect(outcome.result).toMatch(/timed out after 0\.3 s\.$/);
  });

  it('stops when the run is cancelled', async () => {
    const server = await startServer(() => {
      // Never respond.
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const outcome = await fetchUrl({ url: `http://127.0.0.1:${server.port}/`, policy: testPolicy, signal: controller.signal });
    expect(outcome.result).toBe(`Error: fetching http://127.0.0.1:${server.port}/ was cancelled.`);
  });

  it('reports a refused connection as an error with web_status ok', async () => {
    const server = await startServer((_request, response) => response.end());
    const port = server.port;
    await new Promise<void>((resolve) => servers.pop()?.close(() => resolve()));
    const outcome = await fetchUrl({ url: `http://127.0.0.1:${port}/`, policy: testPolicy });
    expect(outcome.web_status).toBe('ok');
    expect(outcome.result).toMatch(/^Error: could not fetch .*ECONNREFUSED/);
  });

  it('describes a binary body instead of showing it', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.end(Buffer.alloc(100, 0));
    });
    const outcome = await fetchUrl({ url: `http://127.0.0.1:${server.port}/logo.png`, policy: testPolicy });
    expect(bodyOf(outcome.result)).toBe('(100 bytes of image/png not shown: fetch_url returns text only.)');
  });
});

describe('fetchUrl redirects', () => {
  it('follows a redirect between allowed hosts and says so', async () => {
    const server = await startServer((request, response, state) => {
      if (request.url === '/start') {
        response.writeHead(302, { location: `http://also-allowed.test:${state.port}/end` });
        response.end();
      } else response.end('arrived');
    });
    const outcome = await fetchUrl({ url: `http://allowed.test:${server.port}/start`, policy: testPolicy, resolve: loopbackResolver() });
    expect(outcome.web_status).toBe('ok');
    expect(outcome.result).toContain(`URL: http://also-allowed.test:${server.port}/end (after 1 redirect)`);
    expect(bodyOf(outcome.result)).toBe('arrived');
  });

  it('refuses a redirect to a host off the allow-list, with the exact text, before connecting', async () => {
    const server = await startServer((request, response) => {
      if (request.url === '/start') {
        response.writeHead(301, { location: 'https://evil.example.net/steal' });
        response.end();
      } else response.end('should not be reached');
    });
    const outcome = await fetchUrl({ url: `http://allowed.test:${server.port}/start`, policy: testPolicy, resolve: loopbackResolver() });
    expect(outcome).toEqual({ result: "Refused: domain 'evil.example.net' not in allow-list.", web_status: 'blocked' });
  });

  it('refuses a redirect from an allowed name to a loopback address', async () => {
    const server = await startServer((request, response, state) => {
      if (request.url === '/start') {
        response.writeHead(307, { location: `http://127.0.0.1:${state.port}/admin` });
        response.end();
      } else response.end('admin page');
    });
    const policy = { allowlist: ['allowed.test'], allowPrivate: true };
    const outcome = await fetchUrl({ url: `http://allowed.test:${server.port}/start`, policy, resolve: loopbackResolver() });
    expect(outcome).toEqual({ result: "Refused: domain '127.0.0.1' not in allow-list.", web_status: 'blocked' });
    expect(server.paths).toEqual(['/start']);
  });

  it.each([
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['[::1]', '::1'],
    ['2130706433', '127.0.0.1'],
  ])('refuses a redirect to the loopback spelling %s', async (spelling, host) => {
    const server = await startServer((request, response, state) => {
      response.writeHead(302, { location: `http://${spelling}:${state.port}/admin` });
      response.end();
    });
    const policy = { allowlist: ['allowed.test'], allowPrivate: true };
    const outcome = await fetchUrl({ url: `http://allowed.test:${server.port}/start`, policy, resolve: loopbackResolver() });
    expect(outcome).toEqual({ result: `Refused: domain '${host}' not in allow-list.`, web_status: 'blocked' });
  });

  it.each(['0.0.0.0', '169.254.169.254'])(
    'refuses a redirect to %s by address even when it is on the list and private addresses are allowed',
    async (address) => {
      const server = await startServer((_request, response, state) => {
        response.writeHead(302, { location: `http://${address}:${state.port}/latest/meta-data/` });
        response.end();
      });
      const policy = { allowlist: ['allowed.test', address], allowPrivate: true };
      const outcome = await fetchUrl({ url: `http://allowed.test:${server.port}/start`, policy, resolve: loopbackResolver() });
      expect(outcome.web_status).toBe('blocked');
      expect(outcome.result).toMatch(new RegExp(`^Refused: '${address.replace(/\./g, '\\.')}' is an? (unspecified|link-local) address`));
      expect(server.paths).toEqual(['/start']);
    },
  );

  it('refuses a redirect to a non-http scheme', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(302, { location: 'file:///etc/passwd' });
      response.end();
    });
    const outcome = await fetchUrl({ url: `http://allowed.test:${server.port}/`, policy: testPolicy, resolve: loopbackResolver() });
    expect(outcome).toEqual({ result: "Refused: only http and https URLs are allowed (got 'file:').", web_status: 'blocked' });
  });

  it('follows at most 5 redirects', async () => {
    const server = await startServer((request, response) => {
      const step = Number(request.url?.slice(1));
      if (step < 10) {
        response.writeHead(302, { location: `/${step + 1}` });
        response.end();
      } else response.end('end');
    });
    const five = await fetchUrl({ url: `http://127.0.0.1:${server.port}/5`, policy: testPolicy });
    expect(five.result).toContain('(after 5 redirects)');
    const six = await fetchUrl({ url: `http://127.0.0.1:${server.port}/4`, policy: testPolicy });
    expect(six).toEqual({ result: `Error: too many redirects (more than 5) fetching http://127.0.0.1:${server.port}/4.`, web_status: 'ok' });
  });
});

describe('fetchUrl with private addresses refused (the production policy)', () => {
  it('blocks an allow-listed name that resolves to loopback, without connecting', async () => {
    const server = await startServer((_request, response) => response.end('secret'));
    const policy = { allowlist: ['localhost'], allowPrivate: false };
    const outcome = await fetchUrl({ url: `http://localhost:${server.port}/`, policy });
    expect(outcome.web_status).toBe('blocked');
    expect(outcome.result).toMatch(/^Refused: 'localhost' resolves to .*, which is a loopback address/);
    expect(server.paths).toEqual([]);
  });

  it.each([
    ['http://127.0.0.1:PORT/', '127.0.0.1'],
    ['http://[::1]:PORT/', '::1'],
    ['http://0.0.0.0:PORT/', '0.0.0.0'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['http://[::ffff:127.0.0.1]:PORT/', '::ffff:7f00:1'],
    ['http://2130706433:PORT/', '127.0.0.1'],
  ])('blocks %s even when the address itself is allow-listed', async (template, host) => {
    const server = await startServer((_request, response) => response.end('secret'));
    const policy = { allowlist: [host], allowPrivate: false };
    const outcome = await fetchUrl({ url: template.replace('PORT', String(server.port)), policy, timeoutSeconds: 2 });
    expect(outcome.web_status).toBe('blocked');
    expect(outcome.result).toMatch(new RegExp(`^Refused: '${host.replace(/[.]/g, '\\.')}' is an? [a-z-]+ address`));
    expect(server.paths).toEqual([]);
  });

  it('refuses with the exact text a default-list fetch of a decimal-encoded loopback address', async () => {
    const policy = { allowlist: ['example.com', 'api.github.com', 'raw.githubusercontent.com'], allowPrivate: false };
    const outcome = await fetchUrl({ url: 'http://2130706433/', policy });
    expect(outcome).toEqual({ result: "Refused: domain '127.0.0.1' not in allow-list.", web_status: 'blocked' });
  });
});
