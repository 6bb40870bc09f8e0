import type { ModelListSource, RunRecord, WebStatus } from '../domain/run.js';
import { normaliseTimestamp } from '../domain/session.js';

/**
 * One runs.csv record, keyed by the header's column names (the file's own header, so
 * extra columns a tool added come along). Values are the raw CSV strings.
 */
export type RunRow = Record<string, string>;

const WEB_STATUSES: readonly WebStatus[] = ['off', 'ok', 'blocked'];
const MODEL_LIST_SOURCES: readonly ModelListSource[] = ['dynamic', 'fallback', 'local'];

/**
 * A CSV boolean as the lab or the Python Agent Lab wrote it (`true`/`True`/`1`/`yes`).
 * Returns undefined for anything else, so callers choose the default.
 */
export function parseCsvBoolean(value: string | undefined): boolean | undefined {
  const text = value?.trim().toLowerCase();
  if (text === 'true' || text === '1' || text === 'yes') return true;
  if (text === 'false' || text === '0' || text === 'no') return false;
  return undefined;
}

/**
 * A runs.csv row → a RunRecord. Tolerant, because rows come from files the lab did not
 * necessarily write: legacy rows get defaults for the lab's columns, `True`/`False` are
 * accepted, unparseable numbers become 0 (counts) or null (measurements that may be unknown).
 */
export function parseRunRow(row: RunRow): RunRecord {
  const text = (column: string): string => row[column] ?? '';
  const count = (column: string): number => {
    const value = Number(text(column).trim());
    return text(column).trim() !== '' && Number.isFinite(value) ? value : 0;
  };
  const measurement = (column: string): number | null => {
    const raw = text(column).trim();
    const value = Number(raw);
    return raw !== '' && Number.isFinite(value) ? value : null;
  };
  const webStatus = text('web_status').trim().toLowerCase() as WebStatus;
  const source = text('model_list_source').trim().toLowerCase() as ModelListSource;
  return {
    run_id: text('run_id'),
    session_id: text('session_id'),
    agent_id: text('agent_id'),
    agent_name: text('agent_name'),
    model: text('model'),
    ts: normaliseTimestamp(text('ts')),
    prompt_tokens: count('prompt_tokens'),
    completion_tokens: count('completion_tokens'),
    total_tokens: count('total_tokens'),
    latency_ms: count('latency_ms'),
    ttft_ms: measurement('ttft_ms'),
    tokens_per_s: measurement('tokens_per_s'),
    cost_usd: measurement('cost_usd'),
    experiment_id: text('experiment_id'),
    task_label: text('task_label'),
    run_notes: text('run_notes'),
    streaming: parseCsvBoolean(row.streaming) ?? false,
    model_list_source: MODEL_LIST_SOURCES.includes(source) ? source : 'fallback',
    tool_web_enabled: parseCsvBoolean(row.tool_web_enabled) ?? false,
    web_status: WEB_STATUSES.includes(webStatus) ? webStatus : 'off',
    aborted: parseCsvBoolean(row.aborted) ?? false,
    finish_reason: text('finish_reason'),
    error: text('error'),
    bakeoff_id: text('bakeoff_id'),
  };
}
