import { performance } from 'node:perf_hooks';
import type { Agent } from '../domain/agent.js';
import { LabError } from '../domain/errors.js';
import { measureTokensPerSecond } from '../domain/run.js';
import type { ModelListSource, RunRecord, WebStatus } from '../domain/run.js';
import type { ChatMessage, StreamPart, ToolChoice, ToolDefinition, Usage } from '../domain/stream-part.js';
import type { RunObserver } from '../ops/observers.js';
import type { ChatProvider } from '../providers/provider.js';
import { newId } from './ids.js';
import type { RunEvent } from './run-events.js';

/** How many model calls one run may make (each tool round is one). */
export const MAX_AGENT_STEPS = 6;

/** The tools as the runner needs them (implemented in src/tools). */
export interface ToolRunner {
  definitions(names: Agent['tools']): import('../domain/stream-part.js').ToolDefinition[];
  execute(options: { name: string; args: string; signal: AbortSignal }): Promise<{ result: string; web_status: WebStatus }>;
}

export interface RunTags {
  experiment_id: string;
  task_label: string;
  run_notes: string;
}

/** Sampling parameters for the model call; undefined ones are left to the model. */
export interface ModelParameters {
  temperature?: number | undefined;
  topP?: number | undefined;
  maxTokens?: number | undefined;
  seed?: number | null | undefined;
  stop?: string[] | undefined;
  responseFormat?: Record<string, unknown> | undefined;
}

/**
 * A turn the client drives itself (the OpenAI-compatible endpoint): its own conversation,
 * tools and parameters. The run makes one model call; tool calls the model asks for are
 * reported (`tool-call` events) and returned to the client, never executed by the lab.
 */
export interface ClientTurn {
  /** The whole conversation as the client sent it (after the agent's system prompt, if any). */
  messages: ChatMessage[];
  tools?: ToolDefinition[] | undefined;
  toolChoice?: ToolChoice | undefined;
  parameters: ModelParameters;
}

export interface RunAgentOptions {
  runId?: string;
  agent: Agent;
  sessionId: string;
  /** Earlier turns of the conversation, oldest first. */
  history: ChatMessage[];
  message: string;
  /** Set for the OpenAI endpoint: replaces history + message, the agent's tools and parameters. */
  clientTurn?: ClientTurn | undefined;
  tags: RunTags;
  bakeoffId?: string;
  provider: ChatProvider;
  tools: ToolRunner;
  streaming: boolean;
  modelListSource: ModelListSource;
  /** USD for the run's usage; null when the model has no known price. */
  priceRun: (usage: Usage) => number | null;
  signal: AbortSignal;
  emit: (event: RunEvent) => void;
  observer: RunObserver;
}

/** What the run produced, before it is stored. */
export interface RunOutcome {
  run: RunRecord;
  text: string;
  /** The provider's error, when the run failed. */
  error: LabError | null;
}

function parseArgs(args: string): unknown {
  try {
    return JSON.parse(args === '' ? '{}' : args);
  } catch {
    return args;
  }
}

/** Rough token count for text whose usage the provider never reported (aborted runs). */
function estimateTokens(text: string): number {
  return text === '' ? 0 : Math.max(1, Math.round(text.length / 4));
}

/**
 * One run: the agent loop over the provider stream (tool calls executed and fed back, up to
 * MAX_AGENT_STEPS), measured (latency, TTFT, tokens/s) and turned into a run record.
 * Never throws for provider trouble: a failed or aborted run is still a run.
 */
export async function runAgent(options: RunAgentOptions): Promise<RunOutcome> {
  const { agent, signal, emit, observer } = options;
  const runId = options.runId ?? newId();
  const ts = new Date().toISOString();
  const startedAt = performance.now();
  let firstTokenAt: number | null = null;
  let lastTokenAt: number | null = null;
  let text = '';
  let deltaCount = 0;
  /** Network arrivals of text (see the text-delta branch) and when the first and last came. */
  let arrivals = 0;
  let firstArrivalAt: number | null = null;
  let lastArrivalAt: number | null = null;
  let finishReason = '';
  let answerComplete = false;
  let failure: LabError | null = null;
  let answeredBy = agent.model;
  const usageTotal: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  let usageSeen = false;
  let providerCost: number | undefined;
  const { clientTurn } = options;
  // A client turn runs none of the lab's tools, so the web tool is off whatever the agent says.
  const webEnabled = clientTurn === undefined && agent.tools.includes('fetch_url');
  let webStatus: WebStatus = webEnabled ? 'ok' : 'off';

  emit({
    event: 'run-start',
    data: { run_id: runId, session_id: options.sessionId, agent_id: agent.id, model: agent.model, ...(options.bakeoffId ? { bakeoff_id: options.bakeoffId } : {}) },
  });
  observer.runStarted({ runId, model: agent.model });

  const messages: ChatMessage[] = [];
  if (agent.system_prompt.trim() !== '') messages.push({ role: 'system', content: agent.system_prompt });
  if (clientTurn) messages.push(...clientTurn.messages);
  else messages.push(...options.history, { role: 'user', content: options.message });
  const toolDefinitions = clientTurn ? (clientTurn.tools ?? []) : options.tools.definitions(agent.tools);
  const parameters: ModelParameters = clientTurn
    ? clientTurn.parameters
    : { temperature: agent.temperature, topP: agent.top_p, maxTokens: agent.max_tokens, seed: agent.seed };

  try {
    for (let step = 0; step < MAX_AGENT_STEPS; step += 1) {
      const toolCalls: Array<{ id: string; name: string; args: string }> = [];
      let stepText = '';
      let stepFinish = '';
      const parts: AsyncIterable<StreamPart> = options.provider.streamChat(
        {
          model: agent.model,
          messages,
          ...parameters,
          tools: toolDefinitions.length > 0 ? toolDefinitions : undefined,
          toolChoice: toolDefinitions.length > 0 ? clientTurn?.toolChoice : undefined,
          stream: options.streaming,
        },
        { signal },
      );
      for await (const part of parts) {
        if (part.type === 'text-delta') {
          if (part.delta === '') continue;
          const now = performance.now();
          if (firstTokenAt === null) {
            firstTokenAt = now;
            observer.firstToken({ runId, model: agent.model, ttftMs: now - startedAt });
          } else if (lastTokenAt !== null) {
            observer.chunkGap({ runId, gapMs: now - lastTokenAt });
          }
          lastTokenAt = now;
          deltaCount += 1;
          // Deltas from one network read count as one arrival, at the time it came, so the
          // lab's own work on a burst (or a busy CPU) never reads as streaming.
          const arrivedAt = part.receivedAt ?? now;
          if (arrivedAt !== lastArrivalAt) {
            arrivals += 1;
            firstArrivalAt ??= arrivedAt;
            lastArrivalAt = arrivedAt;
          }
          text += part.delta;
          stepText += part.delta;
          emit({ event: 'text-delta', data: { delta: part.delta } });
        } else if (part.type === 'tool-call') {
          toolCalls.push({ id: part.id, name: part.name, args: part.args });
        } else if (part.type === 'usage') {
          usageSeen = true;
          usageTotal.prompt_tokens += part.usage.prompt_tokens;
          usageTotal.completion_tokens += part.usage.completion_tokens;
          usageTotal.total_tokens += part.usage.total_tokens;
          if (part.usage.cost !== undefined) providerCost = (providerCost ?? 0) + part.usage.cost;
        } else if (part.type === 'finish') {
          stepFinish = part.finishReason;
          if (part.model) answeredBy = part.model;
          // A finish with no tool call to run: the answer is complete, whatever comes after
          // (usage, [DONE]) or whenever a Stop lands from now on.
          // A finish that the Stop itself caused (the local provider reports 'abort') is not one.
          // The signal may already be aborted here: the OpenRouter adapter ends a stream whose
          // finish chunk came before the Stop with this finish part (usage and [DONE] never came).
          // For a client turn, tool calls are the answer too: the client runs them.
          if ((toolCalls.length === 0 || clientTurn !== undefined) && failure === null && part.finishReason !== 'abort') {
            answerComplete = true;
            finishReason = part.finishReason;
          }
        } else if (part.type === 'error') {
          failure = new LabError('provider:stream', part.message, { retryable: part.retryable });
        }
      }
      if (failure) break;
      finishReason = stepFinish || finishReason;
      if (toolCalls.length === 0 || signal.aborted) break;
      if (clientTurn) {
        for (const call of toolCalls) emit({ event: 'tool-call', data: { id: call.id, name: call.name, args: parseArgs(call.args) } });
        break;
      }

      messages.push({
        role: 'assistant',
        content: stepText === '' ? null : stepText,
        tool_calls: toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.args } })),
      });
      for (const call of toolCalls) {
        emit({ event: 'tool-call', data: { id: call.id, name: call.name, args: parseArgs(call.args) } });
        const outcome = agent.tools.includes(call.name as Agent['tools'][number])
          ? await options.tools.execute({ name: call.name, args: call.args, signal })
          : { result: `Error: tool '${call.name}' is not enabled for this agent.`, web_status: 'off' as WebStatus };
        if (call.name === 'fetch_url' && webEnabled && outcome.web_status === 'blocked') webStatus = 'blocked';
        emit({ event: 'tool-result', data: { id: call.id, name: call.name, result: outcome.result, web_status: call.name === 'fetch_url' ? outcome.web_status : webStatus } });
        messages.push({ role: 'tool', tool_call_id: call.id, content: outcome.result });
      }
      if (step === MAX_AGENT_STEPS - 1) finishReason = 'max_steps';
    }
  } catch (error) {
    if (!signal.aborted) {
      failure =
        error instanceof LabError
          ? error
          : new LabError('provider:network', `The provider call failed: ${(error as Error).message ?? String(error)}`, { cause: error });
    }
  }

  // A Stop that lands after the answer finished (while usage or [DONE] was still on its way)
  // stopped nothing: the run is recorded as finished (SPEC "Figures a user can trust").
  const aborted = signal.aborted && !answerComplete;
  const endedAt = performance.now();
  if (!usageSeen && firstTokenAt !== null) {
    // No usage reported (an aborted stream, a provider that sends none): estimate from what
    // was sent and streamed. A run that never got a token reports zero, not a guess.
    usageTotal.prompt_tokens = estimateTokens(messages.map((message) => ('content' in message && message.content) || '').join('\n'));
    usageTotal.completion_tokens = Math.max(deltaCount, 0);
    usageTotal.total_tokens = usageTotal.prompt_tokens + usageTotal.completion_tokens;
  }
  if (providerCost !== undefined) usageTotal.cost = providerCost;
  const tokensPerSecond = measureTokensPerSecond({
    completionTokens: usageTotal.completion_tokens,
    firstTokenAt: firstArrivalAt,
    lastTokenAt: lastArrivalAt,
    chunks: arrivals,
  });

  const run: RunRecord = {
    run_id: runId,
    session_id: options.sessionId,
    agent_id: agent.id,
    agent_name: agent.name,
    model: answeredBy,
    ts,
    prompt_tokens: usageTotal.prompt_tokens,
    completion_tokens: usageTotal.completion_tokens,
    total_tokens: usageTotal.total_tokens,
    latency_ms: Math.round(endedAt - startedAt),
    ttft_ms: firstTokenAt === null ? null : Math.round(firstTokenAt - startedAt),
    tokens_per_s: tokensPerSecond,
    cost_usd: options.priceRun(usageTotal),
    experiment_id: options.tags.experiment_id,
    task_label: options.tags.task_label,
    run_notes: options.tags.run_notes,
    streaming: options.streaming,
    model_list_source: options.modelListSource,
    tool_web_enabled: webEnabled,
    web_status: webStatus,
    aborted,
    finish_reason: aborted ? 'aborted' : failure ? 'error' : finishReason || 'stop',
    error: failure ? `${failure.code}: ${failure.message}` : '',
    bakeoff_id: options.bakeoffId ?? '',
  };
  observer.runFinished({ run, outcome: aborted ? 'aborted' : failure ? 'failed' : 'completed' });
  return { run, text, error: aborted ? null : failure };
}
