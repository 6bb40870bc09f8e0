import { Suspense, useId, useState } from 'react';
import { formatCost, formatMs } from '../lib/format.js';
import { fetchComparison } from './bakeoff-api.js';
import { CompareChart } from './lazy-charts.js';
import type { CompareFigures, CompareRow, Comparison } from './wire-types.js';

type By = 'experiment' | 'agent';

function signed(value: number | null | undefined, format: (value: number) => string): string {
  if (value === null || value === undefined) return '—';
  if (value === 0) return '±0';
  return `${value > 0 ? '+' : '−'}${format(Math.abs(value))}`;
}

const FIELDS: Array<{ key: keyof Omit<CompareFigures, 'count' | 'unpriced_runs'>; label: string; show: (value: number) => string }> = [
  { key: 'latency_p50_ms', label: 'Latency p50', show: formatMs },
  { key: 'latency_p95_ms', label: 'Latency p95', show: formatMs },
  { key: 'ttft_p50_ms', label: 'TTFT p50', show: formatMs },
  { key: 'cost_per_run_usd', label: 'Cost/run', show: formatCost },
  { key: 'error_rate', label: 'Error rate', show: (value) => `${(value * 100).toFixed(1)}%` },
];

function Row({ row }: { row: CompareRow }) {
  return (
    <tr>
      <th scope="row" className="mono">
        {row.model === '*' ? 'all runs' : row.model}
        <span className="muted small">
          {' '}
          ({row.a?.count ?? 0} / {row.b?.count ?? 0})
        </span>
        {(row.a?.unpriced_runs || row.b?.unpriced_runs) ? (
          <span className="muted small" data-testid="compare-unpriced">
            {' '}
            unpriced {row.a?.unpriced_runs ?? 0} / {row.b?.unpriced_runs ?? 0}
          </span>
        ) : null}
      </th>
      {FIELDS.map((field) => {
        const a = row.a?.[field.key] ?? null;
        const b = row.b?.[field.key] ?? null;
        const delta = row.delta?.[field.key] ?? null;
        return (
          <td key={field.key} className="numeric" title={`A ${a === null ? '—' : field.show(a)} · B ${b === null ? '—' : field.show(b)}`}>
            <span className="muted small">{a === null ? '—' : field.show(a)} → {b === null ? '—' : field.show(b)}</span>
            <br />
            <strong className={delta !== null && delta > 0 ? 'delta-up' : delta !== null && delta < 0 ? 'delta-down' : ''}>{signed(delta, field.show)}</strong>
          </td>
        );
      })}
    </tr>
  );
}

/** Two experiments (or two agents) side by side: per-model deltas B − A in a table and a chart. */
export function ComparePanel(props: { experimentSuggestions: string[]; agentSuggestions: string[]; defaultA?: string | null }) {
  const id = useId();
  const [by, setBy] = useState<By>('experiment');
  const [a, setA] = useState(props.defaultA ?? '');
  const [b, setB] = useState('');
  const [comparison, setComparison] = useState<Comparison | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const suggestions = by === 'experiment' ? props.experimentSuggestions : props.agentSuggestions;

  const compare = async () => {
    setBusy(true);
    setError(null);
    try {
      setComparison(await fetchComparison({ by, a: a.trim(), b: b.trim() }));
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card bakeoff-panel" aria-labelledby={`${id}-title`} data-testid="compare-panel">
      <h2 id={`${id}-title`}>Compare</h2>
      <form
        className="bakeoff-inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void compare();
        }}
      >
        <select value={by} onChange={(event) => setBy(event.target.value as By)} aria-label="Compare by" data-testid="compare-by">
          <option value="experiment">Experiments</option>
          <option value="agent">Agents</option>
        </select>
        <label htmlFor={`${id}-a`}>A</label>
        <input id={`${id}-a`} list={`${id}-list`} value={a} onChange={(event) => setA(event.target.value)} data-testid="compare-a" required />
        <label htmlFor={`${id}-b`}>B</label>
        <input id={`${id}-b`} list={`${id}-list`} value={b} onChange={(event) => setB(event.target.value)} data-testid="compare-b" required />
        <datalist id={`${id}-list`}>
          {suggestions.map((value) => (
            <option key={value} value={value} />
          ))}
        </datalist>
        <button type="submit" className="small-button" disabled={busy} data-testid="compare-run">
          Compare
        </button>
      </form>
      {error && <p className="bakeoff-error" role="alert">{error}</p>}
      {comparison && (
        <>
          <div className="table-scroll">
            <table className="runs-table" data-testid="compare-table">
              <caption className="muted small">
                Per model: A → B and the change (B − A). Runs counted as (A / B).
              </caption>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  {FIELDS.map((field) => (
                    <th key={field.key} scope="col" className="numeric">
                      {field.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {comparison.models.map((row) => (
                  <Row key={row.model} row={row} />
                ))}
                <Row row={comparison.overall} />
              </tbody>
            </table>
          </div>
          <Suspense fallback={<p className="muted">Loading the chart…</p>}>
            <CompareChart comparison={comparison} />
          </Suspense>
        </>
      )}
    </section>
  );
}
