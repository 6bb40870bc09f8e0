import { z } from 'zod';
import { RUN_COLUMNS, type ModelListSource, type RunColumn, type RunRecord, type WebStatus } from '../domain/run.js';
import { normaliseTimestamp } from '../domain/session.js';

/**
 * The one definition of a runs.csv row: what each column must hold, how it reads as a
 * RunRecord, and what a reader falls back to when a value is not readable. The store's read
 * (`/api/runs`), `check` and `rebuild-csv` all go through it, so they cannot disagree.
 * Legacy values of the Python Agent Lab (`True`/`False`, `2025-10-01 02:31:41.664704+00:00`)
 * are accepted.
 */

/** One runs.csv record, keyed by the header's column names (extra columns come along). Raw CSV strings. */
export type RunRow = Record<string, string>;

/** Python's csv module refuses fields longer than this by default. */
export const PYTHON_FIELD_LIMIT = 131_072;

const NUMBER_PATTERN = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const ISO_PATTERN = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const WEB_STATUSES: readonly WebStatus[] = ['off', 'ok', 'blocked'];
const MODEL_LIST_SOURCES: readonly ModelListSource[] = ['dynamic', 'fallback', 'local'];

function preview(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ');
  return flat.length > 40 ? `${flat.slice(0, 40)}…` : flat;
}

/** One column: read a value (undefined: not valid), say why it is not, and what a tolerant reader uses instead. */
interface ColumnRule<T> {
  read: (value: string) => T | undefined;
  problem: (value: string) => string;
  fallback: (value: string) => T;
}

/** A CSV boolean as the lab (`true`/`false`) or the Python Agent Lab (`True`/`False`) wrote it. */
export function parseCsvBoolean(value: string | undefined): boolean | undefined {
  if (value === 'true' || value === 'True') return true;
  if (value === 'false' || value === 'False') return false;
  return undefined;
}

const text: ColumnRule<string> = {
  read: (value) => (value.length <= PYTHON_FIELD_LIMIT ? value : undefined),
  problem: (value) => `is ${value.length} characters, over the ${PYTHON_FIELD_LIMIT} that CSV readers accept`,
  fallback: (value) => value,
};
const count: ColumnRule<number> = {
  read: (value) => (/^\d+$/.test(value) ? Number(value) : undefined),
  problem: (value) => `"${preview(value)}" is not a whole number of tokens`,
  fallback: () => 0,
};
function number(options: { optional: true }): ColumnRule<number | null>;
function number(options: { optional: false }): ColumnRule<number>;
function number(options: { optional: boolean }): ColumnRule<number | null> {
  return {
    read: (value) => {
      if (value === '') return options.optional ? null : undefined;
      return NUMBER_PATTERN.test(value) && Number.isFinite(Number(value)) ? Number(value) : undefined;
    },
    problem: (value) => (value === '' ? 'is empty, a number is required' : `"${preview(value)}" is not a number`),
    // A required number (latency) that cannot be read is 0; an optional one is unknown.
    fallback: () => (options.optional ? null : 0),
  };
}
const boolean = (options: { optional: boolean }): ColumnRule<boolean> => ({
  read: (value) => (value === '' && options.optional ? false : parseCsvBoolean(value)),
  problem: (value) => `"${preview(value)}" is not true/false`,
  fallback: () => false,
});
const oneOf = <T extends string>(allowed: readonly T[], fallback: T): ColumnRule<T> => ({
  read: (value) => (allowed.includes(value as T) ? (value as T) : undefined),
  problem: (value) => `"${preview(value)}" is not one of ${allowed.join('|')}`,
  fallback: () => fallback,
});
const timestamp: ColumnRule<string> = {
  read: (value) => (ISO_PATTERN.test(value) && !Number.isNaN(Date.parse(value.replace(' ', 'T'))) ? normaliseTimestamp(value) : undefined),
  problem: (value) => `"${preview(value)}" is not an ISO 8601 timestamp`,
  fallback: (value) => normaliseTimestamp(value),
};

/** What each column of runs.csv holds. */
const RUN_ROW_RULES: { [Column in RunColumn]: ColumnRule<RunRecord[Column]> } = {
  ts: timestamp,
  agent_name: text,
  model: text,
  prompt_tokens: count,
  completion_tokens: count,
  total_tokens: count,
  latency_ms: number({ optional: false }),
  cost_usd: number({ optional: true }),
  experiment_id: text,
  task_label: text,
  run_notes: text,
  streaming: boolean({ optional: false }),
  model_list_source: oneOf(MODEL_LIST_SOURCES, 'fallback'),
  tool_web_enabled: boolean({ optional: false }),
  web_status: oneOf(WEB_STATUSES, 'off'),
  // Rows migrated from a 15-column legacy file may carry an empty `aborted`.
  aborted: boolean({ optional: true }),
  run_id: text,
  session_id: text,
  agent_id: text,
  ttft_ms: number({ optional: true }),
  tokens_per_s: number({ optional: true }),
  finish_reason: text,
  error: text,
  bakeoff_id: text,
};

function columnSchema<T>(rule: ColumnRule<T>): z.ZodType<T, string> {
  return z.string().transform((value, context) => {
    const read = rule.read(value);
    if (read === undefined) {
      context.addIssue({ code: 'custom', message: rule.problem(value) });
      return z.NEVER;
    }
    return read;
  });
}

/** The strict schema of one runs.csv row (all 24 columns, strings) → a RunRecord. */
export const runRowSchema = z.object(
  Object.fromEntries(RUN_COLUMNS.map((column) => [column, columnSchema(RUN_ROW_RULES[column] as ColumnRule<unknown>)])) as {
    [Column in RunColumn]: z.ZodType<RunRecord[Column], string>;
  },
);

/**
 * The problems of a row, each naming its column (`ts "yesterday" is not an ISO 8601
 * timestamp`); empty when the row is valid. Columns the row lacks are not checked (a legacy
 * file has fewer); extra columns hold free text.
 */
export function checkRunRow(row: RunRow): string[] {
  const problems: string[] = [];
  for (const [column, value] of Object.entries(row)) {
    const rule = (RUN_ROW_RULES as Partial<Record<string, ColumnRule<unknown>>>)[column] ?? text;
    if (rule.read(value) === undefined) problems.push(`${column} ${rule.problem(value)}`);
  }
  return problems;
}

/**
 * One column's value as `parseRunRow` reads it (the fallback when it is not readable), so a
 * reader that needs only some columns (the run index) agrees with the full row parse.
 */
export function readRunField<Column extends RunColumn>(column: Column, value: string): RunRecord[Column] {
  const rule = RUN_ROW_RULES[column] as ColumnRule<RunRecord[Column]>;
  const read = rule.read(value);
  return read === undefined ? rule.fallback(value) : read;
}

/**
 * A runs.csv row → a RunRecord, tolerantly: rows come from files the lab did not
 * necessarily write, so a column the row lacks or cannot be read gets its fallback (0 for
 * counts, null for measurements that may be unknown, `false`, `fallback`, `off`). Uses the
 * same rules as `runRowSchema` without zod's per-call cost: /api/runs reads every row.
 */
export function parseRunRow(row: RunRow): RunRecord {
  const record: Partial<Record<RunColumn, unknown>> = {};
  for (const column of RUN_COLUMNS) {
    const rule = RUN_ROW_RULES[column] as ColumnRule<unknown>;
    const value = row[column] ?? '';
    const read = rule.read(value);
    record[column] = read === undefined ? rule.fallback(value) : read;
  }
  return record as RunRecord;
}
