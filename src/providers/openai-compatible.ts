/**
 * A ChatProvider for any OpenAI-compatible `chat/completions` endpoint (OpenRouter by
 * default; Ollama, llama.cpp, vLLM by base URL). Streams over fetch + eventsource-parser,
 * maps OpenRouter's error statuses to LabErrors with clear messages, and threads the
 * caller's AbortSignal to the socket so Stop closes the upstream connection at once.
 */
import { LabError, type ErrorCode } from '../domain/errors.js';
import type { StreamPart } from '../domain/stream-part.js';
import { completionSchema, errorBodySchema } from './openai-compatible-schemas.js';
import type { ChatProvider, ChatRequest } from './provider.js';
import { createStreamDecoder, toUsage, type ErrorPart } from './stream-decoder.js';

export interface OpenAICompatibleProviderOptions {
  /** Base URL without the trailing `/chat/completions`, e.g. `https://openrouter.ai/api/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>` when present. */
  apiKey?: string | undefined;
  /** The app's URL (`HTTP-Referer`, OpenRouter's attribution). */
  appUrl: string;
  /** The app's name (`X-Title` / `X-OpenRouter-Title`). */
  appName: string;
  /** Maximum wait for the response headers (connect included), ms. */
  timeoutMs: number;
  /** Maximum gap between two pieces of the response body, ms. */
  chunkTimeoutMs: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** The provider's id (default: `openrouter` for openrouter.ai, else `openai-compatible`). */
  id?: string;
}

/** Why the adapter aborted its own request (as opposed to the caller aborting). */
class TimeoutAbort extends Error {
  override readonly name = 'TimeoutAbort';
  constructor(readonly phase: 'headers' | 'chunk') {
    super(`provider ${phase} timeout`);
  }
}

/**
 * Create the provider. On abort of `signal` the iterable throws `signal.reason` (an
 * AbortError by default) after closing the connection. Failures before the first part
 * throw a LabError; later failures arrive as one `error` part, which ends the stream.
 */
