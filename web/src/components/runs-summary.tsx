import type { RunsSummaryRow } from '../api/types.js';
import { formatNumber } from '../lib/format.js';

/** Flattens one level (`{latency: {p50: 1}}` → `latency p50`) so any summary shape shows as columns. */
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

function show(key: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value !== 'number') return String(value);
  if (/rate/.test(key) && value <= 1) return `${(value * 100).toFixed(1)}%`;
  if (/cost/.test(key)) return `$${value < 0.01 ? Number(value.toPrecision(3)) : value.toFixed(4)}`;
  return formatNumber(value, value < 10 ? 2 : 0);
}

/** The per-model summary of `GET /api/runs/summary`. */
export function RunsSummary({ rows }: { rows: RunsSummaryRow[] }) {
  if (rows.length === 0) return <p className="muted" data-testid="runs-summary">No runs to summarise yet.</p>;
  const flat = rows.map((row) => ({ model: String(row.model ?? ''), values: flatten(row) }));
  const keys = [...new Set(flat.flatMap((row) => Object.keys(row.values)))];
  return (
    <div className="table-scroll">
      <table className="runs-table" data-testid="runs-summary">
        <caption className="visually-hidden">Per-model summary</caption>
        <thead>
          <tr>
            <th scope="col">Model</th>
            {keys.map((key) => (
              <th key={key} scope="col" className="numeric">
                {key.replace(/_/g, ' ')}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {flat.map((row) => (
            <tr key={row.model}>
              <th scope="row" className="mono">
                {row.model}
              </th>
              {keys.map((key) => (
                <td key={key} className="numeric">
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
