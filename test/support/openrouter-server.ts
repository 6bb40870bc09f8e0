/**
 * A real HTTP server on loopback that speaks OpenRouter's wire format, odd parts included
 * (SSE comment lines, usage in its own chunk after the finish chunk, costs in exponent
 * form, error chunks mid-stream, pre-stream error JSON with Retry-After, streamed tool
 * calls). Tests and benchmarks run the real provider code against it.
 *
 * Which scripted response a chat request gets, first match wins:
 *   1. the queue filled with `enqueue(...)` (FIFO, one entry per request);
 *   2. when the last message is a tool result: a final text answer that echoes it
 *      (`add_numbers` → "The sum is 5", `fetch_url` → "The page says: ...");
 *   3. a directive in the last user message: `[[scenario:NAME key=value ...]]`;
 *   4. a scripted model (below), by the request's `model`;
 *   5. the default set with `setScenario(...)`, else a normal stream echoing the prompt.
 *
 * Scripted models (for evaluations):
 *   test/good          a helpful answer: greets, repeats the question, and says "hello"
 *   test/bad           a curt answer that ignores the question ("No.")
 *   test/judge-fair    a judge that reads the answers: the rubric's first quoted word is the
 *                      keyword; an answer containing it passes (rubric) or wins (pairwise);
 *                      both or neither containing it is a tie
 *   test/judge-fenced  the fair judge, its JSON wrapped in a ```json fence
 *   test/judge-biased  always "A" (pairwise), always a pass (rubric): valid JSON, no reading
 *   test/judge-prose   answers in prose, never JSON
 *
 * Directives (all keys optional):
 *   [[scenario:normal text="..." cost=1.3e-05 model=a/b finish=length]]  streamed answer, usage in its own chunk
 *   [[scenario:inline-usage]]                              usage inside the finish chunk
 *   [[scenario:no-usage]]                                  no usage at all
 *   [[scenario:slow delay=50 tokens=40]]                   `delay` ms between tokens
 *   [[scenario:long tokens=2000 delay=0]]                  N tokens
 *   [[scenario:normal tail=500]]                            `tail` ms between the finish chunk and usage/[DONE]
 *   [[scenario:mid-error after=3 message="..."]]           error chunk after N tokens, then end
 *   [[scenario:error status=429 retry_after=1 message="..."]]  pre-stream error JSON
 *   [[scenario:tool-add a=2 b=3]]                          streams add_numbers({a,b}) tool call
 *   [[scenario:tool-fetch url=https://example.com]]        streams fetch_url({url}) tool call
 *   [[scenario:garbage after=2]]                           a non-JSON `data:` line after N tokens
 *   [[scenario:reset after=2]]                             destroys the socket after N tokens
 *   [[scenario:stall after=2]]                             stops sending after N tokens, keeps the socket open
 *   [[scenario:hang]]                                      never answers (headers never arrive)
 * Requests with `"stream": false` get one JSON completion for text and tool scenarios.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** A scripted response. */
export type Scenario =
  | {
      type: 'text';
      /** The answer; default: echoes the prompt. */
      text?: string;
      /** Generate this many tokens instead of `text`. */
      tokens?: number;
      /** Delay before each token, ms (0: everything at once). */
      delayMs?: number;
      /** The finish reason of the last chunk; default `stop` (`length`: the answer hit max_tokens). */
      finishReason?: string;
      /** Where usage goes: its own chunk after finish (OpenRouter's habit), the finish chunk, or nowhere. */
      usage?: 'separate' | 'inline' | 'none';
      /** `usage.cost` exactly as written in the JSON (e.g. `1.3e-05`); `null` leaves it out. */
      cost?: string | null;
      /** The model that "answered" (default: the requested one). */
      model?: string;
      /** How many `: OPENROUTER PROCESSING` comment lines precede the first chunk. */
      comments?: number;
      /** Pause between the finish chunk and the usage chunk / `[DONE]`, ms (the answer is complete, the stream not yet). */
      tailDelayMs?: number;
    }
  | { type: 'mid-stream-error'; afterTokens?: number; message?: string }
  | { type: 'http-error'; status: number; message?: string; retryAfter?: number | string }
  | {
      type: 'tool-call';
      calls: Array<{ name: string; arguments: Record<string, unknown>; id?: string }>;
      delayMs?: number;
    }
  | { type: 'garbage'; afterTokens?: number }
  | { type: 'reset'; afterTokens?: number }
  | { type: 'stall'; afterTokens?: number }
  | { type: 'hang' };

