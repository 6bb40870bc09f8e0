import { waitForLogin } from './auth-gate.js';
import type {
  Agent,
  AgentInput,
  ApiErrorBody,
  LabStatus,
  ModelCatalog,
  RunFilters,
  RunRecord,
  RunsSummaryRow,
  Session,
  SessionListItem,
} from './types.js';
import type { ExperimentRecord, HumanScoreInput, JudgeRequest, Leaderboard, ScoreRecord } from './eval-types.js';

/**
 * The lab's HTTP API as functions. Every call goes through `request`, which turns an error
 * body into an ApiError and, on 401, waits for the token prompt and tries again.
 */

/** A failed API call: the HTTP status and the server's stable error code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly retryable: boolean;

  constructor(options: { status: number; code: string; message: string; retryable?: boolean; cause?: unknown }) {
    super(options.message, { cause: options.cause });
    this.status = options.status;
    this.code = options.code;
    this.retryable = options.retryable ?? (options.status === 408 || options.status === 429 || options.status >= 500);
  }
}

/** Reads `{ error: { code, message } }` from a failed response, whatever the body turns out to be. */
export async function toApiError(response: Response, what: string): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let body: Partial<ApiErrorBody> | undefined;
  try {
    body = JSON.parse(text) as Partial<ApiErrorBody>;
  } catch {
    body = undefined; // not JSON (a proxy page, a maintenance page): the status says enough
  }
  const error = body?.error;
  return new ApiError({
    status: response.status,
    code: typeof error?.code === 'string' ? error.code : `http:${response.status}`,
    message:
      typeof error?.message === 'string' && error.message !== ''
        ? error.message
        : `${what} failed with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
    ...(typeof error?.retryable === 'boolean' ? { retryable: error.retryable } : {}),
  });
}

/** fetch with the lab's conventions: same-origin cookie, JSON, 401 → log in and retry. */
export async function labFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const what = `${init.method ?? 'GET'} ${path}`;
  for (;;) {
    let response: Response;
    try {
      response = await fetch(path, { credentials: 'same-origin', ...init });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ApiError({ status: 0, code: 'network:fetch', message: `Could not reach the lab: ${what}`, retryable: true, cause: error });
    }
    if (response.status === 401 && !path.startsWith('/api/auth/')) {
      await response.body?.cancel().catch(() => undefined);
      await waitForLogin();
      continue;
    }
    if (!response.ok) throw await toApiError(response, what);
    return response;
  }
}

async function json<T>(path: string, init: RequestInit & { body?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await labFetch(path, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Lists come back as an array or wrapped (`{ agents: [...] }`); take either. */
function unwrapList<T>(value: unknown, key: string): T[] {
  if (Array.isArray(value)) return value as T[];
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const candidate of [key, 'items', 'data', 'results']) {
      if (Array.isArray(record[candidate])) return record[candidate] as T[];
    }
  }
  return [];
}

/** Single objects may come back bare or wrapped (`{ agent: {...} }`). */
function unwrapObject<T>(value: unknown, key: string): T {
  if (value && typeof value === 'object' && key in value) {
    const inner = (value as Record<string, unknown>)[key];
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) return inner as T;
  }
  return value as T;
}

export function filtersToQuery(filters: Partial<RunFilters> & { limit?: string }): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (typeof value === 'string' && value.trim() !== '') params.set(key, value.trim());
  }
  const query = params.toString();
  return query === '' ? '' : `?${query}`;
}

export const api = {
  listAgents: async (): Promise<Agent[]> => unwrapList<Agent>(await json('/api/agents'), 'agents'),
  createAgent: async (input: AgentInput): Promise<Agent> =>
    unwrapObject<Agent>(await json('/api/agents', { method: 'POST', body: JSON.stringify(input) }), 'agent'),
  updateAgent: async (id: string, input: AgentInput): Promise<Agent> =>
    unwrapObject<Agent>(
      await json(`/api/agents/${encodeURIComponent(id)}`, { method: 'PUT', body: JSON.stringify(input) }),
      'agent',
    ),
  deleteAgent: (id: string): Promise<void> => json(`/api/agents/${encodeURIComponent(id)}`, { method: 'DELETE' }),

  listModels: (): Promise<ModelCatalog> => json('/api/models'),
  refreshModels: (): Promise<ModelCatalog> => json('/api/models/refresh', { method: 'POST', body: '{}' }),

  /** The newest `limit` sessions with every word of `q`, and whether more are left (`truncated`). */
  listSessions: async (query: { limit?: number; q?: string } = {}): Promise<{ sessions: SessionListItem[]; truncated: boolean }> => {
    const params = new URLSearchParams();
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.q) params.set('q', query.q);
    const body = await json(`/api/sessions${params.size > 0 ? `?${params}` : ''}`);
    const truncated = body !== null && typeof body === 'object' && (body as { truncated?: unknown }).truncated === true;
    return { sessions: unwrapList<SessionListItem>(body, 'sessions'), truncated };
  },
  getSession: async (id: string): Promise<Session> =>
    unwrapObject<Session>(await json(`/api/sessions/${encodeURIComponent(id)}`), 'session'),
  createSession: async (body: Record<string, unknown>): Promise<Session> =>
    unwrapObject<Session>(await json('/api/sessions', { method: 'POST', body: JSON.stringify(body) }), 'session'),
  updateSession: async (id: string, body: Record<string, unknown>): Promise<Session> =>
    unwrapObject<Session>(
      await json(`/api/sessions/${encodeURIComponent(id)}`, { method: 'PUT', body: JSON.stringify(body) }),
      'session',
    ),
  deleteSession: (id: string): Promise<void> => json(`/api/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' }),

  /** `limit`: only the last N matching runs (without it the server answers the newest 10,000). */
  listRuns: async (filters: Partial<RunFilters> & { limit?: string } = {}, signal?: AbortSignal): Promise<RunRecord[]> =>
    (await api.listRunsPage(filters, signal)).runs,
  /** The runs and whether the server cut the answer to the newest `limit` (a long history). */
  listRunsPage: async (
    filters: Partial<RunFilters> & { limit?: string } = {},
    signal?: AbortSignal,
  ): Promise<{ runs: RunRecord[]; truncated: boolean; limit: number | null }> => {
    const body = await json(`/api/runs${filtersToQuery(filters)}`, signal ? { signal } : {});
    const cut = body !== null && typeof body === 'object' && (body as { truncated?: unknown }).truncated === true;
    const limit = cut ? Number((body as { limit?: unknown }).limit) : Number.NaN;
    return { runs: unwrapList<RunRecord>(body, 'runs'), truncated: cut, limit: Number.isFinite(limit) ? limit : null };
  },
  cancelRun: (runId: string): Promise<void> =>
    json(`/api/runs/${encodeURIComponent(runId)}/cancel`, { method: 'POST', body: '{}' }),

  runsSummaryFor: async (filters: Partial<RunFilters>, signal?: AbortSignal): Promise<RunsSummaryRow[]> =>
    unwrapList<RunsSummaryRow>(await json(`/api/runs/summary${filtersToQuery(filters)}`, signal ? { signal } : {}), 'models'),

  listScores: async (filters: Partial<RunFilters> & { run_id?: string } = {}): Promise<ScoreRecord[]> =>
    unwrapList<ScoreRecord>(await json(`/api/scores${filtersToQuery(filters)}`), 'scores'),
  addScore: async (runId: string, score: HumanScoreInput): Promise<ScoreRecord> =>
    unwrapObject<ScoreRecord>(await json(`/api/runs/${encodeURIComponent(runId)}/scores`, { method: 'POST', body: JSON.stringify(score) }), 'score'),
  judge: (request: JudgeRequest): Promise<Record<string, unknown>> => json('/api/judge', { method: 'POST', body: JSON.stringify(request) }),
  /** The experiments of the whole history, newest first; `truncated` when there were more than the server's limit (narrow them with `q`). */
  listExperiments: async (query: { q?: string } = {}, signal?: AbortSignal): Promise<{ experiments: ExperimentRecord[]; truncated: boolean }> => {
    const search = query.q ? `?${new URLSearchParams({ q: query.q }).toString()}` : '';
    const body = await json(`/api/experiments${search}`, signal ? { signal } : {});
    const cut = body !== null && typeof body === 'object' && (body as { truncated?: unknown }).truncated === true;
    return { experiments: unwrapList<ExperimentRecord>(body, 'experiments'), truncated: cut };
  },
  leaderboard: (experimentId: string): Promise<Leaderboard> => json(`/api/leaderboard${filtersToQuery({ experiment_id: experimentId })}`),

  status: (): Promise<LabStatus> => json('/api/status'),
  login: async (token: string): Promise<void> => {
    await json('/api/auth/login', { method: 'POST', body: JSON.stringify({ token }) });
  },
};
