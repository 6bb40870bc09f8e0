/**
 * A ChatProvider for any OpenAI-compatible `chat/completions` endpoint (OpenRouter by
 * default; Ollama, llama.cpp, vLLM by base URL). Streams over node:http(s) with a keep-alive
 * agent (or an injected fetch) + eventsource-parser,
 * maps OpenRouter's error statuses to LabErrors with clear messages, and threads the
 * caller's AbortSignal to the socket so Stop closes the upstream connection at once.
 */
import http from 'node:http';
import https from 'node:https';
import { LabError, type ErrorCode } from '../domain/errors.js';
import type { StreamPart } from '../domain/stream-part.js';
import { authorizationHeader } from './authorization.js';
import { completionSchema, errorBodySchema } from './openai-compatible-schemas.js';
import type { ChatProvider, ChatRequest } from './provider.js';
import { createStreamDecoder, toUsage, type ErrorPart } from './stream-decoder.js';

export interface OpenAICompatibleProviderOptions {
  /** Base URL without the trailing `/chat/completions`, e.g. `https://openrouter.ai/api/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>` when present. */
  apiKey?: string | undefined;
  /** `user:password` sent as `Authorization: Basic` when there is no API key (a proxy's credentials). */
  basicAuth?: string | undefined;
  /** The app's URL (`HTTP-Referer`, OpenRouter's attribution). */
  appUrl: string;
  /** The app's name (`X-Title` / `X-OpenRouter-Title`). */
  appName: string;
  /** Maximum wait for the response headers (connect included), ms. */
  timeoutMs: number;
  /** Maximum gap between two pieces of the response body, ms. */
  chunkTimeoutMs: number;
  /**
   * A fetch implementation to send requests with. Default: node:http(s) with a keep-alive
   * agent, which costs far less per streamed chunk than fetch's web streams.
   */
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
  const id = options.id ?? (new URL(baseUrl).hostname.endsWith('openrouter.ai') ? 'openrouter' : 'openai-compatible');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'http-referer': toHeaderValue(options.appUrl),
    'x-title': toHeaderValue(options.appName),
    'x-openrouter-title': toHeaderValue(options.appName),
  };
  const authorization = authorizationHeader({ apiKey: options.apiKey, basicAuth: options.basicAuth });
  if (authorization) headers.authorization = authorization;

  const streamHeaders = { ...headers, accept: 'text/event-stream' };
  const jsonHeaders = { ...headers, accept: 'application/json' };
  const transport: Transport = options.fetch ? fetchTransport(options.fetch, endpoint) : nodeTransport(endpoint);

  async function* streamChat(request: ChatRequest, { signal }: { signal: AbortSignal }): AsyncGenerator<StreamPart> {
    signal.throwIfAborted();
    /** Why the adapter aborted the upstream request itself (set once). */
    let ownAbort: { reason: unknown } | undefined;
    let exchange: Exchange | undefined;
    const abortUpstream = (reason: unknown) => {
      if (ownAbort) return;
      ownAbort = { reason };
      exchange?.abort(reason);
    };
    const forwardAbort = () => abortUpstream(signal.reason);
    signal.addEventListener('abort', forwardAbort, { once: true });
    let headersTimer: NodeJS.Timeout | undefined = setTimeout(() => abortUpstream(new TimeoutAbort('headers')), options.timeoutMs);
    let completed = false;
    /** Set once `[DONE]` came: the answer is whole even if the body has not ended yet. */
    let drainable: BodyReader | undefined;
    let yielded = 0;
    const what = `POST ${endpoint}`;
    const isTimeout = () => ownAbort?.reason instanceof TimeoutAbort;

    /** Before the first part a failure is thrown (so it can be retried); after it, it is a part. */
    function failure(part: ErrorPart): ErrorPart {
      if (yielded === 0) throw new LabError(part.code, part.message, { retryable: part.retryable });
      return part;
    }

    try {
      let response: UpstreamResponse;
      try {
        exchange = transport({
          headers: request.stream ? streamHeaders : jsonHeaders,
          body: JSON.stringify(requestBody(request)),
        });
        if (ownAbort) exchange.abort(ownAbort.reason);
        response = await exchange.response;
      } catch (error) {
        throw requestFailure({ error, signal, timedOut: isTimeout(), what, timeoutMs: options.timeoutMs });
      }

      if (!response.ok) {
        let text = '';
        try {
          text = await response.text();
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          text = `(could not read the error body: ${(error as Error).message})`;
        }
        throw httpError({ status: response.status, bodyText: text, retryAfter: response.header('retry-after') });
      }
      clearTimeout(headersTimer);
      headersTimer = undefined;
      const generationId = response.header('x-generation-id') ?? undefined;
      const reader = response.body;
      if (!reader) throw new LabError('provider:invalid_response', `The provider sent an empty response: ${what}`);

      /** Whether the streamed answer is complete (set once the decoder exists). */
      let answerFinished = (): boolean => false;
      /** Reads the next piece of the body, or describes why it could not. */
      const read = async (): Promise<{ text: string } | { end: true } | { error: ErrorPart }> => {
        try {
          const result = await reader.read(options.chunkTimeoutMs, () => abortUpstream(new TimeoutAbort('chunk')));
          return result.done ? { end: true } : { text: result.value };
        } catch (error) {
          // A Stop after the answer's finish chunk stopped nothing: end the stream as
          // finished (with whatever usage came) rather than as aborted.
          if (signal.aborted && answerFinished()) return { end: true };
          if (signal.aborted) throw signal.reason;
          if (isTimeout()) {
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
      answerFinished = () => decoder.answerFinished;
      for (;;) {
        const piece = await read();
        const receivedAt = performance.now();
        const parts = 'error' in piece ? [piece.error as ErrorPart] : 'end' in piece ? decoder.end() : decoder.feed(piece.text);
        if (!('error' in piece) && !('end' in piece) && decoder.done && parts.at(-1)?.type === 'finish') drainable = reader;
        for (const part of parts) {
          if (part.type === 'text-delta') part.receivedAt = receivedAt;
          yield part.type === 'error' ? failure(part as ErrorPart) : part;
          yielded++;
        }
        if ('end' in piece) {
          completed = true;
          return;
        }
        if (drainable) {
          // `[DONE]` arrived; let the response end on its own so the connection is reused.
          await drain(reader, abortUpstream);
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
      if (!completed && !ownAbort) {
        if (drainable && !signal.aborted) void drain(drainable, abortUpstream);
        else abortUpstream(new Error('stream closed by the consumer'));
      }
    }
  }

  return { id, streamChat };
}

/** Read what is left after `[DONE]` (normally nothing), closing the connection if it lingers. */
function drain(reader: BodyReader, abort: (reason: unknown) => void): Promise<void> {
  const timer = setTimeout(() => abort(new Error('response did not end after [DONE]')), 1000);
  const next = (): Promise<void> => reader.read().then((result) => (result.done ? undefined : next()));
  return next()
    .catch(() => undefined) // the answer is complete; a late socket error changes nothing
    .finally(() => clearTimeout(timer));
}

// --- transports: how one request goes out and its response body comes back as text

/** The response body as text pieces. */
interface BodyReader {
  /**
   * The next piece (everything that arrived since the last call, decoded as UTF-8), or
   * `done` at the end. Rejects when the connection fails or the request is aborted. With
   * `gapMs`, calls `onGap` when nothing arrives for that long while waiting.
   */
  read(gapMs?: number, onGap?: () => void): Promise<{ done: true } | { done: false; value: string }>;
}

interface UpstreamResponse {
  status: number;
  ok: boolean;
  header(name: string): string | null;
  /** The whole body as text (error answers). */
  text(): Promise<string>;
  body: BodyReader | null;
}

/** One request in flight. `abort` closes its connection at once (the response or the pending read rejects). */
interface Exchange {
  response: Promise<UpstreamResponse>;
  abort(reason: unknown): void;
}

type Transport = (request: { headers: Record<string, string>; body: string }) => Exchange;

/** node:http(s) with a keep-alive agent: one socket per concurrent stream, reused after a complete answer. */
function nodeTransport(endpoint: string): Transport {
  const url = new URL(endpoint);
  const secure = url.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true, scheduling: 'lifo' }) : new http.Agent({ keepAlive: true, scheduling: 'lifo' });
  const requestFn = secure ? https.request : http.request;
  // Built once: Node's options from a URL (parsed per call when given the URL itself), and the
  // header block as a flat array, which Node writes as given instead of a setHeader (with its
  // validation and bookkeeping) per header. An array skips Node's Host header: it is listed.
  const target = {
    protocol: url.protocol,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    method: 'POST',
    agent,
  };
  const flattened = new WeakMap<Record<string, string>, string[]>();
  const flatHeaders = (headers: Record<string, string>): string[] => {
    let flat = flattened.get(headers);
    if (!flat) {
      flat = ['host', url.host];
      for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() !== 'host') flat.push(name, value);
      flattened.set(headers, flat);
    }
    return flat;
  };
  return ({ headers, body }) => {
    const payload = Buffer.from(body, 'utf8');
    const req = requestFn({ ...target, headers: [...flatHeaders(headers), 'content-length', String(payload.length)] });
    let abortReason: { reason: unknown } | undefined;
    const response = new Promise<UpstreamResponse>((resolve, reject) => {
      req.on('error', (error) => reject(abortReason ? abortReason.reason : error));
      req.once('response', (res) => {
        const status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        const reader = new NodeBodyReader(res, () => abortReason);
        resolve({
          status,
          ok: status >= 200 && status < 300,
          header: (name) => {
            const value = res.headers[name];
            return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
          },
          text: async () => {
            let text = '';
            for (let piece = await reader.read(); !piece.done; piece = await reader.read()) text += piece.value;
            return text;
          },
          body: reader,
        });
      });
    });
    req.end(payload);
    return {
      response,
      abort(reason) {
        if (abortReason) return;
        abortReason = { reason };
        req.destroy(new Error('request aborted'));
      },
    };
  };
}

/** Pieces of a node:http response, queued as they come; the socket is paused while much is unread. */
class NodeBodyReader implements BodyReader {
  #queue: string[] = [];
  #queued = 0;
  #ended = false;
  #failed = false;
  #error: unknown;
  #waiting: { resolve: (result: { done: true } | { done: false; value: string }) => void; reject: (error: unknown) => void } | undefined;
  /** One timer per response, re-armed (`refresh`) whenever a read has to wait. */
  #gapTimer: NodeJS.Timeout | undefined;
  #onGap: (() => void) | undefined;
  readonly #res: http.IncomingMessage;

  constructor(res: http.IncomingMessage, aborted: () => { reason: unknown } | undefined) {
    this.#res = res;
    res.on('data', (chunk: string) => {
      const waiting = this.#waiting;
      if (waiting) {
        this.#waiting = undefined;
        waiting.resolve({ done: false, value: chunk });
        return;
      }
      this.#queue.push(chunk);
      this.#queued += chunk.length;
      if (this.#queued > 256 * 1024) res.pause();
    });
    res.once('end', () => {
      this.#ended = true;
      this.#settle();
    });
    const fail = (error: unknown) => {
      if (this.#ended || this.#failed) return;
      this.#failed = true;
      this.#error = aborted()?.reason ?? error;
      this.#settle();
    };
    res.once('error', fail);
    res.once('close', () => fail(new Error('the connection closed before the response ended')));
  }

  read(gapMs?: number, onGap?: () => void): Promise<{ done: true } | { done: false; value: string }> {
    if (this.#queue.length > 0) {
      const value = this.#queue.length === 1 ? this.#queue[0]! : this.#queue.join('');
      this.#queue = [];
      this.#queued = 0;
      if (this.#res.isPaused()) this.#res.resume();
      return Promise.resolve({ done: false, value });
    }
    if (this.#ended) return Promise.resolve({ done: true });
    if (this.#failed) return Promise.reject(this.#error);
    if (this.#waiting) return Promise.reject(new Error('only one read at a time'));
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      if (gapMs === undefined || !onGap) return;
      this.#onGap = onGap;
      if (this.#gapTimer) this.#gapTimer.refresh();
      else this.#gapTimer = setTimeout(() => this.#waiting && this.#onGap?.(), gapMs);
    });
  }

  #settle(): void {
    if (this.#gapTimer) clearTimeout(this.#gapTimer);
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#waiting = undefined;
    if (this.#ended) waiting.resolve({ done: true });
    else waiting.reject(this.#error);
  }
}

/** An injected fetch (tests, custom dispatchers): the web-streams path. */
function fetchTransport(fetchImpl: typeof fetch, endpoint: string): Transport {
  return ({ headers, body }) => {
    const controller = new AbortController();
    const response = fetchImpl(endpoint, { method: 'POST', headers, body, signal: controller.signal }).then((res): UpstreamResponse => {
      const reader = res.body ? res.body.pipeThrough(new TextDecoderStream()).getReader() : null;
      return {
        status: res.status,
        ok: res.ok,
        header: (name) => res.headers.get(name),
        text: async () => {
          if (!reader) return '';
          let text = '';
          for (let piece = await reader.read(); !piece.done; piece = await reader.read()) text += piece.value;
          return text;
        },
        body: reader && {
          async read(gapMs, onGap) {
            const timer = gapMs !== undefined && onGap ? setTimeout(onGap, gapMs) : undefined;
            try {
              const result = await reader.read();
              return result.done ? { done: true } : { done: false, value: result.value };
            } finally {
              clearTimeout(timer);
            }
          },
        },
      };
    });
    return { response, abort: (reason) => controller.abort(reason) };
  };
}

/** The JSON body of a chat-completions request (undefined sampling parameters are left out by JSON.stringify). */
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
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools;
    if (request.toolChoice !== undefined) body.tool_choice = request.toolChoice;
  }
  if (request.stop !== undefined && request.stop.length > 0) body.stop = request.stop;
  if (request.responseFormat !== undefined) body.response_format = request.responseFormat;
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

/** A LabError (or the caller's abort reason) for a request that failed before any response. */
function requestFailure(options: { error: unknown; signal: AbortSignal; timedOut: boolean; what: string; timeoutMs: number }): unknown {
  const { error, signal, what } = options;
  if (signal.aborted) return signal.reason;
  if (options.timedOut) {
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
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
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
