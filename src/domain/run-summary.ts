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

/**
 * What a model's summary is computed from: counts, sums and percentiles over its runs. A
 * storage engine may compute these itself (PostgreSQL: aggregates over the matching rows) and
 * hand them to `toModelSummary`, which rounds exactly as `summariseRuns` does.
 */
export interface ModelAggregates {
  model: string;
  count: number;
  /** Nearest-rank percentiles over clean runs (not aborted, no error) with a finite value. */
  latencyP50: number | null;
  latencyP95: number | null;
  ttftP50: number | null;
  ttftP95: number | null;
  speedP50: number | null;
  /** Sum of the clean runs' finite tokens/s, added smallest first, and how many there are. */
  speedSum: number;
  speedCount: number;
  /** Sum of the priced runs' cost, added in run order, and how many runs are priced. */
  costTotal: number;
  pricedCount: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Runs with an error that were not aborted. */
  errors: number;
  aborts: number;
}

/** One model's figures from its aggregates. */
export function toModelSummary(aggregates: ModelAggregates): ModelSummary {
  const { count } = aggregates;
  return {
    model: aggregates.model,
    count,
    latency_ms: { p50: aggregates.latencyP50, p95: aggregates.latencyP95 },
    ttft_ms: { p50: aggregates.ttftP50, p95: aggregates.ttftP95 },
    tokens_per_s: {
      mean: round(aggregates.speedCount > 0 ? aggregates.speedSum / aggregates.speedCount : null),
      p50: aggregates.speedP50,
    },
    cost_usd: {
      total: round(aggregates.costTotal, 10) ?? 0,
      mean: round(aggregates.pricedCount > 0 ? aggregates.costTotal / aggregates.pricedCount : null, 10),
      unpriced_runs: count - aggregates.pricedCount,
    },
    tokens: { prompt: aggregates.promptTokens, completion: aggregates.completionTokens, total: aggregates.totalTokens },
    error_rate: round(aggregates.errors / count, 4) ?? 0,
    abort_rate: round(aggregates.aborts / count, 4) ?? 0,
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
      const latency = sortedValues(clean.map((run) => run.latency_ms));
      const ttft = sortedValues(clean.map((run) => run.ttft_ms));
      const speed = sortedValues(clean.map((run) => run.tokens_per_s));
      const priced = list.filter((run) => run.cost_usd !== null);
      return toModelSummary({
        model,
        count: list.length,
        latencyP50: percentile(latency, 0.5),
        latencyP95: percentile(latency, 0.95),
        ttftP50: percentile(ttft, 0.5),
        ttftP95: percentile(ttft, 0.95),
        speedP50: percentile(speed, 0.5),
        speedSum: speed.reduce((sum, value) => sum + value, 0),
        speedCount: speed.length,
        costTotal: priced.reduce((sum, run) => sum + (run.cost_usd ?? 0), 0),
        pricedCount: priced.length,
        promptTokens: list.reduce((sum, run) => sum + run.prompt_tokens, 0),
        completionTokens: list.reduce((sum, run) => sum + run.completion_tokens, 0),
        totalTokens: list.reduce((sum, run) => sum + run.total_tokens, 0),
        errors: list.filter((run) => run.error !== '' && !run.aborted).length,
        aborts: list.filter((run) => run.aborted).length,
      });
    })
    .sort(compareModelSummaries);
}