/** One request as the server saw it. */
export interface RecordedRequest {
  index: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, or the raw text when it is not JSON, or undefined for none. */
  body: unknown;
  /** The client's port: equal on two requests when the connection was reused. */
  remotePort: number | undefined;
  /** Name of the scenario that answered (chat requests). */
  scenario?: string;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
  /** `performance.now()` when the connection for this response closed (or the response ended). */
  closedAt?: number;
  /** True when the client went away before the response was complete. */
  aborted: boolean;
}

export interface OpenRouterServerOptions {
  /** When set, chat requests without `Authorization: Bearer <key>` get 401. */
  apiKey?: string;
  /** The default scenario when the queue is empty and no directive is given. */
  scenario?: Scenario;
  /** The models listed by `GET /models` (OpenRouter's format); default: a small realistic catalog. */
  models?: unknown[];
}

export interface OpenRouterServer {
  /** Base URL ending in `/api/v1`. */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Queue scripted responses for the next chat requests. */
  enqueue(...scenarios: Scenario[]): void;
  /** Set the default scenario (undefined: echo the prompt). */
  setScenario(scenario: Scenario | undefined): void;
  /** Replace the `GET /models` catalog. */
  setModels(models: unknown[]): void;
  /** Make `GET /models` fail with this status (undefined: answer normally). */
  setModelsFailure(status: number | undefined): void;
  /** Chat-completion requests only. */
  chatRequests(): RecordedRequest[];
  /** Resolves when request number `index` (0-based) has arrived. */
  waitForRequest(index: number): Promise<RecordedRequest>;
  /** Resolves when the connection of request `index` has closed. */
  waitForClose(index: number): Promise<RecordedRequest>;
  /** Forget recorded requests and queued scenarios. */
  reset(): void;
  close(): Promise<void>;
}

const WORDS = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'consectetur', 'adipiscing', 'elit', 'sed', 'do'];

/** The default `/models` catalog: realistic entries, one with price "-1", one without pricing. */
export const DEFAULT_TEST_MODELS: unknown[] = [
  catalogEntry('openai/gpt-4o-mini', 'OpenAI: GPT-4o-mini', 128000, { prompt: '0.00000015', completion: '0.0000006' }),
  catalogEntry('openai/gpt-4o', 'OpenAI: GPT-4o', 128000, { prompt: '0.0000025', completion: '0.00001' }),
  catalogEntry('anthropic/claude-3.5-haiku', 'Anthropic: Claude 3.5 Haiku', 200000, { prompt: '0.0000008', completion: '0.000004' }),
  catalogEntry('meta-llama/llama-3.1-8b-instruct:free', 'Meta: Llama 3.1 8B Instruct (free)', 131072, { prompt: '0', completion: '0' }),
  catalogEntry('openrouter/auto', 'Auto Router', 2000000, { prompt: '-1', completion: '-1' }),
  (() => {
    const entry = catalogEntry('mystery/unpriced-model', 'Mystery: Unpriced', 8192, { prompt: '0', completion: '0' });
    delete (entry as { pricing?: unknown }).pricing;
    return entry;
  })(),
];

function catalogEntry(id: string, name: string, contextLength: number, prices: { prompt: string; completion: string }): Record<string, unknown> {
  return {
    id,
    canonical_slug: id,
    name,
    created: 1721260800,
    description: `${name} (test catalog).`,
    context_length: contextLength,
    architecture: { input_modalities: ['text'], output_modalities: ['text'], tokenizer: 'Other', instruct_type: null, modality: 'text->text' },
    pricing: { ...prices, request: '0', image: '0', web_search: '0', internal_reasoning: '0' },
    top_provider: { context_length: contextLength, max_completion_tokens: 16384, is_moderated: false },
    per_request_limits: null,
    supported_parameters: ['max_tokens', 'temperature', 'top_p', 'tools', 'tool_choice', 'seed'],
  };
}

