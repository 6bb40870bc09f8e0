import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LabError } from '../../domain/errors.js';
import { sendError } from '../http-error.js';
import type { ProxyTrust } from './client-address.js';
import { routeKind } from './route-kind.js';

/**
 * Per-client rate limits (@fastify/rate-limit's in-memory LRU store): RATE_LIMIT_PER_MINUTE
 * on `/api/*` and pages, never on monitoring or the stream test; a tighter limit on login
 * attempts. Over the limit: 429, `Retry-After`, and the lab's error JSON.
 */
/** Sign-in attempts per client per minute; also the budget of wrong tokens (sign-in or bearer). */
export const LOGIN_ATTEMPTS_PER_MINUTE = 20;

export type Limiter = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

export async function registerRateLimit(
  app: FastifyInstance,
  options: { perMinute: number; loginPerMinute?: number; proxyTrust: ProxyTrust },
): Promise<{ loginLimiter: Limiter }> {
  const { perMinute, loginPerMinute = LOGIN_ATTEMPTS_PER_MINUTE, proxyTrust } = options;
  await app.register(rateLimit, { global: false });
  const keyGenerator = (request: FastifyRequest) => proxyTrust.clientAddress(request.raw.socket?.remoteAddress, request.headers['x-forwarded-for']);
  const limited = new Map<string, number>();

  const makeLimiter = (max: number, what: string): Limiter => {
    const check = app.createRateLimit({ max, timeWindow: 60_000, keyGenerator });
    return async (request, reply) => {
      const result = await check(request);
      if (result.isAllowed) return undefined;
      reply.header('x-ratelimit-limit', String(result.max));
      reply.header('x-ratelimit-remaining', String(result.remaining));
      reply.header('x-ratelimit-reset', String(result.ttlInSeconds));
      if (!result.isExceeded) return undefined;
      // one warning per client per window, not one per refused request
      const loggedAt = limited.get(result.key);
      if (loggedAt === undefined || Date.now() - loggedAt > 60_000) {
        if (limited.size > 10_000) limited.clear();
        limited.set(result.key, Date.now());
        request.log.warn({ client: result.key, limit: result.max, scope: what }, 'Rate limit exceeded: requests refused with 429');
      }
      const seconds = Math.max(1, result.ttlInSeconds);
      return sendError(
        request,
        reply,
        new LabError('rate_limit:api', `Too many requests: at most ${result.max} per minute per client${what === 'login' ? ' for sign-in' : ''}. Try again in ${seconds} s.`, {
          retryAfterSeconds: seconds,
        }),
      );
    };
  };

  const limiter = makeLimiter(perMinute, 'api');
  // a callback hook, so the routes it skips pay no promise: the limiter's own promise settles it
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    const kind = routeKind(request);
    if (kind === 'monitoring' || kind === 'stream-test') return done();
    limiter(request, reply).then(() => done(), done);
  });
  return { loginLimiter: makeLimiter(loginPerMinute, 'login') };
}
