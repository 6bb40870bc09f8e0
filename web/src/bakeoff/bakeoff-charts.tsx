import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Comparison, ModelSummary } from './wire-types.js';

/** Charts of the bake-off view (loaded lazily: recharts is heavy). */

const tooltipStyle = { background: 'var(--surface)', border: '1px solid var(--border)' };

function shortModel(model: string): string {
  return model.length > 24 ? `${model.slice(0, 22)}…` : model;
}

/** Per model: p50/p95 latency and p50 TTFT of one experiment. */
export function SummaryChart({ rows }: { rows: ModelSummary[] }) {
  const data = rows.map((row) => ({ model: shortModel(row.model), 'latency p50': row.latency_ms.p50, 'latency p95': row.latency_ms.p95, 'TTFT p50': row.ttft_ms.p50 }));
  return (
    <figure data-testid="summary-chart">
      <figcaption>Latency and TTFT per model (ms)</figcaption>
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={data} margin={{ top: 8, right: 12, bottom: 8, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
          <XAxis dataKey="model" stroke="var(--muted)" fontSize={10} />
          <YAxis stroke="var(--muted)" fontSize={11} width={48} />
          <Tooltip contentStyle={tooltipStyle} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          <Bar dataKey="latency p50" fill="#2563eb" isAnimationActive={false} />
          <Bar dataKey="latency p95" fill="#93c5fd" isAnimationActive={false} />
          <Bar dataKey="TTFT p50" fill="#16a34a" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** Per model: A vs B p50 latency and TTFT. */
export function CompareChart({ comparison }: { comparison: Comparison }) {
  const rows = [...comparison.models, ...(comparison.models.length > 1 ? [comparison.overall] : [])];
  const data = rows.map((row) => ({
    model: row.model === '*' ? 'all runs' : shortModel(row.model),
    'A latency p50': row.a?.latency_p50_ms ?? null,
    'B latency p50': row.b?.latency_p50_ms ?? null,
    'A TTFT p50': row.a?.ttft_p50_ms ?? null,
    'B TTFT p50': row.b?.ttft_p50_ms ?? null,
  }));
  return (
    <figure data-testid="compare-chart">
      <figcaption>
        A ({comparison.a.label}) vs B ({comparison.b.label}), ms
      </figcaption>
      <ResponsiveContainer width="100%" height={240}>
        <BarChart data={data} margin={{ top: 8, right: 12, bottom: 8, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
          <XAxis dataKey="model" stroke="var(--muted)" fontSize={10} />
          <YAxis stroke="var(--muted)" fontSize={11} width={48} />
          <Tooltip contentStyle={tooltipStyle} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          <Bar dataKey="A latency p50" fill="#2563eb" isAnimationActive={false} />
          <Bar dataKey="B latency p50" fill="#dc2626" isAnimationActive={false} />
          <Bar dataKey="A TTFT p50" fill="#93c5fd" isAnimationActive={false} />
          <Bar dataKey="B TTFT p50" fill="#fca5a5" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

