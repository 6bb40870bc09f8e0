import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LabError } from '../../domain/errors.js';
import { chatRequestSchema, parseSimpleChatRequest, type ChatService } from '../../runner/chat-service.js';
import type { RunEvent } from '../../runner/run-events.js';
import type { RunRegistry } from '../../runner/run-registry.js';
import { parseOrThrow } from '../http-error.js';
import { openSse } from '../sse.js';

export const runIdParams = z.object({ id: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'run id must be 1-64 characters of A-Z, a-z, 0-9, _ or -') });

/**
 * `POST /api/chat` (SSE, or one JSON answer with `stream: false`) and
 * `POST /api/runs/:id/cancel`. Closing the connection stops the run.
 */
export function chatRoutes(app: FastifyInstance, options: { chat: ChatService; registry: RunRegistry }): void {
  app.post('/api/chat', async (request, reply) => {
    const body = parseSimpleChatRequest(request.body) ?? parseOrThrow(chatRequestSchema, request.body ?? {}, 'chat request');
    const prepared = await options.chat.prepare(body);

    if (!body.stream) {
      const controller = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) controller.abort(new DOMException('client disconnected', 'AbortError'));
      });
      const toolEvents: RunEvent[] = [];
      const result = await options.chat.execute(prepared, {
        signal: controller.signal,
        emit: (event) => {
          if (event.event === 'tool-call' || event.event === 'tool-result') toolEvents.push(event);
        },
      });
      const answer = {
        run_id: result.run.run_id,
        session_id: result.run.session_id,
        text: result.text,
        tool_events: toolEvents.map((event) => ({ event: event.event, ...event.data })),
        run: result.run,
      };
      if (result.error) return reply.status(result.error.status).send({ ...result.error.toJSON(), ...answer });
      return answer;
    }

    const sse = openSse(request, reply);
    try {
      await options.chat.execute(prepared, { signal: sse.signal, emit: (event) => sse.send(event.event, event.data) });
    } catch (error) {
      request.log.error({ err: error }, 'Chat stream failed unexpectedly');
      const labError = error instanceof LabError ? error : new LabError('internal:server', 'The run failed inside the lab; see the log.');
      sse.send('error', { code: labError.code, message: labError.message, retryable: labError.retryable });
    } finally {
      sse.end();
    }
    return reply;
  });

  app.post('/api/runs/:id/cancel', async (request) => {
    const { id } = parseOrThrow(runIdParams, request.params, 'run id');
    options.registry.cancel(id);
    request.log.info({ run_id: id }, 'Run cancelled by request');
    return { run_id: id, cancelled: true };
  });
}
