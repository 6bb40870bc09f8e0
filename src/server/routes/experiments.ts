import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RunHistory } from '../../domain/history.js';
import { parseOrThrow } from '../http-error.js';

/** Experiments in one answer without `limit`: more are reached with `q` or a larger `limit`. */
export const DEFAULT_EXPERIMENTS_LIMIT = 500;

/** The query of `GET /api/experiments`. */
export const experimentQuerySchema = z
  .object({
    q: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
  })
  .strict();

/**
 * `GET /api/experiments`: every experiment of the whole history (not only of the newest runs
 * `/api/runs` answers), the most recently recorded first, with its run count and first and
 * last run times; `truncated: true` and `limit` when there were more.
 */
export function experimentRoutes(app: FastifyInstance, options: { runs: RunHistory }): void {
  app.get('/api/experiments', async (request) => {
    const { q, limit = DEFAULT_EXPERIMENTS_LIMIT } = parseOrThrow(experimentQuerySchema, request.query, 'query');
    // One more than the limit tells whether there were more.
    const experiments = await options.runs.listExperiments({ q, limit: limit + 1 });
    if (experiments.length <= limit) return { count: experiments.length, experiments };
    return { count: limit, experiments: experiments.slice(0, limit), truncated: true, limit };
  });
}
