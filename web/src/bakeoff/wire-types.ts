import type { RunRecord, RunTags } from '../api/types.js';

/** The wire types of the bake-off, summary and compare endpoints, as the UI reads them. */

/** One lane of `POST /api/bakeoff`: a saved agent or an inline config, and its session for follow-ups. */
export type BakeoffLaneRequest = { agent_id: string; session_id?: string } | { agent: Record<string, unknown>; session_id?: string };

export interface BakeoffRequest {
  message: string;
  lanes: BakeoffLaneRequest[];
  tags?: Partial<RunTags>;
}

export interface BakeoffLaneInfo {
  lane: number;
  run_id: string;
  session_id: string;
  agent_id: string;
  model: string;
}

/** The events of the bake-off stream; run events carry their `lane`. */
export type BakeoffEvent =
  | { type: 'bakeoff-start'; bakeoff_id: string; experiment_id: string; lanes: BakeoffLaneInfo[] }
  | { type: 'run-start'; lane: number; run_id: string; session_id: string }
  | { type: 'text-delta'; lane: number; delta: string }
  | { type: 'tool-call'; lane: number; id: string; name: string }
  | { type: 'tool-result'; lane: number; id: string; name: string }
  | { type: 'run-end'; lane: number; run: RunRecord }
  | { type: 'error'; lane?: number; code: string; message: string; retryable?: boolean }
  | { type: 'bakeoff-end'; fastest_lane: number | null; cheapest_lane: number | null };

/** A row of `GET /api/runs/summary`. */
export interface ModelSummary {
  model: string;
  count: number;
  latency_ms: { p50: number | null; p95: number | null };
  ttft_ms: { p50: number | null; p95: number | null };
  tokens_per_s: { mean: number | null; p50: number | null };
  cost_usd: { total: number; mean: number | null; unpriced_runs: number };
  error_rate: number;
  abort_rate: number;
}

export interface CompareFigures {
  count: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  ttft_p50_ms: number | null;
  cost_per_run_usd: number | null;
  error_rate: number;
}

export interface CompareRow {
  model: string;
  a: CompareFigures | null;
  b: CompareFigures | null;
  delta: (Omit<CompareFigures, 'count'> & { latency_p50_ratio: number | null }) | null;
}

/** `GET /api/compare`. */
export interface Comparison {
  by: 'experiment' | 'agent';
  a: { label: string; count: number };
  b: { label: string; count: number };
  models: CompareRow[];
  overall: CompareRow;
}
