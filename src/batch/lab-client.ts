import { createParser } from 'eventsource-parser';
import { z } from 'zod';
import { BatchError } from './batch-error.js';

/**
 * The lab's HTTP API as the batch uses it: agents, the runs of an experiment, and one
 * streamed chat. Responses are parsed with schemas listing only the fields the batch reads.
 */

/** The fields of a run record the batch reads (`run-end` and `GET /api/runs`). */
export const batchRunSchema = z.object({
  run_id: z.string(),
  agent_id: z.string(),
  agent_name: z.string(),
  model: z.string(),
  latency_ms: z.number(),
  ttft_ms: z.number().nullable(),
  tokens_per_s: z.number().nullable(),
  cost_usd: z.number().nullable(),
  total_tokens: z.number(),
  aborted: z.boolean(),
  error: z.string(),
  run_notes: z.string(),
  experiment_id: z.string(),
});
export type BatchRun = z.output<typeof batchRunSchema>;

/** The fields of a score the CLI reads (`GET /api/scores`). */
export const labScoreSchema = z.object({
  run_id: z.string(),
  agent_id: z.string(),
  kind: z.string(),
  value: z.number().nullable(),
  pass: z.boolean().nullable(),
  eval_case: z.string(),
});
export type LabScore = z.output<typeof labScoreSchema>;

const agentSchema = z.object({ id: z.string(), name: z.string(), model: z.string() });
export type LabAgent = z.output<typeof agentSchema>;

const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const streamErrorSchema = z.object({ code: z.string(), message: z.string(), retryable: z.boolean().nullish() });

/** How one chat request ended. */
export type ChatOutcome =
  | { kind: 'finished'; run: BatchRun; error: { code: string; message: string } | null }
  | { kind: 'http-error'; status: number; code: string; message: string; retryAfterSeconds: number | undefined }
  | { kind: 'network-error'; message: string }
  | { kind: 'aborted' };

/** No byte for this long (the lab sends keep-alives every 15 s) means the stream is dead. */
const IDLE_TIMEOUT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 30_000;

function retryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/** A client of one lab (base URL, optional bearer token). */
export class LabClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;

  constructor(options: { baseUrl: string; token?: string | undefined }) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  private async getJson(pathAndQuery: string): Promise<unknown> {
    const what = `GET ${this.baseUrl}${pathAndQuery}`;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${pathAndQuery}`, { headers: this.headers({ accept: 'application/json' }), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      throw new BatchError('batch:lab_unreachable', `Cannot reach the lab: ${what} (${cause?.code ?? (error as Error).message}). Is it running? Use --url.`, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) {
      const parsed = errorBodySchema.safeParse(safeJson(text));
      const detail = parsed.success ? `${parsed.data.error.code}: ${parsed.data.error.message}` : text.slice(0, 200);
      const hint = response.status === 401 ? ' Give the lab token with --token or LAB_AUTH_TOKEN.' : '';
      throw new BatchError('batch:lab_refused', `The lab answered HTTP ${response.status} to ${what}: ${detail}.${hint}`);
    }
    return safeJson(text);
  }

  /** Every saved agent. */
  async listAgents(): Promise<LabAgent[]> {
    const body = z.object({ agents: z.array(agentSchema) }).safeParse(await this.getJson('/api/agents'));
    if (!body.success) throw new BatchError('batch:lab_refused', 'The lab sent an agent list the batch cannot read (GET /api/agents).');
    return body.data.agents;
  }

  /** The runs recorded under an experiment id. */
  async listRuns(experimentId: string): Promise<BatchRun[]> {
    return this.listOf({ path: `/api/runs?experiment_id=${encodeURIComponent(experimentId)}`, key: 'runs', schema: batchRunSchema });
  }

  /** A `{<key>: [...]}` list; entries its schema cannot read are left out. */
  private async listOf<T>(options: { path: string; key: string; schema: z.ZodType<T> }): Promise<T[]> {
    const body = z.object({ [options.key]: z.array(z.unknown()) }).safeParse(await this.getJson(options.path));
    if (!body.success) throw new BatchError('batch:lab_refused', `The lab sent a list the CLI cannot read (GET ${options.path.split('?')[0]}).`);
    return (body.data[options.key] as unknown[]).flatMap((entry) => {
      const parsed = options.schema.safeParse(entry);
      return parsed.success ? [parsed.data] : [];
    });
  }

  /** The scores of an experiment (`GET /api/scores?experiment_id=`). */
  async listScores(experimentId: string): Promise<LabScore[]> {
    return this.listOf({ path: `/api/scores?experiment_id=${encodeURIComponent(experimentId)}`, key: 'scores', schema: labScoreSchema });
  }

  /** `POST /api/chat` with `stream: true`, read to its `run-end`. Never throws. */
  async chat(options: { body: Record<string, unknown>; signal: AbortSignal }): Promise<ChatOutcome> {
    let run: BatchRun | undefined;
    let streamError: { code: string; message: string } | null = null;
    const outcome = await this.postEventStream({
      path: '/api/chat',
      body: { ...options.body, stream: true },
      signal: options.signal,
      onEvent: (event, data) => {
        if (event === 'error') {
          const parsed = streamErrorSchema.safeParse(safeJson(data));
          streamError = parsed.success ? { code: parsed.data.code, message: parsed.data.message } : { code: 'unknown', message: data };
        } else if (event === 'run-end') {
          const parsed = z.object({ run: batchRunSchema }).safeParse(safeJson(data));
          if (parsed.success) run = parsed.data.run;
        }
      },
    });
    if (outcome.kind !== 'completed') return outcome;
    if (!run) return { kind: 'network-error', message: streamError ? `${(streamError as { message: string }).message}` : 'the stream ended without run-end' };
    return { kind: 'finished', run, error: streamError };
  }

  /**
   * POST a JSON body to an SSE endpoint and hand each event (name, raw data) to `onEvent`
   * until the stream ends. Never throws: a refusal, a dead connection (no byte for 120 s)
   * and an interrupt are outcomes.
   */
  async postEventStream(options: {
    path: string;
    body: unknown;
    signal: AbortSignal;
    onEvent: (event: string, data: string) => void;
  }): Promise<{ kind: 'completed' } | Exclude<ChatOutcome, { kind: 'finished' }>> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal.reason);
    options.signal.addEventListener('abort', onAbort, { once: true });
    let idle: NodeJS.Timeout | undefined;
    let idledOut = false;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        idledOut = true;
        controller.abort(new Error('stream idle'));
      }, IDLE_TIMEOUT_MS);
    };
    try {
      armIdle();
      const response = await fetch(`${this.baseUrl}${options.path}`, {
        method: 'POST',
        headers: this.headers({ 'content-type': 'application/json', accept: 'text/event-stream' }),
        body: JSON.stringify(options.body),
        signal: controller.signal,
      });
      if (!response.ok || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
        const text = await response.text();
        const parsed = errorBodySchema.safeParse(safeJson(text));
        return {
          kind: 'http-error',
          status: response.status,
          code: parsed.success ? parsed.data.error.code : `http:${response.status}`,
          message: parsed.success ? parsed.data.error.message : `HTTP ${response.status}: ${text.slice(0, 200)}`,
          retryAfterSeconds: retryAfter(response.headers.get('retry-after')),
        };
      }
      const parser = createParser({ onEvent: (message) => options.onEvent(message.event ?? 'message', message.data) });
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        armIdle();
        parser.feed(decoder.decode(chunk, { stream: true }));
      }
      return { kind: 'completed' };
    } catch (error) {
      if (options.signal.aborted) return { kind: 'aborted' };
      if (idledOut) return { kind: 'network-error', message: `no data for ${IDLE_TIMEOUT_MS / 1000} s` };
      const cause = (error as { cause?: { code?: string } }).cause;
      return { kind: 'network-error', message: `${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}` };
    } finally {
      clearTimeout(idle);
      options.signal.removeEventListener('abort', onAbort);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // not JSON: the caller reports the raw text
  }
}
