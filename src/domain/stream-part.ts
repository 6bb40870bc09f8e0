/**
 * What a provider stream yields: a discriminated union of parts. An error mid-stream is a
 * part, not a throw, so the runner can record what arrived before it.
 */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** USD as reported by the provider (OpenRouter's `usage.cost`), when it reports one. */
  cost?: number | undefined;
}

export type StreamPart =
  /**
   * `receivedAt`: when the bytes carrying it arrived (`performance.now()`); deltas decoded from
   * one network read share it, so a burst reads as one arrival however long the lab takes
   * over it. Absent when the provider produces text itself (local models).
   */
  | { type: 'text-delta'; delta: string; receivedAt?: number | undefined }
  | { type: 'tool-call'; id: string; name: string; args: string }
  | { type: 'usage'; usage: Usage }
  | { type: 'finish'; finishReason: string; model?: string | undefined; generationId?: string | undefined }
  | { type: 'error'; code: string; message: string; retryable: boolean };

/** A chat message as sent to a provider (OpenAI chat-completions shape). */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
    }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A tool as offered to the model (OpenAI function-calling shape). */
export interface ToolDefinition {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** OpenAI's `tool_choice`: let the model decide, forbid tools, require one, or name the one. */
export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };
