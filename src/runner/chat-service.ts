import { z } from 'zod';
import { agentInputSchema, type Agent } from '../domain/agent.js';
import { LabError } from '../domain/errors.js';
import type { ModelListSource, RunRecord } from '../domain/run.js';
import { FIELD_CAPS } from '../domain/run.js';
import type { Session, TranscriptEntry } from '../domain/session.js';
import { exchangeSpan } from '../domain/exchange.js';
import { SESSION_ID_PATTERN, sessionIdSchema } from '../domain/session.js';
import type { ChatMessage, Usage } from '../domain/stream-part.js';
import type { Logger } from '../ops/logger.js';
import type { RunObserver } from '../ops/observers.js';
import type { ChatProvider } from '../providers/provider.js';
import { newId } from './ids.js';
import type { RunEvent } from './run-events.js';
import { runAgent, type ClientTurn, type RunTags, type ToolRunner } from './run-agent.js';
import type { RunRegistry } from './run-registry.js';

/** Longest user message the lab accepts (characters). */
export const MAX_MESSAGE_CHARS = 100_000;

const tagText = z.string().max(FIELD_CAPS.tag, `must be at most ${FIELD_CAPS.tag} characters`);

/** The body of `POST /api/chat`. */
export const chatRequestSchema = z
  .object({
    agent_id: z.string().min(1).max(64).optional(),
    agent: agentInputSchema.optional(),
    session_id: sessionIdSchema.optional(),
    message: z
      .string({ message: 'message must be a string' })
      .min(1, 'message must not be empty')
      .max(MAX_MESSAGE_CHARS, `message must be at most ${MAX_MESSAGE_CHARS} characters`),
    tags: z
      .object({ experiment_id: tagText.optional(), task_label: tagText.optional(), run_notes: tagText.optional() })
      .strict()
      .optional(),
    stream: z.boolean().default(true),
    /** Regenerate, retry or edit-and-resend: this run's exchange in the session is replaced by the new one. */
    replace_run_id: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'replace_run_id must be a run id').optional(),
  })
  .strict()
  .refine((body) => body.agent_id !== undefined || body.agent !== undefined, {
    message: 'give agent_id (a saved agent) or agent (an inline config)',
    path: ['agent_id'],
  })
  .refine((body) => body.replace_run_id === undefined || body.session_id !== undefined, {
    message: 'replace_run_id needs the session_id the run belongs to',
    path: ['replace_run_id'],
  });
export type ChatRequestBody = z.output<typeof chatRequestSchema>;

const SIMPLE_CHAT_KEYS = new Set(['agent_id', 'session_id', 'message', 'stream']);

/**
 * The usual chat body - `{agent_id, message, session_id?, stream?}`, all valid - checked
 * without zod (its safeParse was the largest single cost of a chat request in the lab's own
 * code). Anything else, valid or not, returns undefined: `chatRequestSchema` decides it, and
 * words its errors. Same result as the schema for every body it accepts.
 */
export function parseSimpleChatRequest(body: unknown): ChatRequestBody | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) if (!SIMPLE_CHAT_KEYS.has(key)) return undefined;
  const { agent_id: agentId, session_id: sessionId, message, stream } = input;
  if (typeof agentId !== 'string' || agentId.length < 1 || agentId.length > 64) return undefined;
  if (typeof message !== 'string' || message.length < 1 || message.length > MAX_MESSAGE_CHARS) return undefined;
  if (stream !== undefined && typeof stream !== 'boolean') return undefined;
  if (sessionId !== undefined && (typeof sessionId !== 'string' || !SESSION_ID_PATTERN.test(sessionId))) return undefined;
  const parsed: ChatRequestBody = { agent_id: agentId, message, stream: stream ?? true };
  if (sessionId !== undefined) parsed.session_id = sessionId;
  return parsed;
}

/** The storage the chat needs (implemented in src/store). */
export interface ChatStores {
  agents: { get(id: string): Promise<Agent> };
  sessions: {
    get(id: string): Promise<Session>;
    appendTurn(options: {
      sessionId: string;
      createIfMissing?: { name?: string; agent_config: Record<string, unknown>; model_id: string };
      entries: TranscriptEntry[];
      run?: Record<string, unknown>;
      replaceRunId?: string;
    }): Promise<Session>;
  };
  runs: { append(run: RunRecord): Promise<void> };
}

/** Which provider serves a model, and where the model came from. */
export type ProviderSelector = (model: string) => { provider: ChatProvider; source: ModelListSource };

export interface ChatServiceOptions {
  stores: ChatStores;
  selectProvider: ProviderSelector;
  tools: ToolRunner;
  priceRun: (model: string, usage: Usage) => number | null;
  streamingEnabled: boolean;
  registry: RunRegistry;
  observer: RunObserver;
  logger: Logger;
}

/** A chat request checked against the stores, ready to run. */
export interface PreparedChat {
  runId: string;
  agent: Agent;
  sessionId: string;
  isNewSession: boolean;
  history: ChatMessage[];
  message: string;
  tags: RunTags;
  bakeoffId?: string;
  /** The run whose exchange this one replaces in the session. */
  replaceRunId?: string;
  /** A client-driven turn (the OpenAI endpoint); see ClientTurn. */
  clientTurn?: ClientTurn;
  /** What this turn adds to the session before the answer (default: the user message). */
  inputEntries?: TranscriptEntry[];
  /** True when the run goes to runs.csv only (`X-Agent-Lab-Session: none`). */
  withoutSession?: boolean;
}

/** A client-driven turn to prepare: see `ChatService.prepareClientTurn`. */
export interface ClientTurnRequest {
  agent: Agent;
  clientTurn: ClientTurn;
  tags: RunTags;
  /** null: no session; a string: that session, continued (or created when missing); undefined: a new one. */
  sessionId: string | null | undefined;
  /** The turn's text in one line (names a new session). */
  message: string;
  inputEntries: TranscriptEntry[];
}

/** The result of a chat run once it is stored. */
export interface ChatResult {
  run: RunRecord;
  text: string;
  error: LabError | null;
}

/**
 * A session's transcript as the messages a model sees: user and assistant text, and each
 * run's tool calls replayed as an assistant `tool_calls` message followed by the results
 * (tool turns without a call id, such as legacy ones, are left out).
 */
export function historyFrom(session: Pick<Session, 'transcript'>): ChatMessage[] {
  const history: ChatMessage[] = [];
  let pendingTools: Array<{ id: string; name: string; args: string; result: string }> = [];
  const flushTools = () => {
    if (pendingTools.length === 0) return;
    history.push({
      role: 'assistant',
      content: null,
      tool_calls: pendingTools.map((tool) => ({ id: tool.id, type: 'function', function: { name: tool.name, arguments: tool.args } })),
    });
    for (const tool of pendingTools) history.push({ role: 'tool', tool_call_id: tool.id, content: tool.result });
    pendingTools = [];
  };
  for (const entry of session.transcript) {
    if (entry.role === 'tool') {
      const id = typeof entry.tool_call_id === 'string' ? entry.tool_call_id : '';
      const name = typeof entry.name === 'string' ? entry.name : '';
      if (id !== '' && name !== '') pendingTools.push({ id, name, args: typeof entry.args === 'string' ? entry.args : '{}', result: entry.content });
      continue;
    }
    flushTools();
    if (entry.role === 'user') history.push({ role: 'user', content: entry.content });
    else if (entry.role === 'assistant' && entry.content !== '') history.push({ role: 'assistant', content: entry.content });
  }
  flushTools();
  return history;
}

/**
 * The chat use case: resolve the agent and session, run the agent, then store the run in
 * runs.csv and in its session before reporting `run-end`.
 */
export class ChatService {
  constructor(private readonly options: ChatServiceOptions) {}