const ERROR_MESSAGES: Record<number, string> = {
  400: 'Invalid request: messages must be a non-empty array',
  401: 'No auth credentials found',
  402: 'Insufficient credits. Add more using https://openrouter.ai/credits',
  403: 'Input was flagged by moderation',
  408: 'Request timed out',
  429: 'Rate limit exceeded: too many requests',
  500: 'Internal server error',
  502: 'Provider returned error',
  503: 'No endpoints found matching your data policy',
};

interface ChatBody {
  model?: unknown;
  stream?: unknown;
  messages?: Array<{ role?: unknown; content?: unknown; tool_call_id?: unknown; tool_calls?: unknown }>;
}

/** Start the server on 127.0.0.1, on a free port. */
export async function startOpenRouterServer(options: OpenRouterServerOptions = {}): Promise<OpenRouterServer> {
  const requests: RecordedRequest[] = [];
  const queue: Scenario[] = [];
  let defaultScenario = options.scenario;
  let models = options.models ?? DEFAULT_TEST_MODELS;
  let modelsFailure: number | undefined;
  const arrivalWaiters = new Map<number, Array<(record: RecordedRequest) => void>>();
  const closeWaiters = new Map<number, Array<(record: RecordedRequest) => void>>();
  let generation = 0;

  const server = http.createServer({ keepAliveTimeout: 5000, noDelay: true }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      if (raw !== '') {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      }
      const record: RecordedRequest = {
        index: requests.length,
        method: request.method ?? 'GET',
        path: request.url ?? '/',
        headers: request.headers,
        body,
        remotePort: request.socket.remotePort,
        receivedAt: performance.now(),
        aborted: false,
      };
      requests.push(record);
      // 'close' on the response fires when it ended or when the client's socket went away.
      response.on('close', () => {
        record.closedAt = performance.now();
        record.aborted = !response.writableFinished;
        for (const resolve of closeWaiters.get(record.index) ?? []) resolve(record);
        closeWaiters.delete(record.index);
      });
      for (const resolve of arrivalWaiters.get(record.index) ?? []) resolve(record);
      arrivalWaiters.delete(record.index);
      route(record, response);
    });
  });

  function route(record: RecordedRequest, response: http.ServerResponse): void {
    const path = record.path.split('?')[0] ?? '';
    if (record.method === 'GET' && path === '/api/v1/models') {
      if (modelsFailure !== undefined) return sendJson(response, modelsFailure, { error: { code: modelsFailure, message: 'Catalog unavailable' } });
      return sendJson(response, 200, { data: models });
    }
    if (record.method === 'POST' && path === '/api/v1/chat/completions') {
      if (options.apiKey !== undefined && record.headers.authorization !== `Bearer ${options.apiKey}`) {
        record.scenario = 'error';
        return sendJson(response, 401, { error: { code: 401, message: ERROR_MESSAGES[401] } });
      }
      return answerChat(record, response);
    }
    sendJson(response, 404, { error: { code: 404, message: `Not found: ${record.method} ${path}` } });
  }

  function answerChat(record: RecordedRequest, response: http.ServerResponse): void {
    const body = (typeof record.body === 'object' && record.body !== null ? record.body : {}) as ChatBody;
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const model = typeof body.model === 'string' ? body.model : 'openrouter/auto';
    const streaming = body.stream === true;
    const scenario = queue.shift() ?? toolResultAnswer(messages) ?? directive(messages) ?? scriptedModel(model, messages) ?? defaultScenario ?? { type: 'text' };
    record.scenario = scenario.type;
    const context: ResponseContext = {
      response,
      model,
      prompt: lastUserText(messages),
      promptTokens: Math.max(1, Math.ceil(JSON.stringify(messages).length / 4)),
      generationId: `gen-${Date.now()}-${++generation}`,
    };
    switch (scenario.type) {
      case 'http-error': {
        const headers: Record<string, string> = {};
        if (scenario.retryAfter !== undefined) headers['retry-after'] = String(scenario.retryAfter);
        return sendJson(
          response,
          scenario.status,
          { error: { code: scenario.status, message: scenario.message ?? ERROR_MESSAGES[scenario.status] ?? 'Error', metadata: { provider_name: 'TestProvider' } } },
          headers,
        );
      }
      case 'hang':
        return; // never answer; the client's timeout or abort ends it
      default:
        if (streaming) void streamScenario(scenario, context);
        else answerJson(scenario, context);
    }
  }

  return {
    url: await listen(server),
    requests,
    enqueue: (...scenarios) => void queue.push(...scenarios),
    setScenario: (scenario) => void (defaultScenario = scenario),
    setModels: (next) => void (models = next),
    setModelsFailure: (status) => void (modelsFailure = status),
    chatRequests: () => requests.filter((record) => record.path.startsWith('/api/v1/chat/completions')),
    waitForRequest: (index) =>
      requests[index]
        ? Promise.resolve(requests[index])
        : new Promise((resolve) => arrivalWaiters.set(index, [...(arrivalWaiters.get(index) ?? []), resolve])),
    waitForClose: (index) =>
      requests[index]?.closedAt !== undefined
        ? Promise.resolve(requests[index])
        : new Promise((resolve) => closeWaiters.set(index, [...(closeWaiters.get(index) ?? []), resolve])),
    reset: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

async function listen(server: http.Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}/api/v1`;
}

interface ResponseContext {
  response: http.ServerResponse;
  model: string;
  prompt: string;
  promptTokens: number;
  generationId: string;
}

function sendJson(response: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function lastUserText(messages: ChatBody['messages'] & object): string {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (message?.role === 'user' && typeof message.content === 'string') return message.content;
  }
  return '';
}

/** When the conversation ends with tool results, answer with text that echoes them. */
function toolResultAnswer(messages: NonNullable<ChatBody['messages']>): Scenario | undefined {
  const results: Array<{ id: string; content: string }> = [];
  for (let index = messages.length - 1; index >= 0 && messages[index]?.role === 'tool'; index--) {
    const message = messages[index]!;
    results.unshift({ id: String(message.tool_call_id ?? ''), content: typeof message.content === 'string' ? message.content : JSON.stringify(message.content) });
  }
  if (results.length === 0) return undefined;
  const names = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== 'assistant' || !Array.isArray(message.tool_calls)) continue;
    for (const call of message.tool_calls as Array<{ id?: string; function?: { name?: string } }>) {
      if (call.id && call.function?.name) names.set(call.id, call.function.name);
    }
  }
  const sentences = results.map(({ id, content }) => {
    const name = names.get(id);
    if (name === 'add_numbers') return `The sum is ${content}.`;
    if (name === 'fetch_url') return `The page says: ${content.slice(0, 300)}`;
    return `The tool ${name ?? 'call'} returned: ${content}`;
  });
  return { type: 'text', text: sentences.join(' ') };
}

const DIRECTIVE = /\[\[scenario:([a-z-]+)((?:\s+[a-z_]+=(?:"[^"]*"|[^\s\]]+))*)\s*\]\]/;

/** Parse `[[scenario:NAME key=value ...]]` from the last user message. */
function directive(messages: NonNullable<ChatBody['messages']>): Scenario | undefined {
  const match = DIRECTIVE.exec(lastUserText(messages));
  if (!match) return undefined;
  const name = match[1]!;
  const parameters: Record<string, string> = {};
  for (const pair of (match[2] ?? '').matchAll(/([a-z_]+)=("[^"]*"|[^\s\]]+)/g)) {
    parameters[pair[1]!] = pair[2]!.startsWith('"') ? pair[2]!.slice(1, -1) : pair[2]!;
  }
  const number = (key: string): number | undefined => (parameters[key] === undefined ? undefined : Number(parameters[key]));
  const text: Extract<Scenario, { type: 'text' }> = { type: 'text' };
  if (parameters.text !== undefined) text.text = parameters.text;
  if (parameters.cost !== undefined) text.cost = parameters.cost;
  if (parameters.model !== undefined) text.model = parameters.model;
  if (parameters.finish !== undefined) text.finishReason = parameters.finish;
  if (number('tokens') !== undefined) text.tokens = number('tokens')!;
  if (number('delay') !== undefined) text.delayMs = number('delay')!;
  if (number('tail') !== undefined) text.tailDelayMs = number('tail')!;
  switch (name) {
    case 'normal':
      return text;
    case 'inline-usage':
      return { ...text, usage: 'inline' };
    case 'no-usage':
      return { ...text, usage: 'none' };
    case 'slow':
      return { ...text, delayMs: text.delayMs ?? 50, tokens: text.tokens ?? 40 };
    case 'long':
      return { ...text, tokens: text.tokens ?? 1000 };
    case 'mid-error':
      return { type: 'mid-stream-error', afterTokens: number('after') ?? 3, ...(parameters.message ? { message: parameters.message } : {}) };
    case 'error':
      return {
        type: 'http-error',
        status: number('status') ?? 500,
        ...(parameters.retry_after !== undefined ? { retryAfter: parameters.retry_after } : {}),
        ...(parameters.message ? { message: parameters.message } : {}),
      };
    case 'tool-add':
      return { type: 'tool-call', calls: [{ name: 'add_numbers', arguments: { a: number('a') ?? 2, b: number('b') ?? 3 } }] };
    case 'tool-fetch':
      return { type: 'tool-call', calls: [{ name: 'fetch_url', arguments: { url: parameters.url ?? 'https://example.com' } }] };
    case 'garbage':
      return { type: 'garbage', afterTokens: number('after') ?? 2 };
    case 'reset':
      return { type: 'reset', afterTokens: number('after') ?? 2 };
    case 'stall':
      return { type: 'stall', afterTokens: number('after') ?? 2 };
    case 'hang':
      return { type: 'hang' };
    default:
      return undefined;
  }
}

/** The answers of the scripted models (evaluation tests), by model id. */
function scriptedModel(model: string, messages: NonNullable<ChatBody['messages']>): Scenario | undefined {
  const prompt = lastUserText(messages);
  switch (model) {
    case 'test/good':
      return { type: 'text', text: `Hello! You asked: ${prompt.slice(0, 200)}. Here is a careful, friendly answer.` };
    case 'test/bad':
      return { type: 'text', text: 'No.' };
    case 'test/judge-fair':
      return { type: 'text', text: fairJudgement(prompt) };
    case 'test/judge-fenced':
      return { type: 'text', text: `\`\`\`json\n${fairJudgement(prompt)}\n\`\`\`` };
    case 'test/judge-biased':
      return {
        type: 'text',
        text: prompt.includes('<answer_a>') ? '{"reason": "Answer A reads better.", "winner": "A"}' : '{"reason": "Looks fine.", "pass": true, "score": 1}',
      };
    case 'test/judge-prose':
      return { type: 'text', text: 'Having read both carefully, I think the first answer is better overall.' };
    default:
      return undefined;
  }
}

