import type { RunsSummaryRow } from '../api/types.js';
import { formatNumber } from '../lib/format.js';

/**
 * The per-model summary of `GET /api/runs/summary`, one column per model and one row per
 * measure (it fits the side panel). Nested fields (`latency_ms: {p50, p95}`) become
 * `latency_ms p50` rows, so a summary with more measures shows them without a change here.
 */

function flatten(row: RunsSummaryRow): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key === 'model') continue;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value as Record<string, unknown>)) flat[`${key} ${inner}`] = innerValue;
    } else flat[key] = value;
  }
  return flat;
}

const LABELS: Record<string, string> = {
  count: 'Runs',
  'latency_ms p50': 'Latency p50',
  'latency_ms p95': 'Latency p95',
  'ttft_ms p50': 'TTFT p50',
  'ttft_ms p95': 'TTFT p95',
  'tokens_per_s mean': 'Tokens/s mean',
  'tokens_per_s p50': 'Tokens/s p50',
  'cost_usd total': 'Cost total',
  'cost_usd mean': 'Cost mean',
  'cost_usd unpriced_runs': 'Unpriced runs',
  'tokens prompt': 'Prompt tokens',
  'tokens completion': 'Completion tokens',
  'tokens total': 'Total tokens',
  error_rate: 'Error rate',
  abort_rate: 'Abort rate',
};

function show(key: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value !== 'number') return String(value);
  if (/rate/.test(key)) return `${(value * 100).toFixed(1)}%`;
  if (/cost_usd (total|mean)/.test(key)) return value === 0 ? '$0' : `$${value < 0.01 ? Number(value.toPrecision(3)) : value.toFixed(4)}`;
  if (/_ms /.test(key)) return `${Math.round(value)} ms`;
  return formatNumber(value, value < 10 ? 2 : 1);
}

export function RunsSummary({ rows }: { rows: RunsSummaryRow[] }) {
  if (rows.length === 0) return <p className="muted" data-testid="runs-summary">No runs to summarise yet.</p>;
  const models = rows.map((row) => ({ model: String(row.model ?? ''), values: flatten(row) }));
  const keys = [...new Set(models.flatMap((row) => Object.keys(row.values)))];
  return (
    <div className="table-scroll">
      <table className="runs-table" data-testid="runs-summary">
        <caption className="visually-hidden">Per-model summary</caption>
        <thead>
          <tr>
            <th scope="col">Measure</th>
            {models.map((row) => (
              <th key={row.model} scope="col" className="numeric mono">
                {row.model}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key}>
              <th scope="row">{LABELS[key] ?? key.replace(/_/g, ' ')}</th>
              {models.map((row) => (
                <td key={row.model} className="numeric">
                  {show(key, row.values[key])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
