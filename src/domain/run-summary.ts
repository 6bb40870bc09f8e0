import type { RunRecord } from './run.js';

/** Per-model figures for `GET /api/runs/summary`. */
export interface ModelSummary {
  model: string;
  count: number;
  latency_ms: { p50: number | null; p95: number | null };
  ttft_ms: { p50: number | null; p95: number | null };
  tokens_per_s: { mean: number | null; p50: number | null };
  cost_usd: { total: number; mean: number | null; unpriced_runs: number };
  tokens: { prompt: number; completion: number; total: number };
  error_rate: number;
  abort_rate: number;
}

/** Nearest-rank percentile of already sorted values; null for none. */
export function percentile(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank] ?? null;
}

function sortedValues(values: Array<number | null>): number[] {
  return values.filter((value): value is number => value !== null && Number.isFinite(value)).sort((a, b) => a - b);
}

function round(value: number | null, digits = 2): number | null {
  if (value === null) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Summarise runs per model. Latency and TTFT percentiles only count runs that finished cleanly. */
export function summariseRuns(runs: readonly RunRecord[]): ModelSummary[] {
  const byModel = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const list = byModel.get(run.model) ?? [];
    list.push(run);
    byModel.set(run.model, list);
  }
  return [...byModel.entries()]
    .map(([model, list]) => {
      const clean = list.filter((run) => !run.aborted && run.error === '');
      const latency = sortedValues(clean.map((run) => run.latency_ms));
      const ttft = sortedValues(clean.map((run) => run.ttft_ms));
      const speed = sortedValues(clean.map((run) => run.tokens_per_s));
      const priced = list.filter((run) => run.cost_usd !== null);
      const totalCost = priced.reduce((sum, run) => sum + (run.cost_usd ?? 0), 0);
      return {
        model,
        count: list.length,
        latency_ms: { p50: percentile(latency, 0.5), p95: percentile(latency, 0.95) },
        ttft_ms: { p50: percentile(ttft, 0.5), p95: percentile(ttft, 0.95) },
        tokens_per_s: {
          mean: round(speed.length > 0 ? speed.reduce((sum, value) => sum + value, 0) / speed.length : null),
          p50: percentile(speed, 0.5),
        },
        cost_usd: {
          total: round(totalCost, 10) ?? 0,
          mean: round(priced.length > 0 ? totalCost / priced.length : null, 10),
          unpriced_runs: list.length - priced.length,
        },
        tokens: {
          prompt: list.reduce((sum, run) => sum + run.prompt_tokens, 0),
          completion: list.reduce((sum, run) => sum + run.completion_tokens, 0),
          total: list.reduce((sum, run) => sum + run.total_tokens, 0),
        },
        error_rate: round(list.filter((run) => run.error !== '' && !run.aborted).length / list.length, 4) ?? 0,
        abort_rate: round(list.filter((run) => run.aborted).length / list.length, 4) ?? 0,
      };
    })
    .sort((a, b) => b.count - a.count || a.model.localeCompare(b.model));
}
