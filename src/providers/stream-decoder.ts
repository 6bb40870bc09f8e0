import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { ErrorCode } from '../domain/errors.js';
import type { StreamPart, Usage } from '../domain/stream-part.js';
import { chunkSchema, type Chunk, type usageSchema } from './openai-compatible-schemas.js';
import type { z } from 'zod';

/** An error part whose code is one of the lab's registered codes. */
export type ErrorPart = Extract<StreamPart, { type: 'error' }> & { code: ErrorCode };

/**
 * Turns the text of an OpenAI-compatible SSE stream into StreamParts: text deltas as they
 * come, tool calls (arguments joined per `index`) when the step finishes, then usage (from
 * whichever chunk carried it) and `finish`. An error chunk, a non-JSON data line or a chunk
 * of the wrong shape ends the stream with one error part. Pure: no I/O, so recorded SSE
 * fixtures can be replayed through it.
 */
export interface StreamDecoder {
  /** Feed the next piece of the response text; returns the parts it completed. */
  feed(text: string): StreamPart[];
  /** The response ended: returns the closing parts (or an error part if it ended early). */
  end(): StreamPart[];
  /** True once `[DONE]`, an error, or `end()` has been seen; later input is ignored. */
  readonly done: boolean;
  /**
   * True once a chunk carried a (non-error) `finish_reason`: the answer is complete even if
   * usage and `[DONE]` are still to come.
   */
  readonly answerFinished: boolean;
}

export function createStreamDecoder(options: { generationId?: string | undefined } = {}): StreamDecoder {
  let done = false;
  let finishReason: string | undefined;
  let model: string | undefined;
  let chunkId: string | undefined;
  let usage: Usage | undefined;
  const toolCalls = new Map<number, { id: string; name: string; args: string }>();
  let parts: StreamPart[] = [];

  const fail = (part: ErrorPart) => {
    parts.push(part);
    done = true;
  };

  const flushToolCalls = () => {
    for (const [index, call] of [...toolCalls].sort(([a], [b]) => a - b)) {
      parts.push({ type: 'tool-call', id: call.id || `call_${index}`, name: call.name, args: call.args });
    }
    toolCalls.clear();
  };

  const finish = () => {
    flushToolCalls();
    if (usage) parts.push({ type: 'usage', usage });
    parts.push({ type: 'finish', finishReason: finishReason ?? 'stop', model, generationId: options.generationId ?? chunkId });
    done = true;
  };

  const onChunk = (chunk: Chunk) => {
    if (chunk.model) model = chunk.model;
    if (chunk.id && !chunkId) chunkId = chunk.id;
    if (chunk.usage) usage = toUsage(chunk.usage);
    if (chunk.error) {
      const message = chunk.error.message ?? `error code ${String(chunk.error.code ?? 'unknown')}`;
      return fail({ type: 'error', code: 'provider:stream', message: `The provider failed mid-stream: ${message}`, retryable: true });
    }
    for (const choice of chunk.choices ?? []) {
      const delta = choice.delta;
      if (delta?.content) parts.push({ type: 'text-delta', delta: delta.content });
      for (const call of delta?.tool_calls ?? []) {
        const index = call.index ?? 0;
        const entry = toolCalls.get(index) ?? { id: '', name: '', args: '' };
        if (call.id) entry.id = call.id;
        if (call.function?.name) entry.name += call.function.name;
        if (call.function?.arguments) entry.args += call.function.arguments;
        toolCalls.set(index, entry);
      }
      if (choice.finish_reason) {
        if (choice.finish_reason === 'error') {
          return fail({ type: 'error', code: 'provider:stream', message: 'The provider ended the stream with an error', retryable: true });
        }
        finishReason = choice.finish_reason;
        // The step is over: its tool calls are complete even if usage is still to come.
        flushToolCalls();
      }
    }
  };

  const onEvent = (event: EventSourceMessage) => {
    if (done) return;
    if (event.data === '[DONE]') return finish();
    let json: unknown;
    try {
      json = JSON.parse(event.data);
    } catch (error) {
      return fail({
        type: 'error',
        code: 'provider:invalid_response',
        message: `The provider sent a stream line that is not JSON: ${snippet(event.data)} (${(error as Error).message})`,
        retryable: true,
      });
    }
    // Nearly every chunk is a plain text delta: check its shape by hand; anything else
    // (usage, errors, tool calls, odd types) goes through the schema.
    if (isPlainChunk(json)) return onChunk(json);
    const parsed = chunkSchema.safeParse(json);
    if (!parsed.success) {
      return fail({
        type: 'error',
        code: 'provider:invalid_response',
        message: `The provider sent a chunk of an unexpected shape: ${snippet(event.data)} (${parsed.error.issues[0]?.message ?? 'invalid'})`,
        retryable: true,
      });
    }
    onChunk(parsed.data);
  };

  // Comment lines (`: OPENROUTER PROCESSING`) are keep-alives: no onComment handler drops them.
  const parser = createParser({ onEvent });

  return {
    get done() {
      return done;
    },
    get answerFinished() {
      return finishReason !== undefined;
    },
    feed(text) {
      if (!done) parser.feed(text);
      const out = parts;
      parts = [];
      return out;
    },
    end() {
      if (!done) {
        // A last event without its closing blank line still counts.
        parser.feed('\n\n');
      }
      if (!done) {
        if (finishReason !== undefined) finish();
        else fail({ type: 'error', code: 'provider:stream', message: 'The provider closed the stream before the answer finished', retryable: true });
      }
      const out = parts;
      parts = [];
      return out;
    },
  };
}

const isNullish = (value: unknown): value is null | undefined => value === undefined || value === null;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isOptionalString = (value: unknown) => value === undefined || value === null || typeof value === 'string';

/**
 * True when `json` is a chunk `chunkSchema` accepts unchanged and that carries no usage,
 * error or tool calls: `{id?, model?, choices: [{index?, delta: {content?}, finish_reason?}]}`
 * (other fields are ignored, as the schema ignores them).
 */
function isPlainChunk(json: unknown): json is Chunk {
  if (!isObject(json)) return false;
  if (!isNullish(json.usage) || !isNullish(json.error) || !isOptionalString(json.id) || !isOptionalString(json.model)) return false;
  const choices = json.choices;
  if (isNullish(choices)) return true;
  if (!Array.isArray(choices)) return false;
  for (const choice of choices) {
    if (!isObject(choice)) return false;
    if (!(isNullish(choice.index) || typeof choice.index === 'number') || !isOptionalString(choice.finish_reason)) return false;
    const delta = choice.delta;
    if (isNullish(delta)) continue;
    if (!isObject(delta) || !isOptionalString(delta.content) || !isNullish(delta.tool_calls)) return false;
  }
  return true;
}

/** Usage in the lab's shape; missing counts are 0, total defaults to prompt + completion. */
export function toUsage(raw: z.infer<typeof usageSchema>): Usage {
  const prompt = raw.prompt_tokens ?? 0;
  const completion = raw.completion_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: raw.total_tokens ?? prompt + completion,
    cost: raw.cost ?? undefined,
  };
}

function snippet(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
