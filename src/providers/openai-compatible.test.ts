import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LabError } from '../domain/errors.js';
import type { ChatMessage, StreamPart } from '../domain/stream-part.js';
import { startOpenRouterServer, type OpenRouterServer } from '../../test/support/openrouter-server.js';
import { createOpenAICompatibleProvider, parseRetryAfter } from './openai-compatible.js';
import type { ChatProvider, ChatRequest } from './provider.js';

let server: OpenRouterServer;
let provider: ChatProvider;

beforeAll(async () => {
  server = await startOpenRouterServer();
  provider = createOpenAICompatibleProvider({
    baseUrl: server.url,
    apiKey: 'sk-or-test-key',
    appUrl: 'http://127.0.0.1:7860',
    appName: 'Agent Lab',
    timeoutMs: 5000,
    chunkTimeoutMs: 5000,
  });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function chat(content: string, overrides: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content }], temperature: 0.7, topP: 1, maxTokens: 256, stream: true, ...overrides };
}

async function collect(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

const run = (request: ChatRequest, signal = new AbortController().signal) => collect(provider.streamChat(request, { signal }));
const textOf = (parts: StreamPart[]) => parts.flatMap((part) => (part.type === 'text-delta' ? [part.delta] : [])).join('');

async function rejection(promise: Promise<unknown>): Promise<LabError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(LabError);
  return error as LabError;
}

