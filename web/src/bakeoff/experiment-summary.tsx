import { Suspense, useCallback, useEffect, useId, useState } from 'react';
import { formatCost, formatMs, formatNumber } from '../lib/format.js';
import { fetchExperimentSummary } from './bakeoff-api.js';
import { SummaryChart } from './lazy-charts.js';
import type { ModelSummary } from './wire-types.js';

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** Any experiment's per-model summary (`GET /api/runs/summary?experiment_id=`), with a chart. */
export function ExperimentSummary(props: { experimentId: string | null; reloadKey: number; suggestions: string[] }) {
  const id = useId();
  const [experiment, setExperiment] = useState(props.experimentId ?? '');
  const [rows, setRows] = useState<ModelSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [chart, setChart] = useState(false);

  const load = useCallback(async (experimentId: string) => {
    if (experimentId.trim() === '') return;
    try {
      setError(null);
      setRows((await fetchExperimentSummary(experimentId.trim())).models);
    } catch (caught) {
      setError((caught as Error).message);
    }
  }, []);

  useEffect(() => {
    if (!props.experimentId) return;
    setExperiment(props.experimentId);
    void load(props.experimentId);
    // a stopped lane's run is recorded a moment after its stream closes: look again
    const again = setTimeout(() => void load(props.experimentId!), 800);
    return () => clearTimeout(again);
  }, [props.experimentId, props.reloadKey, load]);

  return (
    <section className="card bakeoff-panel" aria-labelledby={`${id}-title`} data-testid="experiment-summary">
      <h2 id={`${id}-title`}>Experiment summary</h2>
      <form
        className="bakeoff-inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void load(experiment);
        }}
      >
        <label htmlFor={`${id}-experiment`}>Experiment</label>
        <input id={`${id}-experiment`} list={`${id}-list`} value={experiment} onChange={(event) => setExperiment(event.target.value)} data-testid="summary-experiment" />
        <datalist id={`${id}-list`}>
          {props.suggestions.map((value) => (
            <option key={value} value={value} />
          ))}
        </datalist>
        <button type="submit" className="small-button" data-testid="summary-load">
          Show
        </button>
        <label className="bakeoff-check">
          <input type="checkbox" checked={chart} onChange={(event) => setChart(event.target.checked)} data-testid="summary-chart-toggle" /> Chart
        </label>
      </form>
      {error && <p className="bakeoff-error" role="alert">{error}</p>}
      {rows !== null && rows.length === 0 && <p className="muted">No runs in this experiment.</p>}
      {rows !== null && rows.length > 0 && (
        <div className="table-scroll">
          <table className="runs-table" data-testid="summary-table">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col" className="numeric">Runs</th>
                <th scope="col" className="numeric">Latency p50</th>
                <th scope="col" className="numeric">p95</th>
                <th scope="col" className="numeric">TTFT p50</th>
                <th scope="col" className="numeric">p95</th>
                <th scope="col" className="numeric">tok/s</th>
                <th scope="col" className="numeric">Cost/run</th>
                <th scope="col" className="numeric">Total</th>
                <th scope="col" className="numeric">Errors</th>
                <th scope="col" className="numeric">Aborted</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.model}>
                  <th scope="row" className="mono">{row.model}</th>
                  <td className="numeric">{row.count}</td>
                  <td className="numeric">{formatMs(row.latency_ms.p50)}</td>
                  <td className="numeric">{formatMs(row.latency_ms.p95)}</td>
                  <td className="numeric">{formatMs(row.ttft_ms.p50)}</td>
                  <td className="numeric">{formatMs(row.ttft_ms.p95)}</td>
                  <td className="numeric">{formatNumber(row.tokens_per_s.mean, 1)}</td>
                  <td className="numeric">{formatCost(row.cost_usd.mean)}</td>
                  <td className="numeric">{row.cost_usd.unpriced_runs === row.count ? 'unpriced' : formatCost(row.cost_usd.total)}</td>
                  <td className="numeric">{percent(row.error_rate)}</td>
                  <td className="numeric">{percent(row.abort_rate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {chart && rows !== null && rows.length > 0 && (
        <Suspense fallback={<p className="muted">Loading the chart…</p>}>
          <SummaryChart rows={rows} />
        </Suspense>
      )}
    </section>
  );
}
