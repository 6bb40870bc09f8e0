/**
 * The wire types of the evaluations API (`/api/runs/:run_id/scores`, `/api/scores`,
 * `/api/judge`, `/api/leaderboard`, `/api/experiments`). Scores and the leaderboard are the server's own types
 * (type-only imports: nothing bundled); the request bodies are the UI's side of the contract.
 */
export type { ScoreKind, ScoreRecord } from '../../../src/domain/score.js';
export type { Leaderboard, LeaderboardEntry } from '../../../src/domain/leaderboard.js';
export type { ExperimentRecord } from '../../../src/domain/history.js';

/** `POST /api/runs/:run_id/scores` for a person's verdict: thumbs (1/0), or an A/B/tie vote against another run. */
export type HumanScoreInput =
  | { kind: 'human'; value: 0 | 1; reason?: string }
  | { kind: 'pairwise'; opponent_run_id: string; winner: 'A' | 'B' | 'tie'; reason?: string };

/** `POST /api/judge`: one answer against a rubric, or two answers (pairwise). */
export type JudgeRequest = { judge_agent_id: string; rubric: string; run_id: string } | { judge_agent_id: string; rubric: string; run_ids: [string, string] };