/** Text between `<tag>` and `</tag>` in a judge prompt. */
function tagged(prompt: string, tag: string): string | undefined {
  const start = prompt.indexOf(`<${tag}>\n`);
  const end = prompt.indexOf(`\n</${tag}>`, start);
  return start < 0 || end < 0 ? undefined : prompt.slice(start + tag.length + 3, end);
}

/** The fair judge really reads: the rubric's first quoted word decides. */
function fairJudgement(prompt: string): string {
  const rubric = tagged(prompt, 'rubric') ?? '';
  const keyword = (/["']([^"']+)["']/.exec(rubric)?.[1] ?? rubric).toLowerCase();
  const has = (answer: string | undefined) => answer !== undefined && answer.toLowerCase().includes(keyword);
  const answerA = tagged(prompt, 'answer_a');
  if (answerA !== undefined) {
    const a = has(answerA);
    const b = has(tagged(prompt, 'answer_b'));
    const winner = a === b ? 'tie' : a ? 'A' : 'B';
    return JSON.stringify({ reason: `Only ${winner === 'tie' ? 'neither or both' : winner} mentions "${keyword}".`, winner });
  }
  const pass = has(tagged(prompt, 'answer'));
  return JSON.stringify({ reason: pass ? `The answer mentions "${keyword}".` : `The answer never mentions "${keyword}".`, pass, score: pass ? 1 : 0 });
}

