import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../domain/stream-part.js';
import { createStreamDecoder } from './stream-decoder.js';

function fixture(name: string): string {
  return readFileSync(new URL(`./__fixtures__/${name}.chunks.txt`, import.meta.url), 'utf8');
}

/** Replays a fixture through the decoder in pieces of `size` characters, like a socket would. */
function replay(text: string, size: number, generationId?: string): StreamPart[] {
  const decoder = createStreamDecoder({ generationId });
  const parts: StreamPart[] = [];
  for (let offset = 0; offset < text.length; offset += size) parts.push(...decoder.feed(text.slice(offset, offset + size)));
  parts.push(...decoder.end());
  return parts;
}

describe('createStreamDecoder on recorded SSE', () => {
  it.each([1, 7, 64, 100_000])('decodes an OpenRouter text stream split every %i characters', (size) => {
    const parts = replay(fixture('openrouter-text'), size, 'gen-from-header');
    expect(parts).toEqual([
      { type: 'text-delta', delta: 'Hello' },
      { type: 'text-delta', delta: ', world' },
      { type: 'text-delta', delta: '!' },
      // usage came in its own chunk after the finish chunk, cost in exponent form
      { type: 'usage', usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16, cost: 0.000013 } },
      { type: 'finish', finishReason: 'stop', model: 'openai/gpt-4o-mini', generationId: 'gen-from-header' },
    ]);
  });

  it('falls back to the chunk id as generation id when no header carried one', () => {
    const finish = replay(fixture('openrouter-text'), 50).at(-1);
    expect(finish).toMatchObject({ type: 'finish', generationId: 'gen-1760000000-AbCdEfGh' });
  });

  it('joins tool-call arguments per index and emits the calls when the step finishes', () => {
    expect(replay(fixture('openrouter-tool-calls'), 13)).toEqual([
      { type: 'tool-call', id: 'call_abc123', name: 'add_numbers', args: '{"a":2,"b":3}' },
      { type: 'tool-call', id: 'call_def456', name: 'utc_now', args: '{}' },
      { type: 'usage', usage: { prompt_tokens: 85, completion_tokens: 18, total_tokens: 103, cost: 0.00002355 } },
      { type: 'finish', finishReason: 'tool_calls', model: 'openai/gpt-4o-mini', generationId: 'gen-1760000100-ToolCall' },
    ]);
  });

  it('turns an error chunk mid-stream into one error part with the provider message', () => {
    const parts = replay(fixture('openrouter-mid-stream-error'), 10);
    expect(parts.filter((part) => part.type === 'text-delta').map((part) => (part as { delta: string }).delta).join('')).toBe('The answer is');
    expect(parts.at(-1)).toMatchObject({ type: 'error', code: 'provider:stream', message: expect.stringContaining('Provider disconnected unexpectedly') });
    expect(parts.filter((part) => part.type === 'error')).toHaveLength(1);
    expect(parts.some((part) => part.type === 'finish')).toBe(false);
  });

  it('finishes without usage when the server sends none', () => {
    const parts = replay(fixture('openai-no-usage'), 33);
    expect(parts.some((part) => part.type === 'usage')).toBe(false);
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'length', model: 'llama3.2:1b', generationId: 'chatcmpl-9xYz' });
  });

  it('stops at a non-JSON data line with an invalid_response error part', () => {
    const parts = replay(fixture('garbage'), 20);
    expect(parts[0]).toEqual({ type: 'text-delta', delta: 'Partial' });
    expect(parts[1]).toMatchObject({ type: 'error', code: 'provider:invalid_response', message: expect.stringContaining('not JSON') });
    expect(parts).toHaveLength(2);
  });

  it('reports a stream that ends before any finish as an error', () => {
    const text = fixture('openrouter-text').split('\n\n').slice(0, 4).join('\n\n');
    expect(replay(text, 1000).at(-1)).toMatchObject({ type: 'error', code: 'provider:stream' });
  });

  it('accepts a last event without its blank line and numbers sent as strings', () => {
    const decoder = createStreamDecoder();
    decoder.feed('data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}],"usage":{"prompt_tokens":"3","completion_tokens":1,"cost":"2E-6"}}');
    expect(decoder.end()).toEqual([
      { type: 'text-delta', delta: 'x' },
      { type: 'usage', usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, cost: 0.000002 } },
      { type: 'finish', finishReason: 'stop', model: undefined, generationId: undefined },
    ]);
  });
});

describe('createStreamDecoder: plain text chunks and odd ones', () => {
  const decode = (...chunks: string[]) => {
    const decoder = createStreamDecoder();
    const parts = decoder.feed(chunks.map((chunk) => `data: ${chunk}\n\n`).join(''));
    return [...parts, ...decoder.end()];
  };

  it('reads plain deltas with nulls and extra fields, without choices, and with a null delta', () => {
    expect(
      decode(
        '{"id":null,"model":"a/b","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi","refusal":null},"finish_reason":null,"logprobs":null}]}',
        '{"choices":[]}',
        '{"id":"gen-1"}',
        '{"choices":[{"delta":null,"finish_reason":null}]}',
        '{"choices":[{"delta":{"content":null}},{"delta":{"content":"!"}}]}',
        '{"choices":[{"delta":{},"finish_reason":"stop"}]}',
        '[DONE]',
      ),
    ).toEqual([
      { type: 'text-delta', delta: 'Hi' },
      { type: 'text-delta', delta: '!' },
      { type: 'finish', finishReason: 'stop', model: 'a/b', generationId: 'gen-1' },
    ]);
  });

  it.each([
    ['content that is not a string', '{"choices":[{"delta":{"content":5}}]}'],
    ['a delta that is an array', '{"choices":[{"delta":["x"]}]}'],
    ['choices that are not a list', '{"choices":{"0":{"delta":{"content":"x"}}}}'],
    ['an id that is a number', '{"id":7,"choices":[{"delta":{"content":"x"}}]}'],
    ['an index that is a string', '{"choices":[{"index":"0","delta":{"content":"x"}}]}'],
    ['a JSON array', '[{"choices":[]}]'],
    ['a JSON string', '"hello"'],
  ])('rejects %s as a chunk of an unexpected shape', (_what, chunk) => {
    expect(decode(chunk)).toEqual([expect.objectContaining({ type: 'error', code: 'provider:invalid_response', message: expect.stringContaining('unexpected shape') })]);
  });
});
