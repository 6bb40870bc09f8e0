import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { agentInputSchema, type Agent } from '../../domain/agent.js';
import { LabError } from '../../domain/errors.js';
import { argumentsText, type ChatResult, type ChatService } from '../../runner/chat-service.js';
import type { ModelParameters } from '../../runner/run-agent.js';
import { describeZodError, sendError } from '../http-error.js';
import { openAiErrorBody } from '../openai/openai-error.js';
import {
  labHeadersSchema,
  openAiChatRequestSchema,
  requestParameters,
  requestTags,
  requestToolChoice,
  toChatMessages,
  toToolDefinitions,
  turnEntries,
  turnText,
  LAB_HEADERS,
  type LabHeaders,
  type OpenAiChatRequest,
} from '../openai/openai-request.js';
import { completion, completionChunk, openAiFinishReason, openAiUsage, type CompletionIdentity, type OpenAiToolCall } from '../openai/openai-response.js';
import { openSse, type SseStream } from '../sse.js';

/** The agents the endpoint resolves `agent/<name or id>` against. */
export interface OpenAiAgentsPort {
  list(): Promise<Agent[]>;
}

/** The model catalog (catalog and local models) the endpoint lists and checks `model` against. */
export interface OpenAiCatalogPort {
  /** The list for `/v1/models` (fetched when stale). */
  get(): Promise<{ models: Array<{ id: string; provider: string }> }>;
  /**
   * Whether `model` is in the current list, and whether that list came from the provider
   * (`authoritative`) rather than the offline fallback; never fetches, so a completion never
   * waits for the catalog.
   */
  lookup(model: string): { known: boolean; authoritative: boolean };
}

export const AGENT_MODEL_PREFIX = 'agent/';
/** runs.csv's agent for calls that name a plain model rather than a saved agent. */
export const ENDPOINT_AGENT = { id: 'openai-endpoint', name: 'OpenAI endpoint' } as const;

/** The saved agent `agent/<ref>` names: by id, else by name (the most recently updated of several). */
async function findAgent(agents: OpenAiAgentsPort, ref: string): Promise<Agent | undefined> {
  const all = await agents.list();
  return all.find((agent) => agent.id === ref) ?? all.filter((agent) => agent.name === ref).sort((a, b) => b.updated_at.localeCompare(a.updated_at))[0];
}

/** Defined values of `override` replace those of `base`. */
function mergeParameters(base: ModelParameters, override: ModelParameters): ModelParameters {
  const merged: ModelParameters = { ...base };
  for (const [key, value] of Object.entries(override) as Array<[keyof ModelParameters, never]>) if (value !== undefined) merged[key] = value;
  return merged;
}

/**
 * The agent a request runs as, and the parameters it sends: `agent/<name or id>` applies a
 * saved agent's system prompt and parameters (the request's own override them); any other
 * id must be a model the catalog knows (local models included) — unless the catalog is the
 * offline fallback list, which cannot tell, and then the provider decides.
 */
async function resolveModel(options: {
  body: OpenAiChatRequest;
  agents: OpenAiAgentsPort;
  catalog: OpenAiCatalogPort;
}): Promise<{ agent: Agent; parameters: ModelParameters }> {
  const { body } = options;
  const own = requestParameters(body);
  if (body.model.startsWith(AGENT_MODEL_PREFIX)) {
    const ref = body.model.slice(AGENT_MODEL_PREFIX.length);
    const agent = await findAgent(options.agents, ref);
    if (!agent) throw new LabError('not_found:model', `The model '${body.model}' does not exist: no saved agent has the name or id '${ref}'.`);
    const parameters = mergeParameters({ temperature: agent.temperature, topP: agent.top_p, maxTokens: agent.max_tokens, seed: agent.seed }, own);
    return { agent, parameters };
  }
  const { known, authoritative } = options.catalog.lookup(body.model);
  if (!known && (authoritative || body.model.startsWith('local/'))) {
    throw new LabError('not_found:model', `The model '${body.model}' does not exist: GET /v1/models lists the models and agents this lab serves.`);
  }
  const now = new Date().toISOString();
  const agent: Agent = {
    ...agentInputSchema.parse({
      name: ENDPOINT_AGENT.name,
      model: body.model,
      temperature: own.temperature ?? 1,
      top_p: own.topP ?? 1,
      ...(own.maxTokens !== undefined && own.maxTokens <= 1_000_000 ? { max_tokens: own.maxTokens } : {}),
      seed: own.seed ?? null,
    }),
    id: ENDPOINT_AGENT.id,
    created_at: now,
    updated_at: now,
  };
  return { agent, parameters: own };
}