  /**
   * The agent a request runs as: a saved agent (`agent_id`); an inline config (`agent`); or
   * both: the saved agent's identity with the inline settings, for this request only (the
   * chat's unsaved settings), the saved agent left as it is.
   */
  async #resolveAgent(body: Pick<ChatRequestBody, 'agent_id' | 'agent'>): Promise<Agent> {
    const inline = body.agent === undefined ? undefined : agentInputSchema.parse(body.agent);
    if (body.agent_id !== undefined) {
      const saved = await this.options.stores.agents.get(body.agent_id);
      return inline ? { ...inline, id: saved.id, created_at: saved.created_at, updated_at: saved.updated_at } : saved;
    }
    const now = new Date().toISOString();
    return { ...inline!, id: 'inline', created_at: now, updated_at: now };
  }

  /** Validate the request against the stores; throws 4xx LabErrors before any stream starts. */
  async prepare(body: ChatRequestBody, extra: { bakeoffId?: string } = {}): Promise<PreparedChat> {
    const agent = await this.#resolveAgent(body);
    let history: ChatMessage[] = [];
    let sessionId: string;
    let isNewSession = false;
    if (body.session_id) {
      const session = await this.options.stores.sessions.get(body.session_id);
      if (body.replace_run_id) {
        const span = exchangeSpan(session.transcript, body.replace_run_id);
        if (!span) throw new LabError('not_found:run', `Run ${body.replace_run_id} has no answer in session ${session.id} to replace.`);
        history = historyFrom({ transcript: session.transcript.slice(0, span.start) });
      } else {
        history = historyFrom(session);
      }
      sessionId = session.id;
    } else {
      sessionId = newId();
      isNewSession = true;
    }
    return {
      runId: newId(),
      agent,
      sessionId,
      isNewSession,
      history,
      message: body.message,
      tags: {
        experiment_id: body.tags?.experiment_id ?? '',
        task_label: body.tags?.task_label ?? '',
        run_notes: body.tags?.run_notes ?? '',
      },
      ...(extra.bakeoffId ? { bakeoffId: extra.bakeoffId } : {}),
      ...(body.replace_run_id ? { replaceRunId: body.replace_run_id } : {}),
    };
  }

  /**
   * A turn the client drives (the OpenAI endpoint): the agent is already resolved and the
   * conversation comes whole from the client, so nothing is read from the stores here.
   */
  prepareClientTurn(request: ClientTurnRequest): PreparedChat {
    const { sessionId } = request;
    return {
      runId: newId(),
      agent: request.agent,
      sessionId: sessionId ?? (sessionId === null ? '' : newId()),
      // a client may name its own session id: created on its first turn
      isNewSession: sessionId !== null,
      history: [],
      message: request.message,
      tags: request.tags,
      clientTurn: request.clientTurn,
      inputEntries: request.inputEntries,
      withoutSession: sessionId === null,
    };
  }

  /**
   * Run a prepared chat, streaming events through `emit`. The run is appended to runs.csv
   * and saved in its session before `run-end` is emitted; a storage failure is an `error`
   * event instead.
   */
  async execute(prepared: PreparedChat, options: { signal: AbortSignal; emit: (event: RunEvent) => void }): Promise<ChatResult> {
    const { agent } = prepared;
    const { provider, source } = this.options.selectProvider(agent.model);
    const registration = this.options.registry.register(prepared.runId, options.signal);
    // The run's child logger is made when the run first logs (at its end, normally): a pino
    // child serialises its bindings, work that need not delay the upstream request.
    let runLog: Logger | undefined;
    const log = () => (runLog ??= this.options.logger.child({ run_id: prepared.runId, session_id: prepared.sessionId, model: agent.model }));
    const toolTurns: TranscriptEntry[] = [];
    const toolCalls = new Map<string, { name: string; args: string }>();
    const emit = (event: RunEvent) => {
      if (event.event === 'tool-call') toolCalls.set(event.data.id, { name: event.data.name, args: argumentsText(event.data.args) });
      if (event.event === 'tool-result') {
        toolTurns.push({
          role: 'tool',
          content: event.data.result,
          ts: new Date().toISOString(),
          name: event.data.name,
          tool_call_id: event.data.id,
          args: toolCalls.get(event.data.id)?.args ?? '{}',
          web_status: event.data.web_status,
        });
      }
      options.emit(event);
    };
    // DEBUG: the access log has every request, and each run ends with an INFO or ERROR line
    // ('Chat stream completed' / 'aborted by the client' / 'failed') carrying the same ids.
    if (this.options.logger.isLevelEnabled('debug')) log().debug('Chat stream started');
    try {
      const outcome = await runAgent({
        runId: prepared.runId,
        agent,
        sessionId: prepared.sessionId,
        history: prepared.history,
        message: prepared.message,
        clientTurn: prepared.clientTurn,
        tags: prepared.tags,
        ...(prepared.bakeoffId ? { bakeoffId: prepared.bakeoffId } : {}),
        provider,
        tools: this.options.tools,
        streaming: this.options.streamingEnabled,
        modelListSource: source,
        priceRun: (usage) => this.options.priceRun(agent.model, usage),
        signal: registration.signal,
        emit,
        observer: this.options.observer,
      });
      const { run } = outcome;
      if (run.aborted) log().info({ completion_tokens: run.completion_tokens }, 'Chat stream aborted by the client');
      else if (outcome.error) log().error({ code: outcome.error.code, error: outcome.error.message }, 'Chat stream failed with a provider error');
      else log().info({ latency_ms: run.latency_ms, ttft_ms: run.ttft_ms, tokens: run.total_tokens }, 'Chat stream completed');

      try {
        await this.store({ prepared, run: outcome.run, text: outcome.text, toolTurns, toolCalls });
      } catch (error) {
        const storeError =
          error instanceof LabError ? error : new LabError('unavailable:store', 'The run could not be saved; see the log.', { cause: error });
        log().error({ err: error }, 'Failed to persist the run');
        options.emit({ event: 'error', data: { code: storeError.code, message: storeError.message, retryable: storeError.retryable } });
        return { run, text: outcome.text, error: storeError };
      }
      if (outcome.error) {
        options.emit({ event: 'error', data: { code: outcome.error.code, message: outcome.error.message, retryable: outcome.error.retryable } });
      }
      options.emit({ event: 'run-end', data: { run } });
      return { run, text: outcome.text, error: outcome.error };
    } finally {
      registration.done();
    }
  }

  private async store(options: { prepared: PreparedChat; run: RunRecord; text: string; toolTurns: TranscriptEntry[]; toolCalls: Map<string, { name: string; args: string }> }): Promise<void> {
    const { prepared, run, text, toolTurns } = options;
    await this.options.stores.runs.append(run);
    if (prepared.withoutSession) return;
    const now = new Date().toISOString();
    // a client turn's tool calls went back to the client unrun: kept on the answer, as OpenAI shapes them
    const returnedCalls = prepared.clientTurn
      ? [...options.toolCalls].map(([id, call]) => ({ id, type: 'function', function: { name: call.name, arguments: call.args } }))
      : [];
    const { id: _ignored, ...config } = prepared.agent;
    await this.options.stores.sessions.appendTurn({
      sessionId: prepared.sessionId,
      ...(prepared.isNewSession
        ? { createIfMissing: { name: prepared.message.slice(0, 60), agent_config: { ...config, agent_id: prepared.agent.id }, model_id: prepared.agent.model } }
        : {}),
      entries: [
        ...(prepared.inputEntries ?? [{ role: 'user' as const, content: prepared.message, ts: run.ts }]),
        ...toolTurns,
        { role: 'assistant', content: text, ts: now, run_id: run.run_id, ...(returnedCalls.length > 0 ? { tool_calls: returnedCalls } : {}) },
      ],
      run: { ...run },
      ...(prepared.replaceRunId ? { replaceRunId: prepared.replaceRunId } : {}),
    });
  }
}

/** A tool call's arguments as the JSON text the model sent (events carry them parsed when they parse). */
export function argumentsText(args: unknown): string {
  return typeof args === 'string' ? args : JSON.stringify(args);
}
