import type { RunRecord } from '../../domain/run.js';

/**
 * OpenAI Chat Completions response objects built from a run: `chat.completion` (one JSON
 * answer) and `chat.completion.chunk` (each streamed `data:` line).
 */

/** A tool call the model asked for, in OpenAI's shape. */
export interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The fields every object of one answer shares. */
export interface CompletionIdentity {
  /** `chatcmpl-<run id>`. */
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
}

const OPENAI_FINISH_REASONS = new Set(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);

/** The run's finish reason as OpenAI names them (`error`, `aborted`, `max_steps` and others → `stop`). */
export function openAiFinishReason(run: RunRecord): string {
  return OPENAI_FINISH_REASONS.has(run.finish_reason) ? run.finish_reason : 'stop';
}

/** OpenAI's `usage`, plus the lab's `cost` (USD) when the run is priced. */
export function openAiUsage(run: RunRecord): Record<string, number> {
  return {
    prompt_tokens: run.prompt_tokens,
    completion_tokens: run.completion_tokens,
    total_tokens: run.total_tokens,
    ...(run.cost_usd !== null ? { cost: run.cost_usd } : {}),
  };
}

/** One `chat.completion.chunk` with one choice (or none: the usage chunk). */
export function completionChunk(options: {
  identity: CompletionIdentity;
  delta?: Record<string, unknown>;
  finishReason?: string | null;
  usage?: Record<string, number> | null;
  /** `stream_options.include_usage`: every chunk carries `usage` (null but on the last). */
  includeUsage: boolean;
}): Record<string, unknown> {
  const { identity } = options;
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    system_fingerprint: null,
    choices: options.delta === undefined ? [] : [{ index: 0, delta: options.delta, logprobs: null, finish_reason: options.finishReason ?? null }],
    ...(options.includeUsage ? { usage: options.usage ?? null } : {}),
  };
}

/** The whole `chat.completion` answer. */
export function completion(options: { identity: CompletionIdentity; run: RunRecord; text: string; toolCalls: OpenAiToolCall[] }): Record<string, unknown> {
  const { identity, run, text, toolCalls } = options;
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && toolCalls.length > 0 ? null : text,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: openAiFinishReason(run),
      },
    ],
    usage: openAiUsage(run),
  };
}
