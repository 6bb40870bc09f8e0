import { CartesianGrid, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
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
          <Tooltip cursor={{ strokeDasharray: '3 3' }} contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' }} />
          <Scatter name="Pareto frontier" data={frontier} isAnimationActive={false} shape={labelledPoint({ fill: '#2563eb', text: 'var(--text)' })} />
          <Scatter name="dominated" data={others} isAnimationActive={false} shape={labelledPoint({ fill: '#9ca3af', text: 'var(--muted)' })} />
        </ScatterChart>
      </ResponsiveContainer>
      <figcaption className="muted small">Up and to the left is better: higher quality for less money. Blue points are not beaten on both at once.</figcaption>
    </figure>
  );
}

/** A point drawn whole, with its agent · model label beside it (no grow-in animation, so it reads at once). */
function labelledPoint(colors: { fill: string; text: string }) {
  return function LabelledPoint(props: { cx?: number; cy?: number; payload?: ParetoPoint }) {
    const { cx, cy, payload } = props;
    if (cx === undefined || cy === undefined) return <g />;
    return (
      <g className="pareto-point">
        <circle className="recharts-symbols" cx={cx} cy={cy} r={6} fill={colors.fill} />
        <text x={cx + 10} y={cy + 4} fontSize={12} fill={colors.text}>
          {payload?.label ?? ''}
        </text>
      </g>
    );
  };
}
