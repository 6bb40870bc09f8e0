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
export function percentile(sorted: ArrayLike<number>, fraction: number): number | null {
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

/** Nearest-rank p50 and p95. */
export interface Percentiles {
  p50: number | null;
  p95: number | null;
}

/**
 * One model's figures gathered from its runs, before rounding: what both the reference below
 * and an engine's columnar summary compute, so they produce the same numbers.
 */
export interface ModelFigures {
  model: string;
  count: number;
  /** Of runs that finished cleanly (not aborted, no error). */
  latency: Percentiles;
  ttft: Percentiles;
  /** Of clean runs with a measured tokens/s: the sum in file order, how many, and the p50. */
  tokensPerSecond: { sum: number; count: number; p50: number | null };
  /** Runs with a cost, and the sum of their costs added in file order. */
  pricedCount: number;
  totalCost: number;
  tokens: { prompt: number; completion: number; total: number };
  /** Runs with an error that were not aborted. */
  errorCount: number;
  abortCount: number;
}

/** The summary row of one model's figures. */
export function summariseModel(figures: ModelFigures): ModelSummary {
  const { count, tokensPerSecond: speed } = figures;
  return {
    model: figures.model,
    count,
    latency_ms: { ...figures.latency },
    ttft_ms: { ...figures.ttft },
    tokens_per_s: { mean: round(speed.count > 0 ? speed.sum / speed.count : null), p50: speed.p50 },
    cost_usd: {
      total: round(figures.totalCost, 10) ?? 0,
      mean: round(figures.pricedCount > 0 ? figures.totalCost / figures.pricedCount : null, 10),
      unpriced_runs: count - figures.pricedCount,
    },
    tokens: { ...figures.tokens },
    error_rate: round(figures.errorCount / count, 4) ?? 0,
    abort_rate: round(figures.abortCount / count, 4) ?? 0,
  };
}

/** Most runs first, then by model name. */
export function compareModelSummaries(a: ModelSummary, b: ModelSummary): number {
  return b.count - a.count || a.model.localeCompare(b.model);
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
      const priced = list.filter((run) => run.cost_usd !== null);
      const latency = sortedValues(clean.map((run) => run.latency_ms));
      const ttft = sortedValues(clean.map((run) => run.ttft_ms));
      // The mean adds in file order, the p50 needs the sorted values.
      const speeds = clean.map((run) => run.tokens_per_s).filter((value): value is number => value !== null && Number.isFinite(value));
      return summariseModel({
        model,
        count: list.length,
        latency: { p50: percentile(latency, 0.5), p95: percentile(latency, 0.95) },
        ttft: { p50: percentile(ttft, 0.5), p95: percentile(ttft, 0.95) },
        tokensPerSecond: { sum: speeds.reduce((sum, value) => sum + value, 0), count: speeds.length, p50: percentile(sortedValues(speeds), 0.5) },
        pricedCount: priced.length,
        totalCost: priced.reduce((sum, run) => sum + (run.cost_usd ?? 0), 0),
        tokens: {
          prompt: list.reduce((sum, run) => sum + run.prompt_tokens, 0),
          completion: list.reduce((sum, run) => sum + run.completion_tokens, 0),
          total: list.reduce((sum, run) => sum + run.total_tokens, 0),
        },
        errorCount: list.filter((run) => run.error !== '' && !run.aborted).length,
        abortCount: list.filter((run) => run.aborted).length,
      });
    })
    .sort(compareModelSummaries);
}