/** The answer's tokens: each a word with its trailing space. */
function answerTokens(scenario: { text?: string; tokens?: number }, prompt: string): string[] {
  if (scenario.tokens !== undefined) {
    return Array.from({ length: scenario.tokens }, (_, index) => `${WORDS[index % WORDS.length]}${index === scenario.tokens! - 1 ? '.' : ' '}`);
  }
  const cleanPrompt = prompt.replace(DIRECTIVE, '').trim().slice(0, 200);
  const text = scenario.text ?? `Hello! You said: ${cleanPrompt || '(nothing)'}`;
  return text.match(/\S+\s*|\s+/g) ?? [text];
}

function usageJson(promptTokens: number, completionTokens: number, cost: string | null | undefined): string {
  const costText = cost === null ? '' : `,"cost":${cost ?? '1.3e-05'},"is_byok":false,"cost_details":{"upstream_inference_cost":null}`;
  return (
    `{"prompt_tokens":${promptTokens},"completion_tokens":${completionTokens},"total_tokens":${promptTokens + completionTokens}` +
    `${costText},"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}`
  );
}

function chunkJson(context: ResponseContext, model: string, choices: string, extra = ''): string {
  return `{"id":"${context.generationId}","provider":"TestProvider","model":${JSON.stringify(model)},"object":"chat.completion.chunk","created":${Math.floor(Date.now() / 1000)},"choices":${choices}${extra}}`;
}