describe('OpenAI-compatible provider against the OpenRouter test server', () => {
  it('streams text, then usage from the separate chunk (exponent cost), then finish with the generation id', async () => {
    const parts = await run(chat('Say hi [[scenario:normal text="Hello there, friend." cost=1.3e-05]]'));
    expect(textOf(parts)).toBe('Hello there, friend.');
    const usage = parts.find((part) => part.type === 'usage');
    expect(usage).toEqual({ type: 'usage', usage: { prompt_tokens: expect.any(Number), completion_tokens: 3, total_tokens: expect.any(Number), cost: 0.000013 } });
    const finish = parts.at(-1);
    expect(finish).toMatchObject({ type: 'finish', finishReason: 'stop', model: 'openai/gpt-4o-mini' });
    expect((finish as { generationId: string }).generationId).toMatch(/^gen-/);
    expect(parts.filter((part) => part.type === 'text-delta').length).toBeGreaterThan(1);
  });

  it('sends the model, parameters, usage include and the attribution headers', async () => {
    await run(chat('hello', { seed: 42, tools: [{ type: 'function', function: { name: 'utc_now', description: 'now', parameters: { type: 'object' } } }] }));
    const [request] = server.chatRequests();
    expect(request?.headers).toMatchObject({
      authorization: 'Bearer sk-or-test-key',
      'http-referer': 'http://127.0.0.1:7860',
      'x-title': 'Agent Lab',
      'x-openrouter-title': 'Agent Lab',
    });
    expect(request?.body).toMatchObject({
      model: 'openai/gpt-4o-mini',
      temperature: 0.7,
      top_p: 1,
      max_tokens: 256,
      seed: 42,
      stream: true,
      usage: { include: true },
      tools: [{ type: 'function', function: { name: 'utc_now' } }],
    });
  });

  it('sends no Authorization header without a key', async () => {
    const keyless = createOpenAICompatibleProvider({ baseUrl: server.url, appUrl: 'http://x', appName: 'Agent Lab', timeoutMs: 2000, chunkTimeoutMs: 2000 });
    await collect(keyless.streamChat(chat('hi'), { signal: new AbortController().signal }));
    expect(server.chatRequests()[0]?.headers.authorization).toBeUndefined();
  });

  it('reports the model that answered (fallback models)', async () => {
    const parts = await run(chat('[[scenario:normal model=anthropic/claude-3.5-haiku]]', { model: 'openai/gpt-4o' }));
    expect(parts.at(-1)).toMatchObject({ type: 'finish', model: 'anthropic/claude-3.5-haiku' });
  });

  it('takes usage from the finish chunk too', async () => {
    const parts = await run(chat('[[scenario:inline-usage]]'));
    expect(parts.filter((part) => part.type === 'usage')).toHaveLength(1);
    expect(parts.at(-1)?.type).toBe('finish');
  });

  it('finishes without usage when the stream carries none', async () => {
    const parts = await run(chat('[[scenario:no-usage]]'));
    expect(parts.some((part) => part.type === 'usage')).toBe(false);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });

  it('streams a long answer completely', async () => {
    const parts = await run(chat('[[scenario:long tokens=3000]]'));
    expect(parts.filter((part) => part.type === 'text-delta')).toHaveLength(3000);
    expect(parts.at(-1)?.type).toBe('finish');
  });

  it('turns an error chunk mid-stream into an error part after the text', async () => {
    const parts = await run(chat('[[scenario:mid-error after=3 message="Upstream crashed"]]'));
    expect(textOf(parts)).not.toBe('');
    expect(parts.at(-1)).toMatchObject({ type: 'error', code: 'provider:stream', message: expect.stringContaining('Upstream crashed') });
    expect(parts.some((part) => part.type === 'finish')).toBe(false);
  });

  it('ends with an invalid_response error part on garbage SSE', async () => {
    const parts = await run(chat('[[scenario:garbage after=2]]'));
    expect(textOf(parts)).not.toBe('');
    expect(parts.at(-1)).toMatchObject({ type: 'error', code: 'provider:invalid_response' });
    expect(textOf(parts)).not.toContain('after garbage');
  });

  it('ends with a network error part when the connection is reset mid-stream', async () => {
    const parts = await run(chat('[[scenario:reset after=2]]'));
    expect(textOf(parts)).not.toBe('');
    expect(parts.at(-1)).toMatchObject({ type: 'error', code: 'provider:network' });
  });

  it('ends with a timeout error part when chunks stop coming, and closes the connection', async () => {
    const impatient = createOpenAICompatibleProvider({ baseUrl: server.url, appUrl: 'http://x', appName: 'Lab', timeoutMs: 5000, chunkTimeoutMs: 300 });
    const parts = await collect(impatient.streamChat(chat('[[scenario:stall after=2]]'), { signal: new AbortController().signal }));
    expect(parts.at(-1)).toMatchObject({ type: 'error', code: 'provider:timeout', message: expect.stringContaining('0.3 s') });
    const closed = await server.waitForClose(0);
    expect(closed.aborted).toBe(true);
  });

  it('throws a timeout LabError when the headers never come', async () => {
    const slowHeaders = createOpenAICompatibleProvider({ baseUrl: server.url, appUrl: 'http://x', appName: 'Lab', timeoutMs: 200, chunkTimeoutMs: 1000 });
    const error = await rejection(collect(slowHeaders.streamChat(chat('[[scenario:hang]]'), { signal: new AbortController().signal })));
    expect(error.code).toBe('provider:timeout');
    expect(error.message).toContain('did not answer within 0.2 s');
  });

  it('throws a network LabError when nothing listens', async () => {
    const closed = await startOpenRouterServer();
    const deadUrl = closed.url;
    await closed.close();
    const nowhere = createOpenAICompatibleProvider({ baseUrl: deadUrl, appUrl: 'http://x', appName: 'Lab', timeoutMs: 2000, chunkTimeoutMs: 1000 });
    const error = await rejection(collect(nowhere.streamChat(chat('hi'), { signal: new AbortController().signal })));
    expect(error.code).toBe('provider:network');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.retryable).toBe(true);
  });

  it('throws before any part when the reset comes before the first token (so it can be retried)', async () => {
    const error = await rejection(run(chat('[[scenario:reset after=0]]')));
    expect(error.code).toBe('provider:network');
  });

  it.each([
    [400, 'provider:bad_request', 'rejected the request as invalid (400)', false],
    [401, 'provider:auth', 'The provider rejected the API key (401)', false],
    [402, 'provider:credits', 'out of credits (402)', false],
    [403, 'provider:moderation', 'moderation', false],
    [408, 'provider:timeout', 'timed out (408)', true],
    [429, 'provider:rate_limit', 'rate limiting requests (429)', true],
    [502, 'provider:unavailable', 'model is down', true],
    [503, 'provider:unavailable', 'No provider is available', true],
  ] as const)('maps HTTP %i before the stream to %s with the provider message', async (status, code, text, retryable) => {
    const error = await rejection(run(chat(`[[scenario:error status=${status} message="Provider says no"]]`)));
    expect(error.code).toBe(code);
    expect(error.message).toContain(text);
    expect(error.message).toContain('Provider says no');
    expect(error.retryable).toBe(retryable);
  });

  it('carries Retry-After seconds on 429, and makes 402 retryable only with Retry-After', async () => {
    server.enqueue({ type: 'http-error', status: 429, retryAfter: 7 }, { type: 'http-error', status: 402, retryAfter: 30 });
    const rateLimited = await rejection(run(chat('x')));
    expect(rateLimited.retryAfterSeconds).toBe(7);
    expect(rateLimited.message).toContain('Rate limit exceeded');
    const credits = await rejection(run(chat('x')));
    expect(credits.retryable).toBe(true);
  });

  it('streams tool calls with arguments joined per index', async () => {
    const parts = await run(chat('[[scenario:tool-add a=2 b=3]]'));
    const call = parts.find((part) => part.type === 'tool-call');
    expect(call).toMatchObject({ type: 'tool-call', name: 'add_numbers', args: '{"a":2,"b":3}' });
    expect(JSON.parse((call as { args: string }).args)).toEqual({ a: 2, b: 3 });
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('answers with the tool result on the next request (an agent loop end to end)', async () => {
    const first = await run(chat('What is 2+3? [[scenario:tool-add a=2 b=3]]'));
    const call = first.find((part) => part.type === 'tool-call') as Extract<StreamPart, { type: 'tool-call' }>;
    const messages: ChatMessage[] = [
      { role: 'user', content: 'What is 2+3? [[scenario:tool-add a=2 b=3]]' },
      { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.args } }] },
      { role: 'tool', tool_call_id: call.id, content: '5' },
    ];
    const second = await run(chat('', { messages }));
    expect(textOf(second)).toBe('The sum is 5.');
    expect(second.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });

  it('streams a fetch_url call with the given URL', async () => {
    const parts = await run(chat('[[scenario:tool-fetch url=https://example.com/page]]'));
    expect(parts.find((part) => part.type === 'tool-call')).toMatchObject({ name: 'fetch_url', args: '{"url":"https://example.com/page"}' });
  });

  it('makes one JSON request when stream is false and yields the same parts', async () => {
    const parts = await run(chat('[[scenario:normal text="Plain answer." cost=2.5e-06]]', { stream: false }));
    expect(server.chatRequests()[0]?.body).toMatchObject({ stream: false });
    expect(parts).toEqual([
      { type: 'text-delta', delta: 'Plain answer.' },
      { type: 'usage', usage: expect.objectContaining({ completion_tokens: 2, cost: 0.0000025 }) },
      { type: 'finish', finishReason: 'stop', model: 'openai/gpt-4o-mini', generationId: expect.stringMatching(/^gen-/) },
    ]);
  });

  it('yields tool calls from a non-streaming answer', async () => {
    const parts = await run(chat('[[scenario:tool-add a=4 b=5]]', { stream: false }));
    expect(parts[0]).toMatchObject({ type: 'tool-call', name: 'add_numbers', args: '{"a":4,"b":5}' });
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('throws invalid_response when a non-streaming answer is not JSON', async () => {
    const error = await rejection(run(chat('[[scenario:garbage]]', { stream: false })));
    expect(error.code).toBe('provider:invalid_response');
  });

  it('closes the upstream socket at once when the caller aborts mid-stream', async () => {
    const controller = new AbortController();
    const stream = provider.streamChat(chat('[[scenario:slow delay=20 tokens=500]]'), { signal: controller.signal });
    const parts: StreamPart[] = [];
    let abortedAt = 0;
    const consumed = (async () => {
      for await (const part of stream) {
        parts.push(part);
        if (parts.length === 3) {
          abortedAt = performance.now();
          controller.abort();
        }
      }
    })();
    await expect(consumed).rejects.toMatchObject({ name: 'AbortError' });
    const record = await server.waitForClose(0);
    const closeMs = record.closedAt! - abortedAt;
    console.log(`abort → upstream socket closed: ${closeMs.toFixed(2)} ms`);
    expect(record.aborted).toBe(true);
    // the slow stream would run for 10 s more; closing within a second means at once
    expect(closeMs).toBeLessThan(1000);
    expect(parts).toHaveLength(3);
  });

  it('closes the upstream socket when the consumer stops reading early', async () => {
    for await (const part of provider.streamChat(chat('[[scenario:slow delay=20 tokens=500]]'), { signal: new AbortController().signal })) {
      if (part.type === 'text-delta') break;
    }
    const record = await server.waitForClose(0);
    expect(record.aborted).toBe(true);
  });

  it('keeps the connection for reuse after a normal end', async () => {
    const fresh = await startOpenRouterServer();
    const reusing = createOpenAICompatibleProvider({ baseUrl: fresh.url, appUrl: 'http://x', appName: 'Lab', timeoutMs: 2000, chunkTimeoutMs: 2000 });
    const once = (content: string) => collect(reusing.streamChat(chat(content), { signal: new AbortController().signal }));
    await once('one');
    // undici hands the connection back to its pool on the next turn of the event loop
    await new Promise((resolve) => setImmediate(resolve));
    await once('two');
    const [first, second] = fresh.chatRequests();
    await fresh.close();
    expect(first?.aborted).toBe(false);
    expect(second?.remotePort).toBe(first?.remotePort);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('1')).toBe(1);
    expect(parseRetryAfter(' 2.5 ')).toBe(2.5);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('under load', () => {
  it('streams 200 concurrent answers completely', async () => {
    // Generous timeouts: this checks completeness under concurrency, not speed (that is bench/).
    const patient = createOpenAICompatibleProvider({ baseUrl: server.url, appUrl: 'http://x', appName: 'Lab', timeoutMs: 20_000, chunkTimeoutMs: 20_000 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, index) => collect(patient.streamChat(chat(`request ${index} [[scenario:long tokens=50]]`), { signal: new AbortController().signal }))),
    );
    expect(results.every((parts) => parts.filter((part) => part.type === 'text-delta').length === 50 && parts.at(-1)?.type === 'finish')).toBe(true);
    expect(server.chatRequests()).toHaveLength(200);
  });
});
