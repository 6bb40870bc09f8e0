import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LabError } from '../../domain/errors.js';
import type { ScoreService } from '../../evals/score-service.js';
import { parseOrThrow } from '../http-error.js';

const runId = z.string().min(1).max(64);

/** The body of `POST /api/judge`: one run (rubric) or two (pairwise, asked in both orders). */
export const judgeRequestSchema = z
  .object({
    judge_agent_id: z.string().min(1).max(200),
    rubric: z.string().min(1, 'rubric must not be empty').max(10_000),
    run_id: runId.optional(),
    run_ids: z.array(runId).length(2, 'run_ids must name exactly two runs (pairwise)').optional(),
  })
  .strict()
  .refine((body) => (body.run_id === undefined) !== (body.run_ids === undefined), { message: 'give run_id (rubric) or run_ids: [a, b] (pairwise), not both', path: ['run_id'] })
  .refine((body) => !body.run_ids || body.run_ids[0] !== body.run_ids[1], { message: 'the two runs must differ', path: ['run_ids'] });

/**
 * `POST /api/judge`: a judge agent grades one answer or compares two. The judge's calls are
 * ordinary runs (runs.csv, costed, `task_label=judge`); the score names them in `judge_run_id`.
 */
export function judgeRoutes(app: FastifyInstance, options: { service: ScoreService }): void {
  const { service } = options;
  app.post('/api/judge', async (request, reply) => {
    const body = parseOrThrow(judgeRequestSchema, request.body ?? {}, 'judge request');
    const judge = await service.getJudge(body.judge_agent_id);
    const controller = new AbortController();
    // The client going away stops the judge's calls (they are recorded as aborted).
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort(new DOMException('client disconnected', 'AbortError'));
    });
    if (body.run_id !== undefined) {
      const run = await service.getRun(body.run_id);
      const scored = { run, answer: await service.getAnswer(run) };
      const score = await service.judgeRubric({ judge, rubric: body.rubric, scored, signal: controller.signal });
      await service.append([score]);
      return reply.status(201).send({ score, judge_run_ids: score.judge_run_id === '' ? [] : [score.judge_run_id], judge_error: score.value === null });
    }
    const [firstId, secondId] = body.run_ids!;
    const [firstRun, secondRun] = await Promise.all([service.getRun(firstId!), service.getRun(secondId!)]);
    const [first, second] = await Promise.all(
      [firstRun, secondRun].map(async (run) => {
        if (run.error !== '' || run.aborted) throw new LabError('bad_request:body', `Run ${run.run_id} failed or was stopped; there is no answer to compare.`);
        return { run, answer: await service.getAnswer(run) };
      }),
    );
    const outcome = await service.judgePairwise({ judge, rubric: body.rubric, first: first!, second: second!, signal: controller.signal });
    await service.append([outcome.score]);
    return reply.status(201).send({ score: outcome.score, judge_run_ids: outcome.judgeRunIds, disagreement: outcome.disagreement, judge_error: outcome.score.value === null });
  });
}
