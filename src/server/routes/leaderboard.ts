import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { buildLeaderboard } from '../../domain/leaderboard.js';
import type { ScoreService } from '../../evals/score-service.js';
import { parseOrThrow } from '../http-error.js';
import { runFilterSchema } from './runs.js';

const leaderboardQuerySchema = runFilterSchema;

/** `GET /api/leaderboard?experiment_id=` (or any run filter): quality beside speed and cost, per agent and model. */
export function leaderboardRoutes(app: FastifyInstance, options: { service: ScoreService }): void {
  const { service } = options;
  app.get('/api/leaderboard', async (request) => {
    const filter = parseOrThrow(leaderboardQuerySchema, request.query, 'filter');
    const runs = await service.stores.runs.findRuns(filter);
    const scores = await service.stores.scores.findScores({ run_ids: runs.map((run) => run.run_id) });
    const board = buildLeaderboard({ runs, scores });
    return { ...(filter.experiment_id !== undefined ? { experiment_id: filter.experiment_id } : {}), runs: runs.length, scores: scores.length, ...board };
  });
}
