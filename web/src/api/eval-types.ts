/**
 * The wire types of the evaluations API (`/api/runs/:run_id/scores`, `/api/scores`,
 * `/api/judge`, `/api/leaderboard`): scores, judge verdicts and the leaderboard, as the UI
 * reads them. Fields the UI does not need are left out; the optional ones are read defensively.
 */

export type ScoreKind = 'check' | 'judge' | 'pairwise' | 'human';

/** One row of `GET /api/scores` (a line of scores.csv). */
export interface ScoreRecord {
  ts: string;
  score_id: string;
  run_id: string;
  experiment_id?: string;
  agent_id?: string;
  model?: string;
  scorer: string;
  kind: ScoreKind;
  value: number | null;
  pass: boolean | null;
  reason: string;
  judge_run_id?: string;
  opponent_run_id?: string;
  eval_case?: string;
  rater?: string;
}

/** `POST /api/runs/:run_id/scores` for a person's verdict: thumbs (1/0), or an A/B/tie vote against another run. */
export type HumanScoreInput =
  | { kind: 'human'; value: 0 | 1; reason?: string }
  | { kind: 'pairwise'; opponent_run_id: string; winner: 'A' | 'B' | 'tie'; reason?: string };

/** `POST /api/judge`: one answer against a rubric, or two answers (pairwise). */
export type JudgeRequest = { judge_agent_id: string; rubric: string; run_id: string } | { judge_agent_id: string; rubric: string; run_ids: [string, string] };

export interface LeaderboardEntry {
  rank: number;
  agent_id: string;
  agent_name: string;
  model: string;
  runs: number;
  pass_rate: { passed: number; total: number; rate: number | null; low: number | null; high: number | null };
  judge_score: { mean: number | null; count: number; errors: number };
  human: { up: number; down: number };
  win_rate: { wins: number; ties: number; losses: number; comparisons: number; rate: number | null };
  bradley_terry: { rating: number; low: number; high: number } | null;
  latency_ms_p50: number | null;
  ttft_ms_p50: number | null;
  tokens_per_s_p50: number | null;
  cost_usd: { total: number; mean: number | null; unpriced_runs: number };
}

/** `GET /api/leaderboard`. */
export interface Leaderboard {
  entries: LeaderboardEntry[];
  judges?: Array<{ judge: string; pairwise: number; disagreements: number }>;
}
