import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Session } from '../../domain/session.js';
import { sessionIdSchema, transcriptEntrySchema } from '../../domain/session.js';
import type { SessionListOptions } from '../../domain/session-repository.js';
import { parseOrThrow } from '../http-error.js';

/** Session fields a client may set. */
export const sessionBodySchema = z
  .object({
    name: z.string().max(200, 'name must be at most 200 characters').optional(),
    notes: z.string().max(10_000, 'notes must be at most 10,000 characters').optional(),
    agent_config: z.record(z.string(), z.unknown()).optional(),
    model_id: z.string().max(200).optional(),
    transcript: z.array(transcriptEntrySchema).max(10_000).optional(),
  })
  .strict();
export type SessionBody = z.output<typeof sessionBodySchema>;

/** Query of `GET /api/sessions`. */
export const sessionListQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100_000).optional(),
    q: z.string().max(200, 'q must be at most 200 characters').optional(),
  })
  .strict();

/**
 * `GET /api/sessions` without `limit` answers the newest this many sessions (with
 * `truncated: true` when there are more): a sidebar polled every few seconds should not
 * carry tens of thousands of sessions.
 */
export const DEFAULT_SESSIONS_LIMIT = 500;

/** The session storage the routes need (src/store SessionStore). */
export interface SessionsPort {
  list(options?: SessionListOptions): Promise<unknown[]>;
  get(id: string): Promise<Session>;
  create(input: SessionBody): Promise<Session>;
  update(id: string, patch: SessionBody): Promise<Session>;
  delete(id: string): Promise<void>;
}

export const sessionIdParams = z.object({ id: sessionIdSchema });

/** `/api/sessions`: list, create, read, update, delete. Ids that could name a path are a 400. */
export function sessionRoutes(app: FastifyInstance, options: { sessions: SessionsPort }): void {
  app.get('/api/sessions', async (request) => {
    const query = parseOrThrow(sessionListQuerySchema, request.query, 'session list');
    const limit = query.limit ?? DEFAULT_SESSIONS_LIMIT;
    // One more than the limit tells whether there were more.
    const sessions = await options.sessions.list({ limit: limit + 1, ...(query.q !== undefined ? { q: query.q } : {}) });
    return sessions.length > limit ? { sessions: sessions.slice(0, limit), truncated: true, limit } : { sessions };
  });

  app.post('/api/sessions', async (request, reply) => {
    const body = parseOrThrow(sessionBodySchema, request.body ?? {}, 'session');
    const session = await options.sessions.create(body);
    request.log.info({ session_id: session.id }, 'Session saved');
    return reply.status(201).send(session);
  });

  app.get('/api/sessions/:id', async (request) => {
    const { id } = parseOrThrow(sessionIdParams, request.params, 'session id');
    return options.sessions.get(id);
  });

  app.put('/api/sessions/:id', async (request) => {
    const { id } = parseOrThrow(sessionIdParams, request.params, 'session id');
    const body = parseOrThrow(sessionBodySchema, request.body ?? {}, 'session');
    const session = await options.sessions.update(id, body);
    request.log.info({ session_id: id }, 'Session saved');
    return session;
  });

  app.delete('/api/sessions/:id', async (request, reply) => {
    const { id } = parseOrThrow(sessionIdParams, request.params, 'session id');
    await options.sessions.delete(id);
    request.log.info({ session_id: id }, 'Session deleted');
    return reply.status(204).send();
  });
}
