import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { api } from '../api/client.js';
import type { RunRecord } from '../api/types.js';
import { formatDateTime } from '../lib/format.js';
import { useLabChanged } from '../state/lab-events.js';
import { LeaderboardTable, useLeaderboard } from './leaderboard-panel.js';
import { paretoPoints } from './quality.js';

const ParetoChart = lazy(() => import('./pareto-chart.js'));

interface ExperimentRow {
  id: string;
  runs: number;
  models: number;
  last: string;
}

function experimentsOf(runs: RunRecord[]): ExperimentRow[] {
  const byId = new Map<string, { runs: number; models: Set<string>; last: string }>();
  for (const run of runs) {
    if (!run.experiment_id || run.task_label === 'judge') continue;
    const row = byId.get(run.experiment_id) ?? { runs: 0, models: new Set<string>(), last: '' };
    row.runs += 1;
    row.models.add(run.model);
    if (run.ts > row.last) row.last = run.ts;
    byId.set(run.experiment_id, row);
  }
  return [...byId.entries()].map(([id, row]) => ({ id, runs: row.runs, models: row.models.size, last: row.last })).sort((a, b) => b.last.localeCompare(a.last));
}

/**
 * The Evaluations view: every experiment, and the chosen one's leaderboard (pass rate, judge
 * score, Bradley–Terry rating with intervals, cost, latency) with a quality-vs-cost chart.
 */
export default function EvaluationsView({ active }: { active: boolean }) {
  const [runs, setRuns] = useState<RunRecord[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  useLabChanged(['runs'], () => setGeneration((value) => value + 1));
  useEffect(() => {
    if (!active) return;
    api.listRuns({}).then(setRuns, (caught: unknown) => setError(caught instanceof Error ? caught.message : String(caught)));
  }, [active, generation]);
  const experiments = useMemo(() => experimentsOf(runs), [runs]);
  const current = selected ?? experiments[0]?.id ?? null;
  const { board, error: boardError, missing } = useLeaderboard(current);
  const points = useMemo(() => paretoPoints(board?.entries ?? []), [board]);

  return (
    <div className="view evals-view" data-testid="evals-view">
      <section className="card experiments-card" aria-label="Experiments">
        <h2>Experiments</h2>
        {error && <p className="field-error">{error}</p>}
        {experiments.length === 0 && <p className="muted">No experiments yet: run a bake-off, a batch or an eval, or tag chat runs with an experiment id.</p>}
        <ul className="experiment-list" data-testid="experiment-list">
          {experiments.map((experiment) => (
            <li key={experiment.id}>
              <button
                type="button"
                className={experiment.id === current ? 'link-button experiment-item current' : 'link-button experiment-item'}
                aria-current={experiment.id === current ? 'true' : undefined}
                onClick={() => setSelected(experiment.id)}
                data-testid="experiment-item"
                data-experiment-id={experiment.id}
              >
                <span className="mono">{experiment.id}</span>
                <span className="muted small">
                  {experiment.runs} runs · {experiment.models} model{experiment.models === 1 ? '' : 's'} · {formatDateTime(experiment.last)}
                </span>
              </button>
            </li>
          ))}
        </ul>
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
