import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOL_NAMES } from '../domain/agent.js';
import { createToolRegistry } from './registry.js';

const signal = new AbortController().signal;
const clock = () => new Date(Date.UTC(2025, 0, 2, 3, 4, 5));

describe('createToolRegistry: definitions', () => {
  const registry = createToolRegistry({ fetchAllowlist: ['example.com'], allowPrivate: false });

  it('gives OpenAI function definitions for the names asked for, in order, once each', () => {
    const definitions = registry.definitions(['fetch_url', 'add_numbers', 'fetch_url']);
    expect(definitions.map((definition) => definition.function.name)).toEqual(['fetch_url', 'add_numbers']);
    for (const definition of registry.definitions([...TOOL_NAMES])) {
      expect(definition.type).toBe('function');
      expect(definition.function.description.length).toBeGreaterThan(10);
      expect(definition.function.parameters).toMatchObject({ type: 'object', additionalProperties: false });
    }
    expect(registry.definitions(['add_numbers'])[0]?.function.parameters).toMatchObject({ required: ['a', 'b'] });
    expect(registry.definitions([])).toEqual([]);
  });
});

describe('createToolRegistry: execute', () => {
  const registry = createToolRegistry({ fetchAllowlist: ['example.com'], allowPrivate: false, now: clock });
  const execute = (name: string, args: string) => registry.execute({ name, args, signal });

  it('adds numbers, numeric strings included', async () => {
    expect(await execute('add_numbers', '{"a": 2, "b": 3}')).toEqual({ result: '5', web_status: 'off' });
    expect((await execute('add_numbers', '{"a": "2.5", "b": " -1 "}')).result).toBe('1.5');
    expect((await execute('add_numbers', '{"a": 0.1, "b": 0.2}')).result).toBe('0.3');
    expect((await execute('add_numbers', '{"a": 1e308, "b": 1e308}')).result).toBe('Error: the sum is too large to represent.');
  });

  it('says which argument is wrong', async () => {
    expect((await execute('add_numbers', '{"a": "two"}')).result).toBe(
      'Error: invalid arguments for add_numbers: a: must be a number (or a string holding one); b: is required.',
    );
  });

  it('reports bad JSON and non-object arguments as text, never a throw', async () => {
    expect((await execute('add_numbers', '{"a": 1,')).result).toMatch(/^Error: the arguments for add_numbers are not valid JSON/);
    expect((await execute('add_numbers', '[1, 2]')).result).toBe('Error: the arguments for add_numbers must be a JSON object.');
  });

  it('reports an unknown tool', async () => {
    expect(await execute('rm_rf', '{}')).toEqual({
      result: "Error: unknown tool 'rm_rf'. Available tools: add_numbers, utc_now, fetch_url.",
      web_status: 'off',
    });
  });

  it('refuses a tool the agent was not given', async () => {
    const outcome = await registry.execute({ name: 'fetch_url', args: '{"url":"https://example.com/"}', signal, enabled: ['add_numbers'] });
    expect(outcome).toEqual({ result: "Error: tool 'fetch_url' is not enabled for this agent. Available tools: add_numbers.", web_status: 'off' });
  });

  it('tells the time, with or without a format (empty arguments allowed)', async () => {
    expect(await execute('utc_now', '')).toEqual({ result: '2025-01-02T03:04:05Z', web_status: 'off' });
    expect((await execute('utc_now', '{"fmt": "%d/%m/%Y %Z"}')).result).toBe('02/01/2025 UTC');
    expect((await execute('utc_now', '{"fmt": null}')).result).toBe('2025-01-02T03:04:05Z');
    expect((await execute('utc_now', '{"fmt": "%Q"}')).result).toMatch(/^Error: unsupported format directive '%Q'/);
  });

  it('refuses a host off the list with the exact text and web_status blocked', async () => {
    expect(await execute('fetch_url', '{"url": "https://evil.example.net/"}')).toEqual({
      result: "Refused: domain 'evil.example.net' not in allow-list.",
      web_status: 'blocked',
    });
  });

  it('validates timeout_s (at most 30 seconds)', async () => {
    expect(await execute('fetch_url', '{"url": "https://example.com/", "timeout_s": 31}')).toEqual({
      result: 'Error: invalid arguments for fetch_url: timeout_s: must be at most 30 (seconds).',
      web_status: 'ok',
    });
    expect((await execute('fetch_url', '{"timeout_s": 5}')).result).toBe('Error: invalid arguments for fetch_url: url: is required.');
  });

  it('does not run a call whose run was already stopped', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await registry.execute({ name: 'add_numbers', args: '{"a":1,"b":2}', signal: controller.signal })).toEqual({
      result: 'Error: add_numbers was cancelled.',
      web_status: 'off',
    });
  });
});

describe('createToolRegistry: fetch_url against a real server', () => {
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('fetched');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fetches through the configured allow-list when private addresses are allowed (tests only)', async () => {
    const registry = createToolRegistry({ fetchAllowlist: ['127.0.0.1'], allowPrivate: true });
    const outcome = await registry.execute({ name: 'fetch_url', args: JSON.stringify({ url: `http://127.0.0.1:${port}/`, timeout_s: '5' }), signal });
    expect(outcome.web_status).toBe('ok');
    expect(outcome.result).toMatch(/^Status: 200 OK\n.*\nContent-Type: text\/plain\n\nfetched$/);
  });

  it('blocks the same address when private addresses are not allowed', async () => {
    const registry = createToolRegistry({ fetchAllowlist: ['127.0.0.1'], allowPrivate: false });
    const outcome = await registry.execute({ name: 'fetch_url', args: JSON.stringify({ url: `http://127.0.0.1:${port}/` }), signal });
    expect(outcome.web_status).toBe('blocked');
  });
});
