import type { ChatMessage, StreamPart, ToolChoice, ToolDefinition } from '../domain/stream-part.js';

/** One provider call: everything the model needs, nothing about the lab. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  /** Sampling parameters; undefined leaves the model's own default (OpenAI endpoint callers that set none). */
  temperature?: number | undefined;
  topP?: number | undefined;
  maxTokens?: number | undefined;
  seed?: number | null | undefined;
  tools?: ToolDefinition[] | undefined;
  /** Which tool the model must (or must not) call; only with `tools`. */
  toolChoice?: ToolChoice | undefined;
  /** Sequences that end the answer. */
  stop?: string[] | undefined;
  /** OpenAI's `response_format` (`{type: "json_object"}`, `{type: "json_schema", ...}`), passed on as given. */
  responseFormat?: Record<string, unknown> | undefined;
  /** `false` makes the provider call non-streaming (the parts still arrive as a stream). */
  stream: boolean;
}

/**
 * A source of models that answers as a stream of parts. Aborting `signal` must close the
 * upstream connection at once; failures before the first part may throw a LabError,
 * failures after it arrive as an `error` part.
 */
export interface ChatProvider {
  readonly id: string;
  streamChat(request: ChatRequest, options: { signal: AbortSignal }): AsyncIterable<StreamPart>;
}