function deltaChoice(delta: unknown, finishReason: string | null = null): string {
  return `[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":${JSON.stringify(finishReason)},"native_finish_reason":${JSON.stringify(finishReason)},"logprobs":null}]`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Write an SSE stream for the scenario, stopping as soon as the client goes away. */
async function streamScenario(scenario: Exclude<Scenario, { type: 'http-error' | 'hang' }>, context: ResponseContext): Promise<void> {
  const { response } = context;
  const gone = () => response.destroyed || response.writableEnded;
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-generation-id': context.generationId,
  });
  const write = (line: string) => {
    if (!gone()) response.write(line);
  };
  const data = (json: string) => write(`data: ${json}\n\n`);
  const model = scenario.type === 'text' ? (scenario.model ?? context.model) : context.model;
  const comments = scenario.type === 'text' ? (scenario.comments ?? 2) : 1;
  for (let index = 0; index < comments; index++) write(': OPENROUTER PROCESSING\n\n');

  const delayMs = scenario.type === 'text' || scenario.type === 'tool-call' ? (scenario.delayMs ?? 0) : 0;
  const tokens = answerTokens(scenario.type === 'text' ? scenario : { tokens: 10 }, context.prompt);
  const stopAfter = 'afterTokens' in scenario ? (scenario.afterTokens ?? 2) : tokens.length;

  if (scenario.type === 'tool-call') {
    await streamToolCalls(scenario, context, data, gone, delayMs);
  } else {
    // Without delay, cork so the whole answer goes out in as few packets as possible.
    if (delayMs === 0) response.cork();
    for (let index = 0; index < Math.min(tokens.length, stopAfter); index++) {
      if (delayMs > 0) await sleep(delayMs);
      if (gone()) return;
      data(chunkJson(context, model, deltaChoice(index === 0 ? { role: 'assistant', content: tokens[index] } : { content: tokens[index] })));
    }
    if (delayMs === 0) response.uncork();
  }
  if (gone()) return;

  switch (scenario.type) {
    case 'mid-stream-error':
      data(
        chunkJson(
          context,
          model,
          deltaChoice({ content: '' }, 'error'),
          `,"error":{"code":"server_error","message":${JSON.stringify(scenario.message ?? 'Upstream provider crashed mid-generation')}}`,
        ),
      );
      response.end();
      return;
    case 'garbage':
      write('data: {"id":"gen-broken", this is not json\n\n');
      data(chunkJson(context, model, deltaChoice({ content: 'after garbage' })));
      data('[DONE]');
      response.end();
      return;
    case 'reset':
      // Let the written tokens reach the client before the connection is torn down.
      await sleep(10);
      response.socket?.resetAndDestroy();
      return;
    case 'stall':
      return; // keep the connection open, send nothing more
    case 'tool-call':
      data(chunkJson(context, model, deltaChoice({}, 'tool_calls')));
      data(chunkJson(context, model, '[]', `,"usage":${usageJson(context.promptTokens, 12, '4.2e-06')}`));
      data('[DONE]');
      response.end();
      return;
    case 'text': {
      const usage = usageJson(context.promptTokens, tokens.length, scenario.cost);
      const mode = scenario.usage ?? 'separate';
      data(chunkJson(context, model, deltaChoice({}, scenario.finishReason ?? 'stop'), mode === 'inline' ? `,"usage":${usage}` : ''));
      if (scenario.tailDelayMs) {
        await sleep(scenario.tailDelayMs);
        if (gone()) return;
      }
      if (mode === 'separate') data(chunkJson(context, model, '[]', `,"usage":${usage}`));
      data('[DONE]');
      response.end();
      return;
    }
  }
}

