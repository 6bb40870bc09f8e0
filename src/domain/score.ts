/**
 * The score record: one verdict on one run (a check, a judge, a pairwise result or a
 * person's rating), stored append-only in `data/scores.csv` (docs/data-files.md).
 */
import { capText, formatDecimal } from './run.js';

/** The header of scores.csv, exactly, in this order. */
export const SCORE_COLUMNS = [
  'ts',
  'score_id',
  'run_id',
  'experiment_id',
  'agent_id',
  'model',
  'scorer',
  'kind',
  'value',
  'pass',
  'reason',
  'judge_run_id',
  'opponent_run_id',
  'eval_case',
  'rater',
] as const;
export type ScoreColumn = (typeof SCORE_COLUMNS)[number];

export const SCORE_KINDS = ['check', 'judge', 'pairwise', 'human'] as const;
export type ScoreKind = (typeof SCORE_KINDS)[number];

/** Caps on free text, like runs.csv's, so ordinary CSV readers never choke. */
export const SCORE_FIELD_CAPS = { reason: 2_000, text: 10_000 } as const;

/** One score, as the API returns it. */
export interface ScoreRecord {
  /** ISO 8601 UTC, when the verdict was recorded. */
  ts: string;
  score_id: string;
  run_id: string;
  experiment_id: string;
  agent_id: string;
  model: string;
  /** Who scored: a check name (`icontains`), a judge agent's name, or `human`. */
  scorer: string;
  kind: ScoreKind;
  /** 0..1; null for a judge error (the verdict could not be read). */
  value: number | null;
  /** null when the score has no pass/fail meaning (pairwise) or the judge erred. */
  pass: boolean | null;
  reason: string;
  judge_run_id: string;
  opponent_run_id: string;
  eval_case: string;
  rater: string;
}

/** A score as CSV fields in SCORE_COLUMNS order (unknown value/pass are empty). */
export function scoreToCsvFields(score: ScoreRecord): string[] {
  const values: Record<ScoreColumn, string> = {
    ts: score.ts,
    score_id: score.score_id,
    run_id: score.run_id,
    experiment_id: capText(score.experiment_id, SCORE_FIELD_CAPS.text),
    agent_id: score.agent_id,
    model: score.model,
    scorer: capText(score.scorer, SCORE_FIELD_CAPS.text),
    kind: score.kind,
    value: score.value === null ? '' : formatDecimal(score.value, { significantDigits: 10 }),
    pass: score.pass === null ? '' : String(score.pass),
    reason: capText(score.reason, SCORE_FIELD_CAPS.reason),
    judge_run_id: score.judge_run_id,
    opponent_run_id: score.opponent_run_id,
    eval_case: capText(score.eval_case, SCORE_FIELD_CAPS.text),
    rater: capText(score.rater, SCORE_FIELD_CAPS.text),
  };
  return SCORE_COLUMNS.map((column) => values[column]);
}

/**
 * A scores.csv row (keyed by header names) → a ScoreRecord. Rows with an unknown kind or a
 * value outside 0..1 are not scores the lab wrote: undefined, so readers skip and count them.
 */
export function parseScoreRow(row: Record<string, string>): ScoreRecord | undefined {
  const text = (column: ScoreColumn): string => row[column] ?? '';
  const kind = readKind(text('kind'));
  const value = readValue(text('value'));
  if (kind === undefined || value === undefined) return undefined;
  const rawPass = text('pass').trim().toLowerCase();
  const pass = rawPass === 'true' ? true : rawPass === 'false' ? false : null;
  return {
    ts: text('ts'),
    score_id: text('score_id'),
    run_id: text('run_id'),
    experiment_id: text('experiment_id'),
    agent_id: text('agent_id'),
    model: text('model'),
    scorer: text('scorer'),
    kind,
    value,
    pass,
    reason: text('reason'),
    judge_run_id: text('judge_run_id'),
    opponent_run_id: text('opponent_run_id'),
    eval_case: text('eval_case'),
    rater: text('rater'),
  };
}

const NUMBER_PATTERN = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const ISO_PATTERN = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
/** Python's csv module refuses fields longer than this by default. */
const PYTHON_FIELD_LIMIT = 131_072;

/** A `kind` the lab writes, or undefined. */
export function readKind(value: string): ScoreKind | undefined {
  return (SCORE_KINDS as readonly string[]).includes(value) ? (value as ScoreKind) : undefined;
}

/** `value`: empty (null) or a number from 0 to 1; undefined when it is neither. */
export function readValue(raw: string): number | null | undefined {
  const value = raw.trim();
  if (value === '') return null;
  const number = Number(value);
  return NUMBER_PATTERN.test(value) && number >= 0 && number <= 1 ? number : undefined;
}

function preview(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ');
  return flat.length > 40 ? `${flat.slice(0, 40)}…` : flat;
}

/**
 * The problems of a scores.csv row, each naming its column; empty when the row is one the
 * lab would write. The same rules as `parseScoreRow` (kind, value), plus the timestamp, `pass`
 * and the CSV readers' field limit, for `agent-lab check`.
 */
export function checkScoreRow(row: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [column, value] of Object.entries(row)) {
    if (value.length > PYTHON_FIELD_LIMIT) problems.push(`${column} is ${value.length} characters, over the ${PYTHON_FIELD_LIMIT} that CSV readers accept`);
  }
  const ts = row.ts ?? '';
  if (!ISO_PATTERN.test(ts) || Number.isNaN(Date.parse(ts.replace(' ', 'T')))) problems.push(`ts "${preview(ts)}" is not an ISO 8601 timestamp`);
  if (readKind(row.kind ?? '') === undefined) problems.push(`kind "${preview(row.kind ?? '')}" is not one of ${SCORE_KINDS.join('|')}`);
  if (readValue(row.value ?? '') === undefined) problems.push(`value "${preview(row.value ?? '')}" is not a number from 0 to 1`);
  if (!['', 'true', 'false', 'True', 'False'].includes(row.pass ?? '')) problems.push(`pass "${preview(row.pass ?? '')}" is not true/false`);
  return problems;
}
