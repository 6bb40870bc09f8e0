import type { ChatMessage, StreamPart, ToolDefinition } from '../domain/stream-part.js';

/** One provider call: everything the model needs, nothing about the lab. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature: number;
  topP: number;
  maxTokens: number;
  seed?: number | null | undefined;
  tools?: ToolDefinition[] | undefined;
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
