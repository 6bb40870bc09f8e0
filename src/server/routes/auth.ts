import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { LabError } from '../../domain/errors.js';
import { sendError } from '../http-error.js';
import { refuseTooManyFailures, type LabAuth } from '../plugins/auth.js';
import type { FailureLimiter } from '../plugins/failure-limiter.js';
import { loginPage, safeNextPath } from '../plugins/pages.js';
import type { Limiter } from '../plugins/rate-limit.js';

/**
 * `POST /api/auth/login` with `{"token"}` as JSON (the SPA: 200 and the session cookie) or as a
 * form (the built-in login page: 303 back to the page it came from); `POST /api/auth/logout`
 * revokes the session and clears the cookie. Attempts have their own, tighter rate limit, and
 * wrong tokens count against the client with wrong bearer tokens. The token is never logged.
 */
export const loginSchema = z.object({ token: z.string().max(1000), next: z.string().max(2000).optional() });

export function registerAuthRoutes(
  app: FastifyInstance,
  options: { auth: LabAuth; loginLimiter: Limiter; failures: FailureLimiter; secureCookies: boolean },
): void {
  const { auth, loginLimiter, failures, secureCookies } = options;
  const secure = (request: FastifyRequest) => secureCookies || request.protocol === 'https';

  // encapsulated: only these routes accept a form body
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });

    scope.post('/api/auth/login', { onRequest: loginLimiter }, async (request: FastifyRequest, reply: FastifyReply) => {
      const fromForm = String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      const parsed = loginSchema.safeParse(request.body);
      if (!parsed.success) return sendError(request, reply, new LabError('bad_request:body', 'Send {"token": "<LAB_AUTH_TOKEN>"}.'));
      if (!auth.required) return reply.send({ authenticated: true, auth_required: false });
      const next = safeNextPath(parsed.data.next);
      const blockedFor = failures.blockedFor(request.ip);
      if (blockedFor > 0) return refuseTooManyFailures(request, reply, blockedFor);
      if (!auth.tokenMatches(parsed.data.token)) {
        failures.recordFailure(request.ip);
        request.log.warn({ route: '/api/auth/login' }, 'Sign-in refused: wrong token');
        if (fromForm) return reply.status(401).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(loginPage({ next, failed: true }));
        return sendError(request, reply, new LabError('unauthorized:auth', 'That token is not right.'));
      }
      request.log.info({ route: '/api/auth/login' }, 'Sign-in accepted: session cookie set');
      reply.header('set-cookie', auth.sessionCookie({ secure: secure(request) })).header('cache-control', 'no-store');
      if (fromForm) return reply.redirect(next, 303);
      return reply.send({ authenticated: true, auth_required: true });
    });

    scope.post('/api/auth/logout', async (request: FastifyRequest, reply: FastifyReply) => {
      // The cookie stops working here, not only in this browser: a copy of it is refused too.
      if (await auth.revoke(request)) request.log.info({ route: '/api/auth/logout' }, 'Signed out: session revoked');
      return reply.header('set-cookie', auth.clearedCookie({ secure: secure(request) })).header('cache-control', 'no-store').status(204).send();
    });
  });
}
