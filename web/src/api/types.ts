/**
 * The wire types the UI reads and sends, as docs/api.md describes them. The UI
 * talks to the server only over HTTP; these types are its whole view of the server.
 */

export const TOOL_NAMES = ['add_numbers', 'utc_now', 'fetch_url'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

export type { ModelListSource, WebStatus } from '../../../src/domain/run.js';
import type { ModelListSource, WebStatus } from '../../../src/domain/run.js';

/** What the UI sends to create or update an agent. */
export interface AgentInput {
  name: string;
  model: string;
  system_prompt: string;
  temperature: number;
  top_p: number;
  max_tokens: number;
  seed?: number | null;
  tools: ToolName[];
}

/** A stored agent, as `GET /api/agents` returns it. */
export interface Agent extends AgentInput {
  id: string;
  created_at: string;
  updated_at: string;
}

/** OpenRouter-style prices: USD per token, as strings (or numbers from some servers). */
export interface ModelPricing {
  prompt?: string | number | null;
  completion?: string | number | null;
}

export interface CatalogModel {
  id: string;
  name?: string | null;
  provider?: string | null;
  context_length?: number | null;
  pricing?: ModelPricing | null;
  source?: ModelListSource | null;
}

/** `GET /api/models`. */
export interface ModelCatalog {
  source: 'dynamic' | 'fallback';
  fetched_at: string | null;
  models: CatalogModel[];
}

/** One run, exactly as the server records it (shared wire type; type-only, nothing bundled). */
export type { RunRecord } from '../../../src/domain/run.js';
import type { RunRecord } from '../../../src/domain/run.js';

export interface TranscriptEntry {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  ts?: string | null;
  run_id?: string | null;
  /** Present on some servers' tool turns; read defensively. */
  name?: string | null;
  tool_call_id?: string | null;
  tool_calls?: unknown;
}

/** `GET /api/sessions/:id`. */
export interface Session {
  id: string;
  created_at: string;
  updated_at: string;
  name: string;
  notes: string;
  agent_config: (Partial<Agent> & { agent_id?: string }) | null;
  model_id: string;
  transcript: TranscriptEntry[];
  runs: Array<Partial<RunRecord>>;
}

/** An item of `GET /api/sessions` (servers may send the full session or a summary). */
export interface SessionListItem {
  id: string;
  name?: string | null;
  notes?: string | null;
  created_at?: string | null;
  updated_at?: string | null;
  model_id?: string | null;
  /** User messages in the session. */
  turns?: number | null;
  /** Runs recorded in the session. */
  runs?: number | null;
  /** A file the lab could not read; listed so it can be deleted. */
  damaged?: boolean;
  error?: string;
}

/** Run tags sent with each chat message and recorded on the run. */
export interface RunTags {
  experiment_id: string;
  task_label: string;
  run_notes: string;
}

/** `POST /api/chat` body. */
export interface ChatRequest {
  agent_id: string;
  /** The chat's unsaved settings: used for this request only, the saved agent left as it is. */
  agent?: AgentInput;
  session_id?: string;
  message: string;
  tags: RunTags;
  stream: true;
  /** Retry, regenerate, edit and resend: this run's exchange is replaced in the session. */
  replace_run_id?: string;
}

/** The SSE events of `POST /api/chat`: a discriminated union on `type` (the event name). */
export type ChatEvent =
  | { type: 'run-start'; run_id: string; session_id: string; agent_id: string; model: string }
  | { type: 'text-delta'; delta: string }
  | { type: 'tool-call'; id: string; name: string; args: unknown }
  | { type: 'tool-result'; id: string; name: string; result: unknown; web_status?: WebStatus | null }
  | { type: 'run-end'; run: RunRecord }
  | { type: 'error'; code: string; message: string; retryable: boolean };

/** `GET /api/status`: the service state the banners show. */
export interface LabStatus {
  read_only: boolean;
  maintenance: boolean;
  api_key_configured: boolean;
  circuit_open: boolean;
  /** Models whose circuit is open (labs before this field: absent). */
  open_circuits?: string[];
  version: string;
  auth_required: boolean;
}

/** The error body of every failed API call. */
export interface ApiErrorBody {
  error: { code: string; message: string; retryable?: boolean };
}

/** Filters of `GET /api/runs` and `GET /api/runs.csv`. */
export interface RunFilters {
  experiment_id: string;
  task_label: string;
  model: string;
  agent: string;
  /** ISO date (YYYY-MM-DD) or timestamp. */
  since: string;
}

/** One row of `GET /api/runs/summary` (per model); fields read defensively. */
export type RunsSummaryRow = { model: string } & Record<string, unknown>;
