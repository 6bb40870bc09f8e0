import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LabError } from '../domain/errors.js';
import type { StreamPart } from '../domain/stream-part.js';
import type { ProviderObserver } from '../ops/observers.js';
import { startOpenRouterServer, type OpenRouterServer } from '../../test/support/openrouter-server.js';
import { createOpenAICompatibleProvider } from './openai-compatible.js';
import type { ChatRequest } from './provider.js';
import { createResilientProvider, DEFAULT_MAX_BREAKERS, type ResilientProviderOptions } from './resilience.js';

let server: OpenRouterServer;

beforeAll(async () => {
  server = await startOpenRouterServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function recordingObserver() {
  const events: Array<{ kind: string } & Record<string, unknown>> = [];
  const observer: ProviderObserver = {
    request: (event) => void events.push({ kind: 'request', ...event }),
    failure: (event) => void events.push({ kind: 'failure', ...event }),
    retry: (event) => void events.push({ kind: 'retry', ...event }),
    breakerStateChanged: (event) => void events.push({ kind: 'breaker', ...event }),
  };
  return { events, observer, of: (kind: string) => events.filter((event) => event.kind === kind) };
}

afterEach(() => {
  vi.useRealTimers();
});

function resilient(overrides: Partial<ResilientProviderOptions> = {}) {
  const recorder = recordingObserver();
  const provider = createResilientProvider({
    provider: createOpenAICompatibleProvider({ baseUrl: server.url, appUrl: 'http://x', appName: 'Lab', timeoutMs: 2000, chunkTimeoutMs: 2000 }),
    baseUrl: server.url,
    observer: recorder.observer,
    initialDelayMs: 5,
    maxDelayMs: 20,
    ...overrides,
  });
  return { provider, ...recorder };
}

const chat = (content: string, model = 'openai/gpt-4o-mini'): ChatRequest => ({
  model,
  messages: [{ role: 'user', content }],
  temperature: 0.7,
  topP: 1,
  maxTokens: 100,
  stream: true,
});

async function collect(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

async function rejection(promise: Promise<unknown>): Promise<LabError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(LabError);
  return error as LabError;
}

const signal = () => new AbortController().signal;

describe('resilient provider: the fault matrix', () => {
  it('retries 503 twice, then succeeds on the third call', async () => {
    const { provider, of } = resilient();
    server.enqueue({ type: 'http-error', status: 503 }, { type: 'http-error', status: 503 });
    const parts = await collect(provider.streamChat(chat('hi [[scenario:normal text="Fine now."]]'), { signal: signal() }));
    expect(parts.at(-1)).toMatchObject({ type: 'finish' });
    expect(parts.filter((part) => part.type === 'text-delta').map((part) => (part as { delta: string }).delta).join('')).toBe('Fine now.');
    expect(server.chatRequests()).toHaveLength(3);
    expect(of('request')).toHaveLength(3);
    expect(of('retry').map((event) => event.attempt)).toEqual([1, 2]);
    expect(of('failure')).toEqual([
      expect.objectContaining({ code: 'provider:unavailable', status: 503 }),
      expect.objectContaining({ code: 'provider:unavailable', status: 503 }),
    ]);
    expect(provider.breakerStates()[0]).toMatchObject({ state: 'closed', failures: 0 });
  });

  it('waits for Retry-After on 429 before trying again', async () => {
    const { provider, of } = resilient();
    server.enqueue({ type: 'http-error', status: 429, retryAfter: 1 });
    const parts = await collect(provider.streamChat(chat('hi'), { signal: signal() }));
    expect(parts.at(-1)?.type).toBe('finish');
    const [limited, retried] = server.chatRequests();
    expect(retried!.receivedAt - limited!.receivedAt).toBeGreaterThanOrEqual(995);
    expect(of('retry')[0]).toMatchObject({ attempt: 1, delayMs: expect.any(Number) });
    expect(of('retry')[0]!.delayMs as number).toBeGreaterThanOrEqual(1000);
  });

  it('gives up after maxAttempts and throws the last error', async () => {
    const { provider } = resilient({ maxAttempts: 2 });
    const error = await rejection(collect(provider.streamChat(chat('[[scenario:error status=502]]'), { signal: signal() })));
    expect(error.code).toBe('provider:unavailable');
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('does not retry when Retry-After is longer than it is willing to wait', async () => {
    const { provider } = resilient({ maxRetryAfterSeconds: 5 });
    server.enqueue({ type: 'http-error', status: 429, retryAfter: 120 });
    const error = await rejection(collect(provider.streamChat(chat('hi'), { signal: signal() })));
    expect(error).toMatchObject({ code: 'provider:rate_limit', retryAfterSeconds: 120 });
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('never retries a client error such as 401, and does not count it against the breaker', async () => {
    const { provider } = resilient();
    const error = await rejection(collect(provider.streamChat(chat('[[scenario:error status=401]]'), { signal: signal() })));
    expect(error.code).toBe('provider:auth');
    expect(server.chatRequests()).toHaveLength(1);
    expect(provider.breakerStates()[0]).toMatchObject({ state: 'closed', failures: 0 });
  });

  it('makes exactly one call for a mid-stream error and passes the error part on', async () => {
    const { provider, of } = resilient();
    const parts = await collect(provider.streamChat(chat('[[scenario:mid-error after=3]]'), { signal: signal() }));
    expect(server.chatRequests()).toHaveLength(1);
    expect(parts.filter((part) => part.type === 'text-delta').length).toBeGreaterThan(0);
    expect(parts.filter((part) => part.type === 'error')).toEqual([expect.objectContaining({ code: 'provider:stream' })]);
    expect(of('failure')).toEqual([expect.objectContaining({ code: 'provider:stream' })]);
    expect(provider.breakerStates()[0]).toMatchObject({ failures: 1 });
  });

  it('never retries once text has streamed, even on a connection reset', async () => {
    const { provider } = resilient();
    const parts = await collect(provider.streamChat(chat('[[scenario:reset after=2]]'), { signal: signal() }));
    expect(server.chatRequests()).toHaveLength(1);
    expect(parts.at(-1)).toMatchObject({ type: 'error', code: 'provider:network' });
  });

  it('retries a reset that comes before the first token', async () => {
    const { provider } = resilient();
    server.enqueue({ type: 'reset', afterTokens: 0 });
    const parts = await collect(provider.streamChat(chat('hi'), { signal: signal() }));
    expect(parts.at(-1)?.type).toBe('finish');
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('finishes a run without usage when the stream has none', async () => {
    const { provider } = resilient();
    const parts = await collect(provider.streamChat(chat('[[scenario:no-usage]]'), { signal: signal() }));
    expect(parts.some((part) => part.type === 'usage')).toBe(false);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('opens the breaker after 5 failed runs, fails fast without calling, and closes after a good trial run', async () => {
    // the breaker's clock is Date (cockatiel reads Date.now()): faked and moved by the test
    vi.useFakeTimers({ toFake: ['Date'] });
    const { provider, of } = resilient({ maxAttempts: 2, resetSeconds: 60 });
    const model = 'flaky/model';
    for (let run = 0; run < 5; run++) {
      const error = await rejection(collect(provider.streamChat(chat('[[scenario:error status=502]]', model), { signal: signal() })));
      expect(error.code).toBe('provider:unavailable');
    }
    expect(server.chatRequests()).toHaveLength(10);
    expect(provider.breakerStates()).toEqual([
      expect.objectContaining({ model, baseUrl: server.url, state: 'open', failures: 5, openedAt: expect.any(String) }),
    ]);

    const started = performance.now();
    const open = await rejection(collect(provider.streamChat(chat('[[scenario:normal]]', model), { signal: signal() })));
    expect(open.code).toBe('provider:circuit_open');
    expect(open.message).toContain('flaky/model');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(server.chatRequests()).toHaveLength(10);

    // Other models at the same base URL have their own breaker.
    const other = await collect(provider.streamChat(chat('hi', 'openai/gpt-4o'), { signal: signal() }));
    expect(other.at(-1)?.type).toBe('finish');

    const requestsBefore = server.chatRequests().length;
    vi.setSystemTime(Date.now() + 59_000);
    const stillOpen = await rejection(collect(provider.streamChat(chat('[[scenario:normal]]', model), { signal: signal() })));
    expect(stillOpen.code).toBe('provider:circuit_open');
    expect(server.chatRequests()).toHaveLength(requestsBefore);
    vi.setSystemTime(Date.now() + 1_001);
    const trial = await collect(provider.streamChat(chat('[[scenario:normal]]', model), { signal: signal() }));
    expect(trial.at(-1)?.type).toBe('finish');
    expect(provider.breakerStates().find((status) => status.model === model)).toMatchObject({ state: 'closed', failures: 0 });
    expect(provider.breakerStates().find((status) => status.model === model)?.openedAt).toBeUndefined();
    expect(of('breaker').map((event) => event.state)).toEqual(['open', 'half-open', 'closed']);
    expect(of('failure').filter((event) => event.code === 'provider:circuit_open')).toHaveLength(2);
  });

  it('counts mid-stream error parts as failed runs and reopens after a failed trial', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { provider } = resilient({ failureThreshold: 2, resetSeconds: 60 });
    for (let run = 0; run < 2; run++) await collect(provider.streamChat(chat('[[scenario:mid-error]]'), { signal: signal() }));
    expect(provider.breakerStates()[0]).toMatchObject({ state: 'open' });
    vi.setSystemTime(Date.now() + 60_001);
    const trial = await collect(provider.streamChat(chat('[[scenario:mid-error]]'), { signal: signal() }));
    expect(trial.at(-1)?.type).toBe('error');
    expect(provider.breakerStates()[0]).toMatchObject({ state: 'open' });
    expect(server.chatRequests()).toHaveLength(3);
  });

  it('stops waiting between attempts as soon as the caller aborts', async () => {
    const { provider } = resilient();
    server.enqueue({ type: 'http-error', status: 429, retryAfter: 5 });
    const controller = new AbortController();
    const pending = collect(provider.streamChat(chat('hi'), { signal: controller.signal }));
    await server.waitForRequest(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const abortedAt = performance.now();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - abortedAt).toBeLessThan(1000); // the Retry-After wait was 5 s
    expect(server.chatRequests()).toHaveLength(1);
    expect(provider.breakerStates()[0]).toMatchObject({ state: 'closed', failures: 0 });
  });

  it('passes the abort through to the upstream socket mid-stream', async () => {
    const { provider } = resilient();
    const controller = new AbortController();
    let abortedAt = 0;
    const consumed = (async () => {
      let count = 0;
      for await (const part of provider.streamChat(chat('[[scenario:slow delay=20 tokens=500]]'), { signal: controller.signal })) {
        if (part.type === 'text-delta' && ++count === 2) {
          abortedAt = performance.now();
          controller.abort();
        }
      }
    })();
    await expect(consumed).rejects.toMatchObject({ name: 'AbortError' });
    const record = await server.waitForClose(0);
    console.log(`abort through the resilient wrapper → upstream socket closed: ${(record.closedAt! - abortedAt).toFixed(2)} ms`);
    expect(record.aborted).toBe(true);
    expect(record.closedAt! - abortedAt).toBeLessThan(1000);
    expect(server.chatRequests()).toHaveLength(1);
    expect(provider.breakerStates()[0]).toMatchObject({ state: 'closed', failures: 0 });
  });
});

describe('the breaker cap', () => {
  it('keeps at most maxBreakers through thousands of model ids, and keeps the open and the failing ones', async () => {
    const { provider } = resilient({ failureThreshold: 2, maxAttempts: 1, resetSeconds: 60 });
    // One model's breaker opens; another has one failure counted.
    for (let run = 0; run < 2; run++) await rejection(collect(provider.streamChat(chat('[[scenario:error status=502]]', 'doomed/model'), { signal: signal() })));
    await rejection(collect(provider.streamChat(chat('[[scenario:error status=502]]', 'shaky/model'), { signal: signal() })));

    const ids = Array.from({ length: 2500 }, (_, index) => `user-chosen/model-${index}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < ids.length) {
          const parts = await collect(provider.streamChat(chat('hi', ids[next++]!), { signal: signal() }));
          expect(parts.at(-1)?.type).toBe('finish');
        }
      }),
    );
    expect(server.chatRequests()).toHaveLength(2503);

    const states = provider.breakerStates();
    expect(states).toHaveLength(DEFAULT_MAX_BREAKERS);
    expect(states.find((state) => state.model === 'doomed/model')).toMatchObject({ state: 'open', failures: 2 });
    expect(states.find((state) => state.model === 'shaky/model')).toMatchObject({ state: 'closed', failures: 1 });
    // The most recent ids are kept, the oldest idle ones forgotten.
    expect(states.some((state) => state.model === ids.at(-1))).toBe(true);
    expect(states.some((state) => state.model === ids[0])).toBe(false);

    // The open breaker still protects the provider.
    const open = await rejection(collect(provider.streamChat(chat('hi', 'doomed/model'), { signal: signal() })));
    expect(open.code).toBe('provider:circuit_open');
    expect(server.chatRequests()).toHaveLength(2503);
  });
});
