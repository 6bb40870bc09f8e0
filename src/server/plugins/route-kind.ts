import type { FastifyRequest } from 'fastify';

/**
 * What kind of route a request is for, which decides the rules that apply to it:
 * monitoring (`/health*`, `/metrics*`) and the stream test are open, never rate limited and
 * keep answering in maintenance; `api` is `/api/*`; `openai` is the OpenAI-compatible `/v1/*`
 * (API rules, OpenAI's error shape); everything else is a page.
 * Matched requests are classified by their route pattern, unmatched ones by their path.
 */
export type RouteKind = 'monitoring' | 'stream-test' | 'auth' | 'status' | 'api' | 'openai' | 'page';

export function requestPath(request: FastifyRequest): string {
  const url = request.url;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export function routeKind(request: FastifyRequest): RouteKind {
  const pattern = request.routeOptions.url;
  const target = pattern ?? requestPath(request);
  if (target === '/health' || target === '/health/detailed' || target === '/metrics' || target === '/metrics/prometheus') {
    return pattern !== undefined ? 'monitoring' : 'page';
  }
  if (target === '/api/stream/test') return pattern !== undefined ? 'stream-test' : 'api';
  if (target === '/api/auth/login' || target === '/api/auth/logout') return pattern !== undefined ? 'auth' : 'api';
  if (target === '/api/status') return pattern !== undefined ? 'status' : 'api';
  if (target === '/api' || target.startsWith('/api/')) return 'api';
  if (target === '/v1' || target.startsWith('/v1/')) return 'openai';
  return 'page';
}

/** True for methods that change state. */
export function isWriteMethod(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';
}

