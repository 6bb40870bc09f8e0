/**
 * The wire shape of `GET /api/compare`: shared by the server and the UI (types only).
 */

/** The figures a comparison puts side by side. */
export interface CompareFigures {
  count: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  ttft_p50_ms: number | null;
  /** Mean cost over the priced runs only; null when none is priced. */
  cost_per_run_usd: number | null;
  /** Runs with no known price: left out of cost_per_run_usd, counted here. */
  unpriced_runs: number;
  error_rate: number;
}

/** One model's row: each side's figures (null when that side has no run of it) and b − a. */
export interface CompareRow {
  model: string;
  a: CompareFigures | null;
  b: CompareFigures | null;
  delta: DeltaFigures | null;
}

/** b − a per figure; null when either side lacks the figure. `*_ratio` is b / a. */
export interface DeltaFigures {
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  ttft_p50_ms: number | null;
  cost_per_run_usd: number | null;
  error_rate: number;
  latency_p50_ratio: number | null;
}

export interface Comparison {
  by: 'experiment' | 'agent';
  a: { label: string; count: number };
  b: { label: string; count: number };
  models: CompareRow[];
  overall: CompareRow;
}
