import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { agentInputSchema } from '../../domain/agent.js';
import { LabError } from '../../domain/errors.js';
import { sessionIdSchema } from '../../domain/session.js';
import { FIELD_CAPS } from '../../domain/run.js';
import { MAX_MESSAGE_CHARS, type ChatService, type PreparedChat } from '../../runner/chat-service.js';
import { newExperimentId, newId } from '../../runner/ids.js';
import { parseOrThrow } from '../http-error.js';
import { openSse } from '../sse.js';

export const MAX_LANES = 8;

const laneSchema = z
  .object({
    agent_id: z.string().min(1).max(64).optional(),
    agent: agentInputSchema.optional(),
    session_id: sessionIdSchema.optional(),
  })
  .strict()
  .refine((lane) => lane.agent_id !== undefined || lane.agent !== undefined, { message: 'each lane needs agent_id or agent', path: ['agent_id'] });

const tagText = z.string().max(FIELD_CAPS.tag);

/** `POST /api/bakeoff`: one prompt, 2-8 lanes (agents, or one config with several models). */
export const bakeoffRequestSchema = z
  .object({
    message: z.string().min(1, 'message must not be empty').max(MAX_MESSAGE_CHARS),
    lanes: z.array(laneSchema).max(MAX_LANES, `at most ${MAX_LANES} lanes`).optional(),
    agent: agentInputSchema.optional(),
    models: z.array(z.string().min(1).max(200)).max(MAX_LANES, `at most ${MAX_LANES} models`).optional(),
    tags: z.object({ experiment_id: tagText.optional(), task_label: tagText.optional(), run_notes: tagText.optional() }).strict().optional(),
  })
  .strict();

/**
 * The bake-off: every lane runs concurrently and its events are multiplexed on one SSE
 * stream, each naming its `lane`. A failing lane does not stop the others; each lane is a
 * run in runs.csv sharing the `experiment_id` (generated when none is given) and `bakeoff_id`.
 */
export function bakeoffRoutes(app: FastifyInstance, options: { chat: ChatService }): void {
  app.post('/api/bakeoff', async (request, reply) => {
    const body = parseOrThrow(bakeoffRequestSchema, request.body ?? {}, 'bake-off');
    type Lane = z.output<typeof laneSchema>;
    const lanes: Lane[] | undefined =
      body.lanes ??
      (body.agent && body.models ? body.models.map((model) => ({ agent: { ...body.agent!, model } })) : undefined);
    if (!lanes) throw new LabError('bad_request:body', 'Invalid bake-off: give lanes (2-8 agents), or agent plus models (2-8 model ids).');
    if (lanes.length < 2) throw new LabError('bad_request:body', `Invalid bake-off: lanes: a bake-off needs 2 to ${MAX_LANES} lanes, got ${lanes.length}.`);
    // Both unique forever (SPEC "Figures a user can trust"); a user-given experiment id is kept.
    const bakeoffId = newId();
    const experimentId = body.tags?.experiment_id || newExperimentId('bakeoff');
    // Every lane is checked (agent, session) before the stream opens, so a bad lane is a 4xx.
    const prepared: PreparedChat[] = await Promise.all(
      lanes.map((lane) =>
        options.chat.prepare(
          {
            ...(lane.agent_id ? { agent_id: lane.agent_id } : {}),
            ...(lane.agent ? { agent: lane.agent } : {}),
            ...(lane.session_id ? { session_id: lane.session_id } : {}),
            message: body.message,
            tags: { experiment_id: experimentId, task_label: body.tags?.task_label ?? '', run_notes: body.tags?.run_notes ?? '' },
            stream: true,
          },
          { bakeoffId },
        ),
      ),
    );

    const sse = openSse(request, reply);
    sse.send('bakeoff-start', {
      bakeoff_id: bakeoffId,
      experiment_id: experimentId,
      lanes: prepared.map((lane, index) => ({ lane: index, run_id: lane.runId, session_id: lane.sessionId, agent_id: lane.agent.id, model: lane.agent.model })),
    });
    request.log.info({ bakeoff_id: bakeoffId, lanes: prepared.length }, 'Bake-off stream started');
    const results = await Promise.all(
      prepared.map((lane, index) =>
        options.chat
          .execute(lane, { signal: sse.signal, emit: (event) => sse.send(event.event, { lane: index, ...event.data }) })
          .catch((error: unknown) => {
            request.log.error({ err: error, lane: index }, 'Bake-off lane failed unexpectedly');
            sse.send('error', { lane: index, code: 'internal:server', message: 'This lane failed inside the lab; see the log.', retryable: true });
            return null;
          }),
      ),
    );
    const finished = results.filter((result) => result !== null && !result.run.aborted && result.error === null).map((result) => result!.run);
    const fastest = [...finished].sort((a, b) => a.latency_ms - b.latency_ms)[0];
    const priced = finished.filter((run) => run.cost_usd !== null);
    // "Cheapest" means something only when some lane cost money and the costs differ: all $0, all
    // unpriced, or every lane the same price names none.
    const someCost = priced.some((run) => (run.cost_usd ?? 0) > 0) && new Set(priced.map((run) => run.cost_usd)).size > 1;
    const cheapest = someCost ? [...priced].sort((a, b) => (a.cost_usd ?? 0) - (b.cost_usd ?? 0))[0] : undefined;
    sse.send('bakeoff-end', {
      bakeoff_id: bakeoffId,
      experiment_id: experimentId,
      fastest_lane: fastest ? results.findIndex((result) => result?.run.run_id === fastest.run_id) : null,
      cheapest_lane: cheapest ? results.findIndex((result) => result?.run.run_id === cheapest.run_id) : null,
    });
    sse.end();
    return reply;
  });
}
