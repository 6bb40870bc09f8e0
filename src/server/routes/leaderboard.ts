import type { FastifyInstance } from 'fastify';
import { hasRunCriteria } from '../../domain/history.js';
import { buildLeaderboard } from '../../domain/leaderboard.js';
import type { ScoreService } from '../../evals/score-service.js';
import { parseOrThrow } from '../http-error.js';
import { DEFAULT_RUNS_LIMIT, runFilterSchema } from './runs.js';

const leaderboardQuerySchema = runFilterSchema;

/**
 * `GET /api/leaderboard?experiment_id=` (or any run filter): quality beside speed and cost, per
 * agent and model. Without a filter or `limit` it covers the newest 10,000 runs, as `/api/runs`
 * does (saying so with `truncated`), rather than reading a whole history of runs back.
 */
export function leaderboardRoutes(app: FastifyInstance, options: { service: ScoreService }): void {
  const { service } = options;
  app.get('/api/leaderboard', async (request) => {
    const filter = parseOrThrow(leaderboardQuerySchema, request.query, 'filter');
    const capped = !hasRunCriteria(filter) && filter.limit === undefined;
    // One more than the cap tells whether there were more.
    let runs = await service.stores.runs.findRuns(capped ? { limit: DEFAULT_RUNS_LIMIT + 1 } : filter);
    const truncated = capped && runs.length > DEFAULT_RUNS_LIMIT;
    if (truncated) runs = runs.slice(1);
    const scores = await service.stores.scores.findScores({ run_ids: runs.map((run) => run.run_id) });
    const board = buildLeaderboard({ runs, scores });
    return {
      ...(filter.experiment_id !== undefined ? { experiment_id: filter.experiment_id } : {}),
      runs: runs.length,
      scores: scores.length,
      ...board,
      ...(truncated ? { truncated: true, limit: DEFAULT_RUNS_LIMIT } : {}),
    };
  });
}
