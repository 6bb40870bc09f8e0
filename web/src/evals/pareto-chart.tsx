import { CartesianGrid, LabelList, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from 'recharts';
import { formatCost } from '../lib/format.js';
import type { ParetoPoint } from './quality.js';

/** Quality (0–1) against mean cost per run: the frontier (better for less) in the accent colour. Loaded lazily (recharts). */
export default function ParetoChart({ points }: { points: ParetoPoint[] }) {
  const frontier = points.filter((point) => point.frontier);
  const others = points.filter((point) => !point.frontier);
  return (
    <figure className="pareto" data-testid="pareto-chart">
      <ResponsiveContainer width="100%" height={280}>
        <ScatterChart margin={{ top: 16, right: 120, bottom: 28, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
          <XAxis
            type="number"
            dataKey="cost"
            name="cost per run"
            domain={[0, 'auto']}
            tickFormatter={(value: number) => formatCost(value)}
            tick={{ fill: 'var(--muted)', fontSize: 12 }}
            label={{ value: 'mean cost per run', position: 'insideBottom', offset: -16, fill: 'var(--muted)' }}
          />
          <YAxis type="number" dataKey="quality" name="quality" domain={[-0.05, 1.1]} ticks={[0, 0.25, 0.5, 0.75, 1]} tick={{ fill: 'var(--muted)', fontSize: 12 }} />
          <ZAxis range={[140, 140]} />
          <Tooltip cursor={{ strokeDasharray: '3 3' }} contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' }} />
          <Scatter name="Pareto frontier" data={frontier} fill="#2563eb">
            <LabelList dataKey="label" position="right" style={{ fill: 'var(--text)', fontSize: 12 }} />
          </Scatter>
          <Scatter name="dominated" data={others} fill="#9ca3af">
            <LabelList dataKey="label" position="right" style={{ fill: 'var(--muted)', fontSize: 12 }} />
          </Scatter>
        </ScatterChart>
      </ResponsiveContainer>
      <figcaption className="muted small">Up and to the left is better: higher quality for less money. Blue points are not beaten on both at once.</figcaption>
    </figure>
  );
}
