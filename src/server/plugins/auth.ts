import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LabError } from '../../domain/errors.js';
import { sendError } from '../http-error.js';
import type { FailureLimiter } from './failure-limiter.js';
import { loginPage } from './pages.js';
import { routeKind } from './route-kind.js';

/**
 * LAB_AUTH_TOKEN: when set, every route but monitoring (`/health*`, `/metrics*`), the stream
 * test and the login itself needs `Authorization: Bearer <token>` or the session cookie that
 * `POST /api/auth/login` sets. Comparisons are constant-time.
 *
 * The cookie is `<id>.<expires>.<mac>`: a random session id, its expiry (Unix seconds, 7 days
 * after sign-in by default) and an HMAC of both under a key derived from the token — never
 * the token itself. The server checks the MAC and the expiry (the browser's Max-Age is only a
 * courtesy); changing the token signs everyone out; `POST /api/auth/logout` revokes the id for
 * the rest of its life. Revocations are kept in a RevokedSessionStore (DATA_DIR's
 * `revoked-sessions.json`, or PostgreSQL's `revoked_sessions` table), so a logout holds after
 * a restart and, read again every few seconds, on every instance sharing the data.
 * Wrong bearer tokens count against the client like wrong sign-ins (429 past the limit).
 */
export const SESSION_COOKIE = 'agent_lab_session';
export const DEFAULT_SESSION_SECONDS = 7 * 24 * 3600;

/** Where revoked sessions are kept, so a logout holds across restarts and instances. */
export interface RevokedSessionStore {
  /** The revoked session ids that have not expired yet, with their expiry (ms since the epoch). */
  load(): Promise<Map<string, number>>;
  /** Keep this revocation until its cookie would have expired anyway. */
  add(id: string, expiresAt: number): Promise<void>;
}

export interface LabAuth {
  /** True when a token is configured. */
  readonly required: boolean;
  /** True when the request carries the token (bearer) or a valid, unexpired, unrevoked session cookie. */
  authorized(request: FastifyRequest): boolean;
  /** The bearer token the request presents, if any. */
  bearer(request: FastifyRequest): string | undefined;
  /** True when the request carries credentials that are wrong (not merely absent). */
  presentedWrongCredentials(request: FastifyRequest): boolean;
  /** Constant-time check of a token typed at the login (or sent as a bearer). */
  tokenMatches(candidate: string): boolean;
  /** The Set-Cookie value that signs this client in (a new session each time). */
  sessionCookie(options: { secure: boolean }): string;
  /** The Set-Cookie value that signs it out. */
  clearedCookie(options: { secure: boolean }): string;
  /** Revoke the session cookie the request carries (when it is a valid one), durably; true when it was. */
  revoke(request: FastifyRequest): Promise<boolean>;
  /** Read the revocations other processes stored (each instance does it every few seconds). */
  refreshRevocations(): Promise<void>;
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

const SESSION_VALUE = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export function createAuth(options: { token: string | undefined; sessionSeconds?: number; now?: () => number; revocations?: RevokedSessionStore }): LabAuth {
  const { token, sessionSeconds = DEFAULT_SESSION_SECONDS, now = Date.now, revocations } = options;
  const key = token ? createHmac('sha256', token).update('agent-lab-session-v2').digest() : undefined;
  const mac = (id: string, expires: string) => createHmac('sha256', key!).update(`${id}.${expires}`).digest('base64url');
  /** Revoked session ids and when each would have expired (ms), oldest expiry first. */
  const revoked = new Map<string, number>();
  const cookieAttributes = (secure: boolean) => `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;

  const bearer = (request: FastifyRequest): string | undefined => {
    const header = request.headers.authorization;
    if (typeof header !== 'string') return undefined;
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match?.[1]?.trim();
  };
  const cookie = (request: FastifyRequest) => parseCookies(request.headers.cookie)[SESSION_COOKIE];
  /** The session a cookie value proves, or undefined when it is forged, expired or revoked. */
  const session = (value: string | undefined): { id: string; expiresAt: number } | undefined => {
    if (!key || value === undefined) return undefined;
    const match = SESSION_VALUE.exec(value);
    if (!match) return undefined;
    const [, id, expires, presentedMac] = match as unknown as [string, string, string, string];
    if (!constantTimeEqual(presentedMac, mac(id, expires))) return undefined;
    const expiresAt = Number(expires) * 1000;
    if (now() >= expiresAt || revoked.has(id)) return undefined;
    return { id, expiresAt };
  };

  return {
    required: token !== undefined,
    authorized(request) {
      if (!token) return true;
      const presented = bearer(request);
      if (presented !== undefined) return constantTimeEqual(presented, token);
      return session(cookie(request)) !== undefined;
    },
    bearer,
    presentedWrongCredentials(request) {
      return typeof request.headers.authorization === 'string' || cookie(request) !== undefined;
    },
    tokenMatches: (candidate) => token !== undefined && constantTimeEqual(candidate, token),
    sessionCookie({ secure }) {
      if (!key) return `${SESSION_COOKIE}=; Max-Age=${sessionSeconds}; ${cookieAttributes(secure)}`;
      const id = randomBytes(16).toString('base64url');
      const expires = String(Math.floor(now() / 1000) + sessionSeconds);
      return `${SESSION_COOKIE}=${id}.${expires}.${mac(id, expires)}; Max-Age=${sessionSeconds}; ${cookieAttributes(secure)}`;
    },
    clearedCookie: ({ secure }) => `${SESSION_COOKIE}=; Max-Age=0; ${cookieAttributes(secure)}`,
    async revoke(request) {
      const valid = session(cookie(request));
      if (!valid) return false;
      // Forget revocations whose cookies have expired anyway: the list stays as small as the live sessions.
      const at = now();
      for (const [id, expiresAt] of revoked) if (expiresAt <= at) revoked.delete(id);
      revoked.set(valid.id, valid.expiresAt);
      await revocations?.add(valid.id, valid.expiresAt);
      return true;
    },
    async refreshRevocations() {
      if (!revocations || !key) return;
      for (const [id, expiresAt] of await revocations.load()) revoked.set(id, expiresAt);
    },
  };
}

/**
 * The guard: API requests without credentials get 401 JSON, pages the login page (401). A
 * client past its budget of wrong tokens gets 429 with Retry-After on every bearer request.
 */
export function registerAuthGuard(app: FastifyInstance, options: { auth: LabAuth; failures: FailureLimiter }): void {
  const { auth, failures } = options;
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
    const presented = auth.bearer(request);
    if (presented !== undefined) {
      const blockedFor = failures.blockedFor(request.ip);
      if (blockedFor > 0) return refuseTooManyFailures(request, reply, blockedFor);
      if (auth.tokenMatches(presented)) return done();
      failures.recordFailure(request.ip);
      return refuse(request, reply, kind);
    }
    if (auth.authorized(request)) return done();
    refuse(request, reply, kind);
  });
}

/** 429 for a client that sent too many wrong tokens (bearer or sign-in). */
export function refuseTooManyFailures(request: FastifyRequest, reply: FastifyReply, seconds: number): FastifyReply {
  request.log.warn({ client: request.ip, retry_after_seconds: seconds }, 'Request refused: too many wrong tokens from this client');
  return sendError(
    request,
    reply,
    new LabError('rate_limit:auth', `Too many wrong tokens from this client. Try again in ${seconds} s.`, { retryAfterSeconds: seconds }),
  );
}
