import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError } from '../api/client.js';
import type { ScoreRecord } from '../api/eval-types.js';
import type { RunFilters, RunRecord, RunsSummaryRow } from '../api/types.js';
import { useLabChanged } from './lab-events.js';
import { messageOf } from './use-models.js';

/**
 * The runs view's data: `GET /api/runs` and `GET /api/runs/summary` with the same filters (so
 * the per-model summary honours them), the scores of those runs, and every run unfiltered (for
 * suggestions and for grouping sessions by experiment). Reloads when the lab changes.
 */

/** The score filter: what a person or a check said about a run. */
export type ScoreFilter = '' | 'up' | 'down' | 'pass' | 'fail' | 'scored' | 'unscored';

export interface RunsFilters extends RunFilters {
  score: ScoreFilter;
}

export interface RunsState {
  filters: RunsFilters;
  setFilters: (update: (filters: RunsFilters) => RunsFilters) => void;
  runs: RunRecord[];
  /** Set when the server answered only the newest N matching runs (a long history): N. */
  truncatedAt: number | null;
  allRuns: RunRecord[];
  summary: RunsSummaryRow[];
  /** Scores by run id (empty when the lab has no scores API). */
  scores: Map<string, ScoreRecord[]>;
  loading: boolean;
  error: string | null;
  reload: () => void;
}

export const EMPTY_FILTERS: RunsFilters = { experiment_id: '', task_label: '', model: '', agent: '', since: '', score: '' };

function matchesScore(filter: ScoreFilter, scores: ScoreRecord[] | undefined): boolean {
  const list = scores ?? [];
  switch (filter) {
    case '':
      return true;
    case 'up':
      return list.some((score) => score.kind === 'human' && score.value === 1);
    case 'down':
      return list.some((score) => score.kind === 'human' && score.value === 0);
    case 'pass':
      return list.length > 0 && list.every((score) => score.pass !== false) && list.some((score) => score.pass === true);
    case 'fail':
      return list.some((score) => score.pass === false);
    case 'scored':
      return list.length > 0;
    case 'unscored':
      return list.length === 0;
  }
}

function groupScores(scores: ScoreRecord[]): Map<string, ScoreRecord[]> {
  const byRun = new Map<string, ScoreRecord[]>();
  for (const score of scores) byRun.set(score.run_id, [...(byRun.get(score.run_id) ?? []), score]);
  return byRun;
}

export function useRuns(): RunsState {
  const [filters, setFiltersState] = useState<RunsFilters>(EMPTY_FILTERS);
  const [filteredRuns, setFilteredRuns] = useState<RunRecord[]>([]);
  const [truncatedAt, setTruncatedAt] = useState<number | null>(null);
  const [allRuns, setAllRuns] = useState<RunRecord[]>([]);
  const [summary, setSummary] = useState<RunsSummaryRow[]>([]);
  const [scores, setScores] = useState<Map<string, ScoreRecord[]>>(new Map());
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const filtered = useRef<AbortController | null>(null);

  const setFilters = useCallback((update: (filters: RunsFilters) => RunsFilters) => setFiltersState(update), []);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  useLabChanged(['runs', 'scores'], reload);

  const { score: _score, ...serverFilters } = filters;
  const serverKey = JSON.stringify(serverFilters);
  const unfilteredView = Object.values(serverFilters).every((value) => value === '');
  useEffect(() => {
    filtered.current?.abort();
    const controller = new AbortController();
    filtered.current = controller;
    setLoading(true);
    const query = JSON.parse(serverKey) as RunFilters;
    const unfiltered = Object.values(query).every((value) => value === '');
    // Debounced so typing in a filter box sends one request.
    const timer = setTimeout(() => {
      Promise.all([api.listRunsPage(query, controller.signal), api.runsSummaryFor(query, controller.signal)])
        .then(([{ runs: list, truncated, limit }, rows]) => {
          setFilteredRuns(list);
          setTruncatedAt(truncated ? (limit ?? list.length) : null);
          if (unfiltered) setAllRuns(list);
          setSummary(rows);
          setError(null);
        })
        .catch((caught: unknown) => {
          if (!controller.signal.aborted) setError(messageOf(caught));
        })
        .finally(() => {
          if (!controller.signal.aborted) setLoading(false);
        });
    }, 200);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [serverKey, generation]);

  useEffect(() => {
    let cancelled = false;
    // With no filter the table's own request already brings every run.
    if (!unfilteredView) {
      api
        .listRuns({})
        .then((list) => !cancelled && setAllRuns(list))
        .catch((caught: unknown) => console.warn('Agent Lab: runs for suggestions not loaded', caught));
    }
    api
      .listScores()
      .then((list) => !cancelled && setScores(groupScores(list)))
      .catch((caught: unknown) => {
        // A lab without the scores API yet: no scores, nothing to warn about.
        if (!(caught instanceof ApiError && caught.status === 404)) console.warn('Agent Lab: scores not loaded', caught);
      });
    return () => {
      cancelled = true;
    };
  }, [generation, unfilteredView]);

  const runs = useMemo(
    () => (filters.score === '' ? filteredRuns : filteredRuns.filter((run) => matchesScore(filters.score, scores.get(run.run_id)))),
    [filteredRuns, filters.score, scores],
  );

  return { filters, setFilters, runs, truncatedAt, allRuns, summary, scores, loading, error, reload };
}
