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

/** The reference summary: per-model figures of the filtered runs. */
export function summariseFiltered(runs: readonly RunRecord[], filter: RunFilter): RunsSummary {
  const matched = applyRunFilter(runs, filter);
  return { count: matched.length, models: summariseRuns(matched) };
}