async function streamToolCalls(
  scenario: Extract<Scenario, { type: 'tool-call' }>,
  context: ResponseContext,
  data: (json: string) => void,
  gone: () => boolean,
  delayMs: number,
): Promise<void> {
  const calls = scenario.calls.map((call, index) => ({ ...call, id: call.id ?? `call_${context.generationId.slice(-6)}_${index}`, json: JSON.stringify(call.arguments) }));
  const header = calls.map((call, index) => ({ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }));
  data(chunkJson(context, context.model, deltaChoice({ role: 'assistant', content: null, tool_calls: header })));
  // Arguments arrive in pieces, interleaved across calls, joined by `index` on the client.
  const pieces = calls.map((call) => splitInto(call.json, 3));
  for (let piece = 0; piece < 3; piece++) {
    for (let index = 0; index < calls.length; index++) {
      if (delayMs > 0) await sleep(delayMs);
      if (gone()) return;
      data(chunkJson(context, context.model, deltaChoice({ tool_calls: [{ index, function: { arguments: pieces[index]![piece] } }] })));
    }
  }
}

function splitInto(text: string, count: number): string[] {
  const size = Math.ceil(text.length / count);
  return Array.from({ length: count }, (_, index) => text.slice(index * size, (index + 1) * size));
}

function answerJson(scenario: Exclude<Scenario, { type: 'http-error' | 'hang' }>, context: ResponseContext): void {
  const { response } = context;
  if (scenario.type === 'reset') {
    response.socket?.resetAndDestroy();
    return;
  }
  if (scenario.type === 'stall') return;
  if (scenario.type === 'garbage') {
    response.writeHead(200, { 'content-type': 'application/json', 'x-generation-id': context.generationId });
    response.end('{"id": this is not json');
    return;
  }
  if (scenario.type === 'mid-stream-error') {
    return sendJson(response, 200, { error: { code: 'server_error', message: scenario.message ?? 'Upstream provider crashed' } }, { 'x-generation-id': context.generationId });
  }
  const base = { id: context.generationId, provider: 'TestProvider', object: 'chat.completion', created: Math.floor(Date.now() / 1000) };
  if (scenario.type === 'tool-call') {
    const toolCalls = scenario.calls.map((call, index) => ({
      id: call.id ?? `call_${context.generationId.slice(-6)}_${index}`,
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    }));
    const body = `${JSON.stringify({ ...base, model: context.model, choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: toolCalls }, finish_reason: 'tool_calls' }] }).slice(0, -1)},"usage":${usageJson(context.promptTokens, 12, '4.2e-06')}}`;
    return sendRaw(response, body, context);
  }
  const tokens = answerTokens(scenario, context.prompt);
  const message = { role: 'assistant', content: tokens.join('') };
  const json = JSON.stringify({ ...base, model: scenario.model ?? context.model, choices: [{ index: 0, message, finish_reason: 'stop' }] });
  const body = scenario.usage === 'none' ? json : `${json.slice(0, -1)},"usage":${usageJson(context.promptTokens, tokens.length, scenario.cost)}}`;
  sendRaw(response, body, context);
}

function sendRaw(response: http.ServerResponse, body: string, context: ResponseContext): void {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-generation-id': context.generationId });
  response.end(body);
}
