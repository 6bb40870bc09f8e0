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

/** `GET /api/runs/summary` rows and `GET /api/compare`: the server's own wire types (type-only imports). */
export type { ModelSummary } from '../../../src/domain/run-summary.js';
export type { CompareFigures, CompareRow, Comparison } from '../../../src/domain/compare.js';
