import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client.js';
import type { RunFilters, RunRecord, RunsSummaryRow } from '../api/types.js';
import { messageOf } from './use-models.js';

/** The runs table (`GET /api/runs` with filters), the per-model summary, and every run's tags for suggestions. */
export interface RunsState {
  filters: RunFilters;
  setFilters: (update: (filters: RunFilters) => RunFilters) => void;
  runs: RunRecord[];
  allRuns: RunRecord[];
  summary: RunsSummaryRow[];
  loading: boolean;
  error: string | null;
  reload: () => void;
}

export const EMPTY_FILTERS: RunFilters = { experiment_id: '', task_label: '', model: '', agent: '', since: '' };

export function useRuns(): RunsState {
  const [filters, setFiltersState] = useState<RunFilters>(EMPTY_FILTERS);
  const [runs, setRuns] = useState<RunRecord[]>([]);
  const [allRuns, setAllRuns] = useState<RunRecord[]>([]);
  const [summary, setSummary] = useState<RunsSummaryRow[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const filtered = useRef<AbortController | null>(null);

  const setFilters = useCallback((update: (filters: RunFilters) => RunFilters) => setFiltersState(update), []);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);

  useEffect(() => {
    filtered.current?.abort();
    const controller = new AbortController();
    filtered.current = controller;
    setLoading(true);
    // Debounced so typing in a filter box sends one request.
    const timer = setTimeout(() => {
      api
        .listRuns(filters, controller.signal)
        .then((list) => {
          setRuns(list);
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
  }, [filters, generation]);

  useEffect(() => {
    let cancelled = false;
    api
      .listRuns({})
      .then((list) => !cancelled && setAllRuns(list))
      .catch((caught: unknown) => console.warn('Agent Lab: runs for suggestions not loaded', caught));
    api
      .runsSummary()
      .then((rows) => !cancelled && setSummary(rows))
      .catch((caught: unknown) => console.warn('Agent Lab: runs summary not loaded', caught));
    return () => {
      cancelled = true;
    };
  }, [generation]);

  return { filters, setFilters, runs, allRuns, summary, loading, error, reload };
}
