import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { api } from '../api/client.js';
import type { ExperimentRecord } from '../api/eval-types.js';
import { formatDateTime } from '../lib/format.js';
import { useLabChanged } from '../state/lab-events.js';
import { SEARCH_PAUSE_MS, useDebounced } from '../state/use-debounced.js';
import { LeaderboardTable, useLeaderboard } from './leaderboard-panel.js';
import { paretoPoints } from './quality.js';

const ParetoChart = lazy(() => import('./pareto-chart.js'));

/**
 * The Evaluations view: every experiment of the whole history (`GET /api/experiments`,
 * searchable when there are more than one answer holds), and the chosen one's leaderboard
 * (pass rate, judge score, Bradley–Terry rating with intervals, cost, latency) with a
 * quality-vs-cost chart.
 */
export default function EvaluationsView({ active }: { active: boolean }) {
  const [experiments, setExperiments] = useState<ExperimentRecord[]>([]);
  const [truncated, setTruncated] = useState(false);
  const [search, setSearch] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  useLabChanged(['runs'], () => setGeneration((value) => value + 1));
  // Cleared at once; typed text once typing pauses.
  const q = useDebounced(search.trim(), search === '' ? 0 : SEARCH_PAUSE_MS);
  useEffect(() => {
    if (!active) return;
    const controller = new AbortController();
    api.listExperiments(q === '' ? {} : { q }, controller.signal).then(
      (listed) => {
        setExperiments(listed.experiments);
        setTruncated(listed.truncated);
        setError(null);
      },
      (caught: unknown) => {
        if (!controller.signal.aborted) setError(caught instanceof Error ? caught.message : String(caught));
      },
    );
    return () => controller.abort();
  }, [active, generation, q]);
  const current = selected ?? experiments[0]?.experiment_id ?? null;
  const { board, error: boardError, missing } = useLeaderboard(current);
  const points = useMemo(() => paretoPoints(board?.entries ?? []), [board]);

  return (
    <div className="view evals-view" data-testid="evals-view">
      <section className="card experiments-card" aria-label="Experiments">
        <h2>Experiments</h2>
        <input
          type="search"
          className="experiment-search"
          placeholder="Search experiments"
          aria-label="Search experiments"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
          data-testid="experiment-search"
        />
        {error && <p className="field-error">{error}</p>}
        {experiments.length === 0 && !error && (
          <p className="muted">{search.trim() === '' ? 'No experiments yet: run a bake-off, a batch or an eval, or tag chat runs with an experiment id.' : `No experiment id contains “${search.trim()}”.`}</p>
        )}
        <ul className="experiment-list" data-testid="experiment-list">
          {experiments.map((experiment) => (
            <li key={experiment.experiment_id}>
              <button
                type="button"
                className={experiment.experiment_id === current ? 'link-button experiment-item current' : 'link-button experiment-item'}
                aria-current={experiment.experiment_id === current ? 'true' : undefined}
                onClick={() => setSelected(experiment.experiment_id)}
                data-testid="experiment-item"
                data-experiment-id={experiment.experiment_id}
              >
                <span className="mono">{experiment.experiment_id}</span>
                <span className="muted small">
                  {experiment.runs} run{experiment.runs === 1 ? '' : 's'} · {experiment.last_run_at ? formatDateTime(experiment.last_run_at) : 'time unknown'}
                </span>
              </button>
            </li>
          ))}
        </ul>
        {truncated && (
          <p className="muted small" data-testid="experiments-truncated">
            The {experiments.length} most recent shown: search to find older ones.
          </p>
        )}
      </section>
      <section className="card leaderboard-card" aria-label="Leaderboard" data-testid="evals-leaderboard">
        <h2>
          Leaderboard {current && <span className="mono muted small">{current}</span>}
        </h2>
        {missing && <p className="muted">This lab has no leaderboard API yet.</p>}
        {boardError && <p className="field-error">{boardError}</p>}
        {board && <LeaderboardTable board={board} />}
        {board && (
          <>
            <h3>Quality vs cost</h3>
            {points.length === 0 ? (
              <p className="muted" data-testid="pareto-empty">
                No priced entries with a verdict yet: judge, vote or check some answers to place them.
              </p>
            ) : (
              <Suspense fallback={<p className="muted">Loading the chart…</p>}>
                <ParetoChart points={points} />
              </Suspense>
            )}
          </>
        )}
      </section>
    </div>
  );
}
