import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LabError } from '../../domain/errors.js';
import type { ServiceFlags } from '../../ops/service-flags.js';
import { sendError } from '../http-error.js';
import { isWriteMethod, requestPath, routeKind } from './route-kind.js';

/**
 * Maintenance and read-only modes (flag files, see ops/service-flags). Maintenance: pages get
 * the maintenance page and the API a JSON 503, both with Retry-After; monitoring, the stream
 * test, `/api/status` and sign-in keep answering. Read-only: every write to `/api/*` and `/v1/*` is
 * refused with 503 before its body is read; reads, sign-in and cancelling a run still work.
 */

export const MAINTENANCE_RETRY_AFTER_SECONDS = 120;
export const READ_ONLY_MESSAGE =
  'Agent Lab is in read-only mode (READ_ONLY_MODE flag file present): writes are refused, reads work. Remove the flag to resume.';
export const MAINTENANCE_MESSAGE = 'Agent Lab is in maintenance mode (MAINTENANCE_MODE flag file present): try again in a few minutes.';

/** Writes that stay allowed in read-only mode: they change nothing on disk that matters. */
const READ_ONLY_EXEMPT = new Set(['/api/auth/login', '/api/auth/logout', '/api/runs/:id/cancel', '/api/models/refresh']);

/** Register the maintenance guard; it must run before auth so a signed-out browser sees the page too. */
export function registerMaintenanceGuard(app: FastifyInstance, options: { flags: ServiceFlags; maintenancePage: () => Promise<string> }): void {
  const { flags, maintenancePage } = options;
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    const kind = routeKind(request);
    if (kind === 'monitoring' || kind === 'stream-test' || kind === 'status' || kind === 'auth') return;
    if (kind === 'page') {
      return reply
        .status(503)
        .header('retry-after', String(MAINTENANCE_RETRY_AFTER_SECONDS))
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(await maintenancePage());
    }
    return sendError(request, reply, new LabError('maintenance:service', MAINTENANCE_MESSAGE, { retryAfterSeconds: MAINTENANCE_RETRY_AFTER_SECONDS }));
  };
  // a callback hook: outside maintenance (nearly always) it costs one flag read, no promise
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    if (!flags.maintenance()) return done();
    guard(request, reply).then(() => done(), done);
  });
}

/** Register the read-only guard; it runs after auth (an unauthenticated write is a 401 first). */
export function registerReadOnlyGuard(app: FastifyInstance, options: { flags: ServiceFlags }): void {
  const { flags } = options;
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    if (!flags.readOnly() || !isWriteMethod(request.method)) return done();
    const kind = routeKind(request);
    if (kind !== 'api' && kind !== 'openai') return done();
    if (READ_ONLY_EXEMPT.has(request.routeOptions.url ?? requestPath(request))) return done();
    // the reply is sent: the remaining hooks and the handler do not run (Fastify's early-response pattern)
    sendError(request, reply, new LabError('read_only:store', READ_ONLY_MESSAGE));
  });
}
