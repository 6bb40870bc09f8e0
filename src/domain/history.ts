/**
 * The run and score history as the rest of the lab asks for it: the ports a storage engine
 * implements (files under DATA_DIR, or PostgreSQL; docs/data-files.md) and the filters they
 * answer. Queries name what they want, so an engine can answer in time proportional to the
 * rows returned rather than to the whole history.
 */
import type { RunRecord } from './run.js';
import { summariseRuns, type ModelSummary } from './run-summary.js';
import type { ScoreKind, ScoreRecord } from './score.js';

/** The run filters of `/api/runs` (also used by summary, scores, leaderboard and evals). */
export interface RunFilter {
  experiment_id?: string | undefined;
  task_label?: string | undefined;
  model?: string | undefined;
  /** An agent name or id. */
  agent?: string | undefined;
  session_id?: string | undefined;
  bakeoff_id?: string | undefined;
  /** ISO 8601; runs that started at or after it. */
  since?: string | undefined;
  /** The last N matching runs. */
  limit?: number | undefined;
}

/** The score filters of `/api/scores` (besides the run filters, applied through the runs). */
export interface ScoreFilter {
  run_ids?: readonly string[] | undefined;
  experiment_id?: string | undefined;
  kind?: ScoreKind | undefined;
  since?: string | undefined;
  /** The last N matching scores. */
  limit?: number | undefined;
}

/** What `GET /api/experiments` asks: the newest `limit` experiments, their ids containing `q` (A–Z matched in either case). */
export interface ExperimentQuery {
  q?: string | undefined;
  limit: number;
}

/** One experiment of the history: every run tagged with its id (judge calls included). */
export interface ExperimentRecord {
  experiment_id: string;
  runs: number;
  /** The time (ISO) of its first and of its most recently recorded run; null when that run's `ts` is not a time. */
  first_run_at: string | null;
  last_run_at: string | null;
}

/** `GET /api/runs/summary`'s answer. */
export interface RunsSummary {
  count: number;
  models: ModelSummary[];
}

/** Where runs are kept: append-only, queried by filter. */
export interface RunHistory {
  /** Store one run durably; resolves once it would survive a crash. */
  append(run: RunRecord): Promise<void>;
  /** The runs matching the filter, oldest first (`limit`: the last N). */
  findRuns(filter: RunFilter): Promise<RunRecord[]>;
  /** The ids of the runs `findRuns` would return, in the same order (no run records read back). */
  findRunIds(filter: RunFilter): Promise<string[]>;
  /**
   * Every experiment_id of the whole history (not the empty one), the most recently recorded
   * first, at most `limit`: `experimentsOf` over every run, answered without reading runs.
   */
  listExperiments(query: ExperimentQuery): Promise<ExperimentRecord[]>;
  /** One run by id, or undefined. */
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Per-model figures over the runs matching the filter (`limit` applies first). */
  summarise(filter: RunFilter): Promise<RunsSummary>;
  /**
   * Optional: the runs `findRuns` would return, a page at a time, so a download of a long
   * history never holds it all in memory (without it, callers use `findRuns`).
   */
  findRunPages?(filter: RunFilter, options: { pageSize: number }): AsyncIterable<RunRecord[]>;
}

/** Where scores are kept: append-only, queried by filter. */
export interface ScoreHistory {
  /** Store scores durably; resolves once they would survive a crash. */
  append(scores: ScoreRecord[]): Promise<void>;
  /** The scores matching the filter, oldest first (`limit`: the last N). */
  findScores(filter: ScoreFilter): Promise<ScoreRecord[]>;
}

/** True when the filter names any run field (not only `limit`). */
export function hasRunCriteria(filter: RunFilter): boolean {
  const { limit: _limit, ...criteria } = filter;
  return Object.values(criteria).some((value) => value !== undefined);
}

/** The reference meaning of a RunFilter over runs in file order (engines must agree with it). */
export function applyRunFilter(runs: readonly RunRecord[], filter: RunFilter): RunRecord[] {
  const since = filter.since ? Date.parse(filter.since) : undefined;
  const matched = runs.filter(
    (run) =>
      (filter.experiment_id === undefined || run.experiment_id === filter.experiment_id) &&
      (filter.task_label === undefined || run.task_label === filter.task_label) &&
      (filter.model === undefined || run.model === filter.model) &&
      (filter.agent === undefined || run.agent_name === filter.agent || run.agent_id === filter.agent) &&
      (filter.session_id === undefined || run.session_id === filter.session_id) &&
      (filter.bakeoff_id === undefined || run.bakeoff_id === filter.bakeoff_id) &&
      (since === undefined || Date.parse(run.ts) >= since),
  );
  return filter.limit ? matched.slice(-filter.limit) : matched;
}

/** The reference meaning of a ScoreFilter over scores in file order. */
export function applyScoreFilter(scores: readonly ScoreRecord[], filter: ScoreFilter): ScoreRecord[] {
  const runIds = filter.run_ids ? new Set(filter.run_ids) : undefined;
  const since = filter.since ? Date.parse(filter.since) : undefined;
  const matched = scores.filter(
    (score) =>
      (runIds === undefined || runIds.has(score.run_id)) &&
      (filter.experiment_id === undefined || score.experiment_id === filter.experiment_id) &&
      (filter.kind === undefined || score.kind === filter.kind) &&
      (since === undefined || Date.parse(score.ts) >= since),
  );
  return filter.limit ? matched.slice(-filter.limit) : matched;
}

/** Whether an experiment id matches `q`: a substring, with A–Z and a–z alike (the same in every engine, whatever the database's locale). */
export function experimentMatches(experimentId: string, q: string | undefined): boolean {
  return q === undefined || foldAsciiCase(experimentId).includes(foldAsciiCase(q));
}

/** Only A–Z lowered: PostgreSQL's `lower()` depends on the database's locale, `translate()` does not. */
export function foldAsciiCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** A run's `ts` as the ISO time `GET /api/experiments` shows (null when it is not a time). */
export function runTimeIso(timestamp: string | number): string | null {
  const time = typeof timestamp === 'number' ? timestamp : Date.parse(timestamp);
  return Number.isFinite(time) ? new Date(time).toISOString() : null;
}

/** The reference meaning of `listExperiments` over runs in file order (engines must agree with it). */
export function experimentsOf(runs: readonly RunRecord[], query: ExperimentQuery): ExperimentRecord[] {
  const found = new Map<string, { runs: number; first: RunRecord; last: RunRecord; lastIndex: number }>();
  runs.forEach((run, index) => {
    if (run.experiment_id === '' || !experimentMatches(run.experiment_id, query.q)) return;
    const known = found.get(run.experiment_id);
    if (known) Object.assign(known, { runs: known.runs + 1, last: run, lastIndex: index });
    else found.set(run.experiment_id, { runs: 1, first: run, last: run, lastIndex: index });
  });
  return [...found.entries()]
    .sort(([, a], [, b]) => b.lastIndex - a.lastIndex)
    .slice(0, query.limit)
    .map(([experimentId, entry]) => ({ experiment_id: experimentId, runs: entry.runs, first_run_at: runTimeIso(entry.first.ts), last_run_at: runTimeIso(entry.last.ts) }));
}

/** The reference summary: per-model figures of the filtered runs. */
export function summariseFiltered(runs: readonly RunRecord[], filter: RunFilter): RunsSummary {
  const matched = applyRunFilter(runs, filter);
  return { count: matched.length, models: summariseRuns(matched) };
}
