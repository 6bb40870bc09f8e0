import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkAssertSchema } from '../../domain/checks.js';
import { LabError } from '../../domain/errors.js';
import { SCORE_FIELD_CAPS, type ScoreRecord } from '../../domain/score.js';
import type { ScoreService } from '../../evals/score-service.js';
import { parseOrThrow } from '../http-error.js';
import { hasRunCriteria } from '../../domain/history.js';
import { runFilterSchema } from './runs.js';

const reasonText = z.string().max(SCORE_FIELD_CAPS.reason, `must be at most ${SCORE_FIELD_CAPS.reason} characters`);
const raterText = z.string().max(200);

/** The body of `POST /api/runs/:run_id/scores`: a thumbs rating, a check to apply now, or an A/B/tie vote. */
export const scoreRequestSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('human'), value: z.union([z.literal(0), z.literal(1)], { message: 'value must be 1 (thumbs up) or 0 (thumbs down)' }), reason: reasonText.optional(), rater: raterText.optional() }).strict(),
  z.object({ kind: z.literal('check'), scorer: z.string().min(1).max(200).optional(), assert: checkAssertSchema }).strict(),
  z
    .object({
      kind: z.literal('pairwise'),
      opponent_run_id: z.string().min(1).max(64),
      winner: z.enum(['A', 'B', 'tie'], { message: 'winner must be "A" (this run), "B" (the opponent) or "tie"' }),
      reason: reasonText.optional(),
      rater: raterText.optional(),
    })
    .strict(),
]);

/** The path parameters of `POST /api/runs/:run_id/scores`. */
export const scoreRunParams = z.object({ run_id: z.string().min(1).max(64) }).strict();
/** The query of `GET /api/scores`: the run filters, plus `run_id` and `kind`. */
export const scoreFilterSchema = runFilterSchema.extend({ run_id: z.string().min(1).max(64).optional(), kind: z.enum(['check', 'judge', 'pairwise', 'human']).optional() });

/** `POST /api/runs/:run_id/scores` and `GET /api/scores`. */
export function scoreRoutes(app: FastifyInstance, options: { service: ScoreService }): void {
  const { service } = options;

  app.post('/api/runs/:run_id/scores', async (request, reply) => {
    const { run_id: runId } = parseOrThrow(scoreRunParams, request.params, 'run id');
    const body = parseOrThrow(scoreRequestSchema, request.body ?? {}, 'score');
    const run = await service.getRun(runId);
    let score: ScoreRecord;
    switch (body.kind) {
      case 'human':
        score = service.score(run, { scorer: 'human', kind: 'human', value: body.value, pass: body.value === 1, reason: body.reason ?? '', rater: body.rater ?? '' });
        break;
      case 'check':
        score = service.checkScore({ run, answer: await service.getAnswer(run) }, body.assert, body.scorer ? { scorer: body.scorer } : {});
        break;
      case 'pairwise': {
        if (body.opponent_run_id === runId) throw new LabError('bad_request:body', 'Invalid score: opponent_run_id: a run cannot be voted against itself.');
        await service.getRun(body.opponent_run_id);
        score = service.score(run, {
          scorer: 'human',
          kind: 'pairwise',
          value: body.winner === 'A' ? 1 : body.winner === 'B' ? 0 : 0.5,
          pass: null,
          reason: body.reason ?? '',
          rater: body.rater ?? '',
          opponent_run_id: body.opponent_run_id,
        });
        break;
      }
    }
    await service.append([score]);
    return reply.status(201).send({ score });
  });

  app.get('/api/scores', async (request) => {
    const filter = parseOrThrow(scoreFilterSchema, request.query, 'filter');
    const { run_id: runId, kind, limit, since, experiment_id: experimentId, ...runFilter } = filter;
    const runIds = hasRunCriteria(runFilter) ? await service.stores.runs.findRunIds(runFilter) : undefined;
    const scores = await service.stores.scores.findScores({
      run_ids: runId !== undefined ? (runIds === undefined || runIds.includes(runId) ? [runId] : []) : runIds,
      kind,
      experiment_id: experimentId,
      since,
      limit,
    });
    return { count: scores.length, scores };
  });
}
