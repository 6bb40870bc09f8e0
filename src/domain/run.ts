/**
 * The run record: one user message and the agent's complete answer, as measured.
 * Its CSV form is the contract the playbooks rely on (docs/data-files.md).
 */

/** The 16 columns of the earlier Python Agent Lab, in this order. */
export const SEED_COLUMNS = [
  'ts',
  'agent_name',
  'model',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'latency_ms',
  'cost_usd',
  'experiment_id',
  'task_label',
  'run_notes',
  'streaming',
  'model_list_source',
  'tool_web_enabled',
  'web_status',
  'aborted',
] as const;

/** The lab's own columns, after the seed's. */
export const LAB_COLUMNS = [
  'run_id',
  'session_id',
  'agent_id',
  'ttft_ms',
  'tokens_per_s',
  'finish_reason',
  'error',
  'bakeoff_id',
] as const;

export const RUN_COLUMNS = [...SEED_COLUMNS, ...LAB_COLUMNS] as const;
export type RunColumn = (typeof RUN_COLUMNS)[number];

export type WebStatus = 'off' | 'ok' | 'blocked';
export type ModelListSource = 'dynamic' | 'fallback' | 'local';

/** Caps so ordinary CSV readers (Python's 131,072-character field limit) never choke. */
export const FIELD_CAPS = { tag: 10_000, error: 2_000 } as const;

/** One run, as the API returns it and as sessions keep it. */
export interface RunRecord {
  run_id: string;
  session_id: string;
  agent_id: string;
  agent_name: string;
  model: string;
  /** ISO 8601 UTC, when the run started. */
  ts: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  latency_ms: number;
  ttft_ms: number | null;
  tokens_per_s: number | null;
  /** USD; null when the model has no known price (the run is "unpriced"). */
  cost_usd: number | null;
  experiment_id: string;
  task_label: string;
  run_notes: string;
  streaming: boolean;
  model_list_source: ModelListSource;
  tool_web_enabled: boolean;
  web_status: WebStatus;
  aborted: boolean;
  finish_reason: string;
  error: string;
  bakeoff_id: string;
}

/** Truncate free text to a cap (by UTF-16 units, never splitting a surrogate pair). */
export function capText(text: string, cap: number): string {
  if (text.length <= cap) return text;
  let end = cap;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/** A run record as CSV fields in RUN_COLUMNS order (booleans `true`/`false`, unknowns empty). */
export function runToCsvFields(run: RunRecord): string[] {
  const values: Record<RunColumn, string> = {
    ts: run.ts,
    agent_name: run.agent_name,
    model: run.model,
    prompt_tokens: String(run.prompt_tokens),
    completion_tokens: String(run.completion_tokens),
    total_tokens: String(run.total_tokens),
    latency_ms: String(run.latency_ms),
    // docs/data-files.md: an unknown price is 0 in the file (the API and sessions keep null, which the UI shows as "unpriced").
    cost_usd: run.cost_usd === null ? '0' : formatNumber(run.cost_usd),
    experiment_id: capText(run.experiment_id, FIELD_CAPS.tag),
    task_label: capText(run.task_label, FIELD_CAPS.tag),
    run_notes: capText(run.run_notes, FIELD_CAPS.tag),
    streaming: String(run.streaming),
    model_list_source: run.model_list_source,
    tool_web_enabled: String(run.tool_web_enabled),
    web_status: run.web_status,
    aborted: String(run.aborted),
    run_id: run.run_id,
    session_id: run.session_id,
    agent_id: run.agent_id,
    ttft_ms: run.ttft_ms === null ? '' : String(run.ttft_ms),
    tokens_per_s: run.tokens_per_s === null ? '' : formatNumber(run.tokens_per_s),
    finish_reason: run.finish_reason,
    error: capText(run.error, FIELD_CAPS.error),
    bakeoff_id: run.bakeoff_id,
  };
  return RUN_COLUMNS.map((column) => values[column]);
}

/** Plain decimal notation (no exponent), so spreadsheets and `awk` read costs as numbers. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '';
  if (Number.isInteger(value)) return String(value);
  const fixed = value.toFixed(12).replace(/0+$/, '').replace(/\.$/, '');
  return fixed === '-0' ? '0' : fixed;
}