export function createOpenAICompatibleProvider(options: OpenAICompatibleProviderOptions): ChatProvider {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const endpoint = `${baseUrl}/chat/completions`;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const id = options.id ?? (new URL(baseUrl).hostname.endsWith('openrouter.ai') ? 'openrouter' : 'openai-compatible');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'http-referer': toHeaderValue(options.appUrl),
    'x-title': toHeaderValue(options.appName),
    'x-openrouter-title': toHeaderValue(options.appName),
  };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;

  async function* streamChat(request: ChatRequest, { signal }: { signal: AbortSignal }): AsyncGenerator<StreamPart> {
    signal.throwIfAborted();
    const controller = new AbortController();
    const forwardAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', forwardAbort, { once: true });
    let headersTimer: NodeJS.Timeout | undefined = setTimeout(() => controller.abort(new TimeoutAbort('headers')), options.timeoutMs);
    let completed = false;
    /** Set once `[DONE]` came: the answer is whole even if the body has not ended yet. */
    let drainable: ReadableStreamDefaultReader<string> | undefined;
    let yielded = 0;
    const what = `POST ${endpoint}`;

    /** Before the first part a failure is thrown (so it can be retried); after it, it is a part. */
    function failure(part: ErrorPart): ErrorPart {
      if (yielded === 0) throw new LabError(part.code, part.message, { retryable: part.retryable });
      return part;
    }

    try {
      let response: Response;
      try {
        response = await fetchImpl(endpoint, {
          method: 'POST',
          headers: request.stream ? { ...headers, accept: 'text/event-stream' } : { ...headers, accept: 'application/json' },
          body: JSON.stringify(requestBody(request)),
          signal: controller.signal,
        });
      } catch (error) {
        throw requestFailure({ error, signal, controller, what, timeoutMs: options.timeoutMs });
      }

      if (!response.ok) {
        let text = '';
        try {
          text = await response.text();
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          text = `(could not read the error body: ${(error as Error).message})`;
        }
        throw httpError({ status: response.status, bodyText: text, retryAfter: response.headers.get('retry-after') });
      }
      clearTimeout(headersTimer);
      headersTimer = undefined;
      const generationId = response.headers.get('x-generation-id') ?? undefined;
      if (!response.body) throw new LabError('provider:invalid_response', `The provider sent an empty response: ${what}`);

      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      /** Reads the next piece of the body, or describes why it could not. */
      const read = async (): Promise<{ text: string } | { end: true } | { error: ErrorPart }> => {
        const gapTimer = setTimeout(() => controller.abort(new TimeoutAbort('chunk')), options.chunkTimeoutMs);
        try {
          const result = await reader.read();
          return result.done ? { end: true } : { text: result.value };
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          if (controller.signal.reason instanceof TimeoutAbort) {
            return {
              error: {
                type: 'error',
                code: 'provider:timeout',
                message: `The provider sent nothing for ${formatSeconds(options.chunkTimeoutMs)} mid-answer: ${what}`,
                retryable: true,
              },
            };
          }
          return {
            error: {
              type: 'error',
              code: 'provider:network',
              message: `The connection to the provider was lost mid-answer (${describeNetworkError(error)}): ${what}`,
              retryable: true,
            },
          };
        } finally {
          clearTimeout(gapTimer);
        }
      };

      if (!request.stream) {
        let text = '';
        for (;;) {
          const piece = await read();
          if ('error' in piece) {
            yield failure(piece.error);
            return;
          }
          if ('end' in piece) break;
          text += piece.text;
        }
        completed = true;
        for (const part of completionParts(text, generationId, what)) {
          yield part;
          yielded++;
        }
        return;
      }

      const decoder = createStreamDecoder({ generationId });
      for (;;) {
        const piece = await read();
        const parts = 'error' in piece ? [piece.error as ErrorPart] : 'end' in piece ? decoder.end() : decoder.feed(piece.text);
        if (!('error' in piece) && !('end' in piece) && decoder.done && parts.at(-1)?.type === 'finish') drainable = reader;
        for (const part of parts) {
          yield part.type === 'error' ? failure(part as ErrorPart) : part;
          yielded++;
        }
        if ('end' in piece) {
          completed = true;
          return;
        }
        if (drainable) {
          // `[DONE]` arrived; let the response end on its own so the connection is reused.
          await drain(reader, controller);
          completed = true;
          return;
        }
        if ('error' in piece || decoder.done) return;
      }
    } finally {
      if (headersTimer) clearTimeout(headersTimer);
      signal.removeEventListener('abort', forwardAbort);
      // Early return, error, [DONE] before the socket ended, or a consumer that stopped
      // reading: close the upstream connection now rather than let it drain.
      if (!completed && !controller.signal.aborted) {
        if (drainable && !signal.aborted) void drain(drainable, controller);
        else controller.abort(new Error('stream closed by the consumer'));
      }
    }
  }

  return { id, streamChat };
}

/** Read what is left after `[DONE]` (normally nothing), closing the connection if it lingers. */
function drain(reader: ReadableStreamDefaultReader<string>, controller: AbortController): Promise<void> {
  const timer = setTimeout(() => controller.abort(new Error('response did not end after [DONE]')), 1000);
  const next = (): Promise<void> => reader.read().then((result) => (result.done ? undefined : next()));
  return next()
    .catch(() => undefined) // the answer is complete; a late socket error changes nothing
    .finally(() => clearTimeout(timer));
}

/** The JSON body of a chat-completions request. */
function requestBody(request: ChatRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: request.model,
    messages: request.messages,
    temperature: request.temperature,
    top_p: request.topP,
    max_tokens: request.maxTokens,
    stream: request.stream,
    // OpenRouter: usage accounting (harmless where usage is always on). OpenAI-style
    // servers report streamed usage only with stream_options.include_usage.
    usage: { include: true },
  };
  if (request.stream) body.stream_options = { include_usage: true };
  if (request.seed !== undefined && request.seed !== null) body.seed = request.seed;
  if (request.tools && request.tools.length > 0) body.tools = request.tools;
  return body;
}

