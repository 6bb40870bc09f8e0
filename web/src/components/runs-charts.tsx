import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunRecord } from '../api/types.js';

/**
 * Charts of the runs shown (loaded lazily: recharts is most of the page's weight):
 * cost vs latency per model, and the distribution of time to first token.
 */

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

/** TTFT values → equal-width bins labelled by their range in ms. */
export function histogram(values: number[], binCount = 10): Array<{ range: string; runs: number }> {
  if (values.length === 0) return [];
  const min = Math.min(...values);
  const max = Math.max(...values);
  const width = Math.max(1, Math.ceil((max - min + 1) / binCount));
  const bins = Array.from({ length: binCount }, (_, index) => ({ from: min + index * width, runs: 0 }));
  for (const value of values) {
    const index = Math.min(binCount - 1, Math.floor((value - min) / width));
    const bin = bins[index];
    if (bin) bin.runs += 1;
  }
  while (bins.length > 1 && bins[bins.length - 1]?.runs === 0) bins.pop();
  return bins.map((bin) => ({ range: `${Math.round(bin.from)}–${Math.round(bin.from + width)}`, runs: bin.runs }));
}

export default function RunsCharts({ runs }: { runs: RunRecord[] }) {
  const byModel = new Map<string, Array<{ latency: number; cost: number }>>();
  let unpriced = 0;
  for (const run of runs) {
    if (run.cost_usd === null || run.cost_usd === undefined || !Number.isFinite(run.cost_usd)) {
      unpriced += 1;
      continue;
    }
    const points = byModel.get(run.model) ?? [];
    points.push({ latency: run.latency_ms, cost: run.cost_usd });
    byModel.set(run.model, points);
  }
  const ttfts = runs.map((run) => run.ttft_ms).filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  const bins = histogram(ttfts);

  return (
    <div className="charts" data-testid="charts">
      <figure>
        <figcaption>Cost vs latency, per model</figcaption>
        {byModel.size === 0 ? (
          <p className="muted">No priced runs to plot.</p>
        ) : (
          <ResponsiveContainer width="100%" height={240}>
            <ScatterChart margin={{ top: 8, right: 12, bottom: 8, left: 4 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
              <XAxis type="number" dataKey="latency" name="Latency" unit=" ms" stroke="var(--muted)" fontSize={11} />
              <YAxis type="number" dataKey="cost" name="Cost (USD)" tickFormatter={(value: number) => `$${value}`} stroke="var(--muted)" fontSize={11} width={76} />
              <Tooltip cursor={{ strokeDasharray: '3 3' }} contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)' }} />
              <Legend wrapperStyle={{ fontSize: 11 }} />
              {[...byModel.entries()].map(([model, points], index) => (
                <Scatter key={model} name={model} data={points} fill={PALETTE[index % PALETTE.length]} isAnimationActive={false} />
              ))}
            </ScatterChart>
          </ResponsiveContainer>
        )}
        {unpriced > 0 && <p className="muted small">{unpriced} unpriced run(s) not plotted.</p>}
      </figure>
      <figure>
        <figcaption>Time to first token (ms), distribution</figcaption>
        {bins.length === 0 ? (
          <p className="muted">No runs with a first token yet.</p>
        ) : (
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={bins} margin={{ top: 8, right: 12, bottom: 8, left: 4 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
              <XAxis dataKey="range" stroke="var(--muted)" fontSize={10} />
              <YAxis allowDecimals={false} stroke="var(--muted)" fontSize={11} width={30} />
              <Tooltip contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)' }} />
              <Bar dataKey="runs" fill="#2563eb" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        )}
      </figure>
    </div>
  );
}
