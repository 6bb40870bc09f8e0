import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LabError } from '../../domain/errors.js';
import { sendError } from '../http-error.js';
import { loginPage } from './pages.js';
import { routeKind } from './route-kind.js';

/**
 * LAB_AUTH_TOKEN: when set, every route but monitoring (`/health*`, `/metrics*`), the stream
 * test and the login itself needs `Authorization: Bearer <token>` or the session cookie that
 * `POST /api/auth/login` sets. The cookie holds an HMAC derived from the token, never the
 * token itself; changing the token signs everyone out. Comparisons are constant-time.
 */
export const SESSION_COOKIE = 'agent_lab_session';
const COOKIE_MAX_AGE_SECONDS = 30 * 24 * 3600;

export interface LabAuth {
  /** True when a token is configured. */
  readonly required: boolean;
  /** True when the request carries the token (bearer) or a valid session cookie. */
  authorized(request: FastifyRequest): boolean;
  /** True when the request carries credentials that are wrong (not merely absent). */
  presentedWrongCredentials(request: FastifyRequest): boolean;
  /** Constant-time check of a token typed at the login. */
  tokenMatches(candidate: string): boolean;
  /** The Set-Cookie value that signs this client in. */
  sessionCookie(options: { secure: boolean }): string;
  /** The Set-Cookie value that signs it out. */
  clearedCookie(options: { secure: boolean }): string;
}

/** Equal strings in constant time (hashing first makes the lengths equal). */
export function constantTimeEqual(left: string, right: string): boolean {
  const a = createHash('sha256').update(left).digest();
  const b = createHash('sha256').update(right).digest();
  return timingSafeEqual(a, b);
}

/** `a=1; b=2` → { a: '1', b: '2' } (first value wins, values URI-decoded when possible). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator <= 0) continue;
    const name = part.slice(0, separator).trim();
    if (name in cookies) continue;
    const raw = part.slice(separator + 1).trim().replace(/^"(.*)"$/, '$1');
    try {
      cookies[name] = decodeURIComponent(raw);
    } catch {
      cookies[name] = raw;
    }
  }
  return cookies;
}

export function createAuth(options: { token: string | undefined }): LabAuth {
  const { token } = options;
  const sessionValue = token ? createHmac('sha256', token).update('agent-lab-session-v1').digest('base64url') : undefined;
  const cookieAttributes = (secure: boolean) => `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;

  const bearer = (request: FastifyRequest): string | undefined => {
    const header = request.headers.authorization;
    if (typeof header !== 'string') return undefined;
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match?.[1]?.trim();
  };
  const cookie = (request: FastifyRequest) => parseCookies(request.headers.cookie)[SESSION_COOKIE];

  return {
    required: token !== undefined,
    authorized(request) {
      if (!token || !sessionValue) return true;
      const presented = bearer(request);
      if (presented !== undefined) return constantTimeEqual(presented, token);
      const session = cookie(request);
      return session !== undefined && constantTimeEqual(session, sessionValue);
    },
    presentedWrongCredentials(request) {
      return typeof request.headers.authorization === 'string' || cookie(request) !== undefined;
    },
    tokenMatches: (candidate) => token !== undefined && constantTimeEqual(candidate, token),
    sessionCookie: ({ secure }) => `${SESSION_COOKIE}=${sessionValue ?? ''}; Max-Age=${COOKIE_MAX_AGE_SECONDS}; ${cookieAttributes(secure)}`,
    clearedCookie: ({ secure }) => `${SESSION_COOKIE}=; Max-Age=0; ${cookieAttributes(secure)}`,
  };
}

/** The guard: API requests without credentials get 401 JSON, pages the login page (401). */
export function registerAuthGuard(app: FastifyInstance, options: { auth: LabAuth }): void {
  const { auth } = options;
  if (!auth.required) return;
  const refuse = (request: FastifyRequest, reply: FastifyReply, kind: ReturnType<typeof routeKind>) => {
    if (auth.presentedWrongCredentials(request)) {
      request.log.warn({ route: request.routeOptions.url ?? 'unmatched', method: request.method }, 'Request refused: the token or session cookie is invalid');
    }
    if (kind === 'page') {
      return reply
        .status(401)
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(loginPage({ next: request.url }));
    }
    reply.header('www-authenticate', 'Bearer realm="agent-lab"');
    return sendError(
      request,
      reply,
      new LabError('unauthorized:auth', 'This lab requires its access token: send "Authorization: Bearer <token>" or sign in with POST /api/auth/login.'),
    );
  };
  // a callback hook: open routes and authorized requests pay no promise
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    const kind = routeKind(request);
    if (kind === 'monitoring' || kind === 'stream-test' || kind === 'auth') return done();
    if (auth.authorized(request)) return done();
    refuse(request, reply, kind);
  });
}