/** Parse the body and the lab's headers, or give the 400 in OpenAI's shape with `param` naming the first bad field. */
function parseRequest(request: FastifyRequest): { body: OpenAiChatRequest; headers: LabHeaders } | { error: LabError; param: string | null } {
  const body = openAiChatRequestSchema.safeParse(request.body ?? {});
  const headers = body.success ? labHeadersSchema.safeParse(request.headers) : undefined;
  if (body.success && headers?.success) return { body: body.data, headers: headers.data };
  const error = body.success ? headers!.error! : body.error;
  const first = error.issues[0];
  const param = first && first.path.length > 0 ? first.path.map(String).join('.') : null;
  return { error: new LabError('bad_request:body', `Invalid chat completion request: ${describeZodError(error)}`), param };
}

/** `X-Agent-Lab-Run-Id` / `-Session-Id` on every answer, so a caller can find its run. */
function labHeaders(reply: FastifyReply, options: { runId: string; sessionId: string }): void {
  reply.header('x-agent-lab-run-id', options.runId);
  if (options.sessionId !== '') reply.header('x-agent-lab-session-id', options.sessionId);
}

/**
 * The OpenAI-compatible endpoint: `POST /v1/chat/completions`
 * (streamed or one JSON answer) and `GET /v1/models`, `GET /v1/models/:model`. Each call is one
 * run through the same runner as `/api/chat` (one model call; the client's tools pass through
 * and their calls come back unrun), recorded in runs.csv and, unless `X-Agent-Lab-Session: none`,
 * in a session. Errors use OpenAI's shape (the central handler does that for `/v1/*`).
 */
