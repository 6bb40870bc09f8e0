import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOpenRouterServer, type OpenRouterServer } from './openrouter-server.js';

let server: OpenRouterServer;
beforeAll(async () => {
  server = await startOpenRouterServer({ apiKey: 'sk-test' });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const post = (body: unknown, key = 'sk-test') =>
  fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const ask = (content: string, stream = true) => post({ model: 'openai/gpt-4o-mini', stream, messages: [{ role: 'user', content }] });

describe('the OpenRouter test server speaks the wire format', () => {
  it('streams comments first, chunks, a finish chunk, usage in its own chunk with choices [] and exponent cost, then [DONE]', async () => {
    const response = await ask('[[scenario:normal text="Hi there." cost=1.3e-05]]');
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('x-generation-id')).toMatch(/^gen-/);
    const events = (await response.text()).split('\n\n').filter(Boolean);
    expect(events[0]).toBe(': OPENROUTER PROCESSING');
    expect(events.at(-1)).toBe('data: [DONE]');
    const usage = events.at(-2)!;
    expect(usage).toContain('"choices":[]');
    expect(usage).toContain('"cost":1.3e-05');
    expect(JSON.parse(events.at(-3)!.slice(6)).choices[0].finish_reason).toBe('stop');
  });

  it('sends a mid-stream error chunk with finish_reason "error" and then ends', async () => {
    const text = await (await ask('[[scenario:mid-error after=1 message="boom"]]')).text();
    const last = JSON.parse(text.trim().split('\n\n').at(-1)!.slice(6));
    expect(last).toMatchObject({ error: { code: 'server_error', message: 'boom' }, choices: [{ finish_reason: 'error' }] });
    expect(text).not.toContain('[DONE]');
  });

  it('answers pre-stream errors with OpenRouter error JSON and Retry-After', async () => {
    const response = await ask('[[scenario:error status=429 retry_after=3]]');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await response.json()).toMatchObject({ error: { code: 429, message: expect.any(String) } });
  });

  it('enforces the API key when configured', async () => {
    expect((await post({ model: 'm', messages: [] }, 'wrong')).status).toBe(401);
  });

  it('prefers queued scenarios over directives, then falls back to the directive', async () => {
    server.enqueue({ type: 'http-error', status: 503 });
    expect((await ask('[[scenario:no-usage]]')).status).toBe(503);
    expect(await (await ask('[[scenario:no-usage]]')).text()).not.toContain('usage');
    expect(server.chatRequests().map((request) => request.scenario)).toEqual(['http-error', 'text']);
  });

  it('answers stream:false with one JSON completion with usage', async () => {
    const body = await (await ask('[[scenario:normal text="Plain."]]', false)).json();
    expect(body).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'Plain.' }, finish_reason: 'stop' }], usage: { completion_tokens: 1 } });
  });

  it('records a client disconnect with the time the socket closed', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: '[[scenario:slow delay=20 tokens=200]]' }] }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    const record = await server.waitForClose(0);
    expect(record.aborted).toBe(true);
    expect(record.closedAt).toBeGreaterThan(record.receivedAt);
  });

  it('serves /models and can be told to fail', async () => {
    const catalog = await (await fetch(`${server.url}/models`)).json();
    expect(catalog.data.some((model: { pricing?: { prompt: string } }) => model.pricing?.prompt === '-1')).toBe(true);
    expect(catalog.data.some((model: { pricing?: unknown }) => model.pricing === undefined)).toBe(true);
    server.setModelsFailure(500);
    expect((await fetch(`${server.url}/models`)).status).toBe(500);
    server.setModelsFailure(undefined);
  });
});