/** The parts of a non-streaming completion, in the same order a stream would give them. */
function completionParts(text: string, generationId: string | undefined, what: string): StreamPart[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LabError('provider:invalid_response', `The provider's answer is not JSON: ${what}`, { cause: error });
  }
  const parsed = completionSchema.safeParse(json);
  if (!parsed.success) {
    throw new LabError('provider:invalid_response', `The provider's answer has an unexpected shape: ${what}`, { cause: parsed.error });
  }
  const completion = parsed.data;
  if (completion.error) {
    throw new LabError('provider:unavailable', `The provider failed to answer: ${completion.error.message ?? String(completion.error.code ?? 'unknown error')}`);
  }
  const choice = completion.choices?.[0];
  const parts: StreamPart[] = [];
  if (choice?.message?.content) parts.push({ type: 'text-delta', delta: choice.message.content });
  for (const [index, call] of (choice?.message?.tool_calls ?? []).entries()) {
    parts.push({ type: 'tool-call', id: call.id ?? `call_${index}`, name: call.function.name, args: call.function.arguments ?? '' });
  }
  if (completion.usage) parts.push({ type: 'usage', usage: toUsage(completion.usage) });
  parts.push({
    type: 'finish',
    finishReason: choice?.finish_reason ?? 'stop',
    model: completion.model ?? undefined,
    generationId: generationId ?? completion.id ?? undefined,
  });
  return parts;
}

/** A LabError (or the caller's abort reason) for a fetch that failed before any response. */
function requestFailure(options: { error: unknown; signal: AbortSignal; controller: AbortController; what: string; timeoutMs: number }): unknown {
  const { error, signal, controller, what } = options;
  if (signal.aborted) return signal.reason;
  if (controller.signal.reason instanceof TimeoutAbort) {
    return new LabError('provider:timeout', `The provider did not answer within ${formatSeconds(options.timeoutMs)}: ${what}`, { cause: error });
  }
  return new LabError('provider:network', `Could not reach the provider (${describeNetworkError(error)}): ${what}`, { cause: error });
}

const STATUS_ERRORS: Record<number, { code: ErrorCode; message: string }> = {
  400: { code: 'provider:bad_request', message: 'The provider rejected the request as invalid (400)' },
  401: { code: 'provider:auth', message: 'The provider rejected the API key (401); check OPENROUTER_API_KEY' },
  402: { code: 'provider:credits', message: 'The provider account is out of credits (402); add credits or pick a free model' },
  403: { code: 'provider:moderation', message: 'The provider refused the request: flagged by moderation or not permitted (403)' },
  404: { code: 'provider:bad_request', message: 'The provider does not know this model or endpoint (404)' },
  408: { code: 'provider:timeout', message: 'The provider timed out (408)' },
  429: { code: 'provider:rate_limit', message: 'The provider is rate limiting requests (429)' },
  502: { code: 'provider:unavailable', message: 'The model is down or sent an invalid response (502)' },
  503: { code: 'provider:unavailable', message: 'No provider is available for this model right now (503)' },
};

/** A LabError for an HTTP error answer, keeping the upstream status (for metrics). */
export class ProviderHttpError extends LabError {
  readonly upstreamStatus: number;
  constructor(code: ErrorCode, message: string, options: { upstreamStatus: number; retryAfterSeconds?: number; retryable?: boolean }) {
    super(code, message, options);
    this.upstreamStatus = options.upstreamStatus;
  }
}

/**
 * The LabError for an HTTP error before streaming: a clear message per status with the
 * provider's own message appended, and Retry-After carried in seconds.
 */
export function httpError(options: { status: number; bodyText: string; retryAfter: string | null }): ProviderHttpError {
  const { status } = options;
  const known =
    STATUS_ERRORS[status] ??
    (status >= 500
      ? { code: 'provider:unavailable' as const, message: `The provider failed (${status})` }
      : { code: 'provider:bad_request' as const, message: `The provider refused the request (${status})` });
  let providerMessage: string | undefined;
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(options.bodyText));
    if (parsed.success) providerMessage = parsed.data.error.message ?? undefined;
  } catch {
    // Not JSON (a proxy's HTML page, say): quote the start of it instead.
    providerMessage = options.bodyText.trim().slice(0, 200) || undefined;
  }
  const retryAfterSeconds = parseRetryAfter(options.retryAfter);
  const message = providerMessage ? `${known.message}: ${providerMessage}` : known.message;
  return new ProviderHttpError(known.code, message, {
    upstreamStatus: status,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    // 402 is final unless the provider says when to come back.
    ...(status === 402 && retryAfterSeconds !== undefined ? { retryable: true } : {}),
  });
}

/** Retry-After as seconds: either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - now) / 1000);
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** Header values must be Latin-1; replace anything else rather than fail the request. */
function toHeaderValue(value: string): string {
  return value.replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
}
