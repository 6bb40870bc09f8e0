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

/** The columns that hold numbers (empty when unknown); every other column holds text. */
export const NUMERIC_RUN_COLUMNS = [
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'latency_ms',
  'cost_usd',
  'ttft_ms',
  'tokens_per_s',
] as const satisfies readonly RunColumn[];

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
    latency_ms: formatMilliseconds(run.latency_ms),
    // docs/data-files.md "Cost": an unpriced run has an empty cost_usd (null in the API, "unpriced" in the UI).
    cost_usd: run.cost_usd === null ? '' : formatCost(run.cost_usd),
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
    ttft_ms: run.ttft_ms === null ? '' : formatMilliseconds(run.ttft_ms),
    tokens_per_s: run.tokens_per_s === null ? '' : formatRate(run.tokens_per_s),
    finish_reason: run.finish_reason,
    error: capText(run.error, FIELD_CAPS.error),
    bakeoff_id: run.bakeoff_id,
  };
  return RUN_COLUMNS.map((column) => values[column]);
}

/** The shortest window and the fewest streamed chunks over which tokens/s means anything. */
export const TOKENS_PER_SECOND_MIN_WINDOW_MS = 50;
export const TOKENS_PER_SECOND_MIN_CHUNKS = 5;

/**
 * tokens/s = completion tokens ÷ (last token − first token), rounded to 2 decimals; null
 * (not measurable) unless that window is at least 50 ms and holds at least 5 streamed chunks,
 * so a provider that sends everything at once never shows 100,000 tokens/s (SPEC "Figures a
 * user can trust"). Times are in ms from one clock.
 */
export function measureTokensPerSecond(options: {
  completionTokens: number;
  firstTokenAt: number | null;
  lastTokenAt: number | null;
  chunks: number;
}): number | null {
  const { completionTokens, firstTokenAt, lastTokenAt, chunks } = options;
  if (firstTokenAt === null || lastTokenAt === null || completionTokens <= 0) return null;
  const windowMs = lastTokenAt - firstTokenAt;
  if (windowMs < TOKENS_PER_SECOND_MIN_WINDOW_MS || chunks < TOKENS_PER_SECOND_MIN_CHUNKS) return null;
  return Math.round((completionTokens / windowMs) * 1000 * 100) / 100;
}

/** Significant digits a cost keeps in runs.csv: float noise goes, a tiny cost keeps its precision. */
const COST_SIGNIFICANT_DIGITS = 10;

/**
 * A cost as a person writes it: at most 10 significant digits, plain decimal notation
 * (never an exponent, so spreadsheets and `awk` read it as a number): `21776.29`, not
 * `21776.290000000001`; `0.000012345`, not `1.2345e-5`.
 */
export function formatCost(value: number): string {
  return formatDecimal(value, { significantDigits: COST_SIGNIFICANT_DIGITS });
}

/** Milliseconds: an integer, or one decimal. */
export function formatMilliseconds(value: number): string {
  return formatDecimal(value, { decimals: 1 });
}

/** tokens/s: two decimals at most. */
export function formatRate(value: number): string {
  return formatDecimal(value, { decimals: 2 });
}

/**
 * Plain decimal notation, rounded to `decimals` places or `significantDigits` digits,
 * trailing zeros dropped, no exponent, no `-0`. Non-finite values give ''.
 */
export function formatDecimal(value: number, options: { decimals?: number; significantDigits?: number } = {}): string {
  if (!Number.isFinite(value)) return '';
  if (Math.abs(value) >= 1e21) return BigInt(Math.round(value)).toString();
  const { significantDigits } = options;
  const decimals =
    significantDigits !== undefined
      ? value === 0
        ? 0
        : Math.min(100, Math.max(0, significantDigits - 1 - Math.floor(Math.log10(Math.abs(value)))))
      : (options.decimals ?? 12);
  const fixed = value.toFixed(decimals);
  const trimmed = fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
  return trimmed === '-0' ? '0' : trimmed;
}
