import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LabError } from '../../domain/errors.js';
import { EvalFileError, parseEvalObject } from '../../domain/eval-file.js';
import { FIELD_CAPS } from '../../domain/run.js';
import { prepareEval, runEval } from '../../evals/run-eval.js';
import { newExperimentId } from '../../runner/ids.js';
import type { ScoreService } from '../../evals/score-service.js';
import { parseOrThrow } from '../http-error.js';
import { openSse } from '../sse.js';

/** What `POST /api/evals` takes beside the eval file's own fields (`agents` and `repeat` are the file's). */
const overridesSchema = z
  .object({
    experiment_id: z.string().min(1).max(FIELD_CAPS.tag).optional(),
    concurrency: z.number().int().min(1).max(16).optional(),
  })
  .strict();
const OVERRIDE_KEYS = new Set(['experiment_id', 'concurrency']);

/**
 * `POST /api/evals`: an eval file's JSON form (plus `experiment_id`, `concurrency`), answered
 * as an SSE stream: `eval-start`, `result` per agent × case × repeat, `score`, `pairwise`,
 * `progress`, then `eval-end` with the summary and the experiment's leaderboard. A bad file
 * or an unknown agent is a 4xx before the stream opens.
 */
export function evalRoutes(app: FastifyInstance, options: { service: ScoreService }): void {
  const { service } = options;
  app.post('/api/evals', async (request, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new LabError('bad_request:body', 'Invalid eval: the body must be an eval file as a JSON object.');
    const fileFields: Record<string, unknown> = {};
    const overrideFields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) (OVERRIDE_KEYS.has(key) ? overrideFields : fileFields)[key] = value;
    const overrides = parseOrThrow(overridesSchema, overrideFields, 'eval');
    let file;
    try {
      file = parseEvalObject(fileFields, 'eval');
    } catch (error) {
      if (error instanceof EvalFileError) throw new LabError('bad_request:eval_file', `Invalid eval file: ${error.problems.join('; ')}`, { cause: error });
      throw error;
    }
    const prepared = await prepareEval({
      service,
      file,
      experimentId: overrides.experiment_id ?? newExperimentId('eval'),
      concurrency: overrides.concurrency,
    });
    const sse = openSse(request, reply);
    request.log.info({ experiment_id: prepared.experimentId, agents: prepared.agents.length, cases: file.cases.length }, 'Eval started');
    try {
      await runEval({ service, prepared, signal: sse.signal, emit: (event, data) => sse.send(event, data) });
    } catch (error) {
      request.log.error({ err: error, experiment_id: prepared.experimentId }, 'Eval failed');
      const labError = error instanceof LabError ? error : new LabError('internal:server', 'The eval failed inside the lab; see the log.', { cause: error });
      sse.send('error', { code: labError.code, message: labError.message, retryable: labError.retryable });
    }
    sse.end();
    return reply;
  });
}
