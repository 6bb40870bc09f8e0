import type { FastifyInstance } from 'fastify';
import { hasRunCriteria } from '../../domain/history.js';
import { buildLeaderboard } from '../../domain/leaderboard.js';
import type { ScoreService } from '../../evals/score-service.js';
import { parseOrThrow } from '../http-error.js';
import { DEFAULT_RUNS_LIMIT, findRunsCapped, runFilterSchema } from './runs.js';

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
    const { runs, truncated } = hasRunCriteria(filter) ? { runs: await service.stores.runs.findRuns(filter), truncated: false } : await findRunsCapped(service.stores.runs, filter);
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
