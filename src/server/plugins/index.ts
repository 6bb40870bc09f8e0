import type { IncomingMessage } from 'node:http';
import { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';
import type { LabConfig } from '../../config/config.js';
import { createAccessLog, type AccessLog } from '../../ops/access-log.js';
import type { LabHealth } from '../../ops/health.js';
import type { Logger } from '../../ops/logger.js';
import type { LabMetrics } from '../../ops/metrics.js';
import type { ServiceFlags } from '../../ops/service-flags.js';
import type { LabStatusSources } from '../context.js';
import { registerAuthRoutes } from '../routes/auth.js';
import { registerHealthRoutes } from '../routes/health.js';
import { registerMetricsRoutes } from '../routes/metrics.js';
import { registerStatusRoute } from '../routes/status.js';
import { registerStreamTestRoute } from '../routes/stream-test.js';
import { createAuth, registerAuthGuard, type LabAuth, type RevokedSessionStore } from './auth.js';
import { createFailureLimiter } from './failure-limiter.js';
import { createProxyTrust } from './client-address.js';
import { registerInjectionDetector } from './injection-detector.js';
import { createMaintenancePage } from './pages.js';
import { LOGIN_ATTEMPTS_PER_MINUTE, registerRateLimit } from './rate-limit.js';
import { generateRequestId, registerRequestContext } from './request-context.js';
import { requestChildLogger } from './request-logger.js';
import { securityHeaders } from './security-headers.js';
import { registerMaintenanceGuard, registerReadOnlyGuard } from './service-modes.js';

/**
 * The operations layer of the HTTP server: request ids, access log, request metrics,
 * security headers, rate limits, maintenance and read-only modes, auth, injection warnings,
 * and the health, metrics, status, stream-test and sign-in routes.
 */

export { createAuth, constantTimeEqual, parseCookies, SESSION_COOKIE, type LabAuth, type RevokedSessionStore } from './auth.js';
export { createProxyTrust, type ProxyTrust } from './client-address.js';
export { READ_ONLY_MESSAGE, MAINTENANCE_MESSAGE, MAINTENANCE_RETRY_AFTER_SECONDS } from './service-modes.js';
export { CONTENT_SECURITY_POLICY } from './security-headers.js';

/**
 * Options for `Fastify(...)` that belong to operations: the logger, request ids (an incoming
 * sane `X-Request-Id` is kept, else a UUID; logged as `request_id` on every line of the
 * request; the per-request child logger is made on its first use), TRUST_PROXY (so
 * `request.ip` follows the same rule as the access log), the body limit, and no per-request
 * info lines (the access log has them).
 */
export interface OperationsServerOptions {
  loggerInstance: Logger;
  genReqId: (request: IncomingMessage) => string;
  childLoggerFactory: (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) => FastifyBaseLogger;
  logController: LogController;
  trustProxy: false | ((address: string, hop: number) => boolean);
  bodyLimit: number;
  return503OnClosing: boolean;
}

export function operationsServerOptions(options: { config: LabConfig; logger: Logger }): OperationsServerOptions {
  const proxyTrust = createProxyTrust(options.config.trustProxy);
  return {
    loggerInstance: options.logger,
    genReqId: (request) => generateRequestId(request),
    childLoggerFactory: (logger, bindings, childOptions) => requestChildLogger(logger, bindings, childOptions),
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    trustProxy: options.config.trustProxy ? proxyTrust.trusts : false,
    bodyLimit: options.config.maxBodyBytes,
    return503OnClosing: true,
  };
}

export interface Operations {
  /** The access log (reopen it on SIGHUP; closed with the app). */
  accessLog: AccessLog;
}

/**
 * Register the operations layer on the root instance, before any other route: its hooks are
 * added to the root, so they apply to every route registered afterwards, and to 404s.
 * Hook order: request context → injection warning (URL) → rate limit → maintenance → auth →
 * read-only.
 */
export async function registerOperations(
  app: FastifyInstance,
  options: {
    sources: LabStatusSources;
    flags: ServiceFlags;
    metrics: LabMetrics;
    health: LabHealth;
    webDir?: string | undefined;
    /** Defaults to a file at `config.accessLog`. */
    accessLog?: AccessLog;
    /** Where logouts are kept (shared by every instance on the same data); in memory only when absent. */
    revocations?: RevokedSessionStore;
  },
): Promise<Operations> {
  const { sources, flags, metrics, health } = options;
  const { config } = sources;
  const proxyTrust = createProxyTrust(config.trustProxy);
  const ownsAccessLog = options.accessLog === undefined;
  const accessLog = options.accessLog ?? createAccessLog({ file: config.accessLog });
  const https = config.publicUrl.startsWith('https:');
  const auth = createAuth({ token: config.labAuthToken, ...(options.revocations ? { revocations: options.revocations } : {}) });
  await watchRevocations(app, { auth, logger: sources.logger });

  registerRequestContext(app, { accessLog, metrics, proxyTrust, securityHeaders: securityHeaders({ https }) });
  registerInjectionDetector(app);
  const { loginLimiter } = await registerRateLimit(app, { perMinute: config.rateLimitPerMinute, proxyTrust });
  registerMaintenanceGuard(app, { flags, maintenancePage: createMaintenancePage({ webDir: options.webDir }) });
  // Wrong bearer tokens and wrong sign-ins share one budget per client, the sign-in limit.
  const failures = createFailureLimiter({ maxFailures: LOGIN_ATTEMPTS_PER_MINUTE });
  registerAuthGuard(app, { auth, failures });
  registerReadOnlyGuard(app, { flags });

  registerHealthRoutes(app, { health });
  registerMetricsRoutes(app, { metrics });
  registerStreamTestRoute(app);
  registerStatusRoute(app, { sources, flags });
  registerAuthRoutes(app, { auth, loginLimiter, failures, secureCookies: https });

  if (ownsAccessLog) app.addHook('onClose', async () => accessLog.close());
  return { accessLog };
}

/** How often an instance reads the logouts other instances stored. */
const REVOCATION_REFRESH_MS = 5_000;

/**
 * Read the stored logouts now (start-up) and every few seconds after, so a cookie revoked on one
 * instance stops working on all of them. An unreadable store is logged, never fatal.
 */
async function watchRevocations(app: FastifyInstance, options: { auth: LabAuth; logger: Logger }): Promise<void> {
  if (!options.auth.required) return;
  let failing = false;
  const refresh = async () => {
    try {
      await options.auth.refreshRevocations();
      failing = false;
    } catch (error) {
      if (!failing) options.logger.error({ err: error }, 'Could not read the revoked sign-in sessions; logouts made elsewhere are not enforced until it can');
      failing = true;
    }
  };
  await refresh();
  const timer = setInterval(() => void refresh(), REVOCATION_REFRESH_MS);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