export function openAiRoutes(app: FastifyInstance, options: { chat: ChatService; agents: OpenAiAgentsPort; catalog: OpenAiCatalogPort }): void {
  const { chat } = options;

  app.post('/v1/chat/completions', async (request, reply) => {
    const parsed = parseRequest(request);
    if ('error' in parsed) return reply.status(400).send(openAiErrorBody(parsed.error, { param: parsed.param }));
    const { body, headers } = parsed;
    const tags = requestTags({ headers, metadata: body.metadata });
    const sessionId = headers[LAB_HEADERS.session];
    const { agent, parameters } = await resolveModel({ body, agents: options.agents, catalog: options.catalog });
    const prepared = chat.prepareClientTurn({
      agent,
      clientTurn: { messages: toChatMessages(body.messages), tools: toToolDefinitions(body.tools), toolChoice: requestToolChoice(body), parameters },
      tags,
      sessionId,
      message: turnText(body.messages),
      inputEntries: turnEntries(body.messages, new Date().toISOString()),
    });
    labHeaders(reply, { runId: prepared.runId, sessionId: prepared.sessionId });
    const identity: CompletionIdentity = { id: `chatcmpl-${prepared.runId}`, created: Math.floor(Date.now() / 1000), model: agent.model };

    // Stop = the client closing the connection: the run's upstream request is aborted at once.
    const controller = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort(new DOMException('client disconnected', 'AbortError'));
    });

    if (body.stream !== true) {
      const toolCalls: OpenAiToolCall[] = [];
      const result = await chat.execute(prepared, {
        signal: controller.signal,
        emit: (event) => {
          if (event.event === 'tool-call') toolCalls.push({ id: event.data.id, type: 'function', function: { name: event.data.name, arguments: argumentsText(event.data.args) } });
        },
      });
      if (result.error) return sendError(request, reply, result.error);
      return completion({ identity: { ...identity, model: result.run.model }, run: result.run, text: result.text, toolCalls });
    }

    // The stream's head waits for the first token: an upstream failure before it is still an
    // HTTP error with its own status (502/503), as OpenAI's own API answers.
    const includeUsage = body.stream_options?.include_usage === true;
    let sse: SseStream | undefined;
    let toolIndex = 0;
    let failed = false;
    const open = (): SseStream => {
      if (sse) return sse;
      sse = openSse(request, reply);
      sse.data(JSON.stringify(completionChunk({ identity, delta: { role: 'assistant', content: '', refusal: null }, includeUsage })));
      return sse;
    };
    const chunk = (delta: Record<string, unknown>) => open().data(JSON.stringify(completionChunk({ identity, delta, includeUsage })));
    let result: ChatResult;
    try {
      result = await chat.execute(prepared, {
        signal: controller.signal,
        emit: (event) => {
          if (event.event === 'text-delta') chunk({ content: event.data.delta });
          else if (event.event === 'tool-call') {
            const call = { index: toolIndex, id: event.data.id, type: 'function', function: { name: event.data.name, arguments: argumentsText(event.data.args) } };
            toolIndex += 1;
            chunk({ tool_calls: [call] });
          } else if (event.event === 'error') {
            // after the head the status is sent: the error is a data line, which SDKs raise
            failed = true;
            if (sse) sse.data(JSON.stringify(openAiErrorBody(new LabError(event.data.code as LabError['code'], event.data.message))));
          } else if (event.event === 'run-end' && !failed && !controller.signal.aborted) {
            const { run } = event.data;
            const stream = open();
            stream.data(JSON.stringify(completionChunk({ identity, delta: {}, finishReason: openAiFinishReason(run), includeUsage })));
            if (includeUsage) stream.data(JSON.stringify(completionChunk({ identity, usage: openAiUsage(run), includeUsage })));
            stream.data('[DONE]');
          }
        },
      });
    } catch (error) {
      request.log.error({ err: error }, 'Chat completion stream failed unexpectedly');
      const failure = error instanceof LabError ? error : new LabError('internal:server', 'The run failed inside the lab; see the log.', { cause: error });
      if (!sse) return sendError(request, reply, failure);
      sse.data(JSON.stringify(openAiErrorBody(failure)));
    }
    if (sse) {
      sse.end();
      return reply;
    }
    if (controller.signal.aborted) return reply;
    // no head yet: the run failed before its first token; its error keeps status and Retry-After
    return sendError(request, reply, result!.error ?? new LabError('internal:server', 'The run ended without an answer; see the log.'));
  });

  app.get('/v1/models', async () => {
    const [catalog, agents] = await Promise.all([options.catalog.get(), options.agents.list()]);
    return { object: 'list', data: modelList({ models: catalog.models, agents }) };
  });

  app.get('/v1/models/*', async (request) => {
    const id = (request.params as { '*': string })['*'];
    const [catalog, agents] = await Promise.all([options.catalog.get(), options.agents.list()]);
    const model = modelList({ models: catalog.models, agents }).find((entry) => entry.id === id);
    if (!model) throw new LabError('not_found:model', `The model '${id}' does not exist: GET /v1/models lists the models and agents this lab serves.`);
    return model;
  });
}

/** `/v1/models` entries: every catalog and local model, then each saved agent as `agent/<name>` (`agent/<id>` when names repeat). */
function modelList(options: { models: Array<{ id: string; provider: string }>; agents: Agent[] }): Array<{ id: string; object: 'model'; created: number; owned_by: string }> {
  const names = new Map<string, number>();
  for (const agent of options.agents) names.set(agent.name, (names.get(agent.name) ?? 0) + 1);
  return [
    ...options.models.map((model) => ({ id: model.id, object: 'model' as const, created: 0, owned_by: model.provider || 'agent-lab' })),
    ...options.agents.map((agent) => ({
      id: `${AGENT_MODEL_PREFIX}${names.get(agent.name) === 1 ? agent.name : agent.id}`,
      object: 'model' as const,
      created: Math.floor(Date.parse(agent.created_at) / 1000) || 0,
      owned_by: 'agent-lab',
    })),
  ];
}
