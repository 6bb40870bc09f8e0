import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessLog } from '../../ops/access-log.js';
import type { LabMetrics } from '../../ops/metrics.js';
import type { ProxyTrust } from './client-address.js';

/**
 * Per-request bookkeeping: the request id (echoed as `X-Request-Id`; Fastify's child logger
 * puts it on every log line of the request), and, when the response ends, one access-log
 * line and one metrics event keyed by the route pattern. It listens on the raw response's
 * 'close', so streamed, hijacked and aborted responses are counted too, when they really end.
 */

const INCOMING_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/** Fastify's `genReqId`: keep a sane incoming X-Request-Id (from a proxy), or make one. */
export function generateRequestId(request: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
}

/** The route label for metrics: the pattern, or `unmatched` for 404s (raw URLs would explode cardinality). */
export function routeLabel(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

export function registerRequestContext(
  app: FastifyInstance,
  options: { accessLog: AccessLog; metrics: LabMetrics; proxyTrust: ProxyTrust; securityHeaders: Record<string, string> },
): void {
  const { accessLog, metrics, proxyTrust, securityHeaders } = options;

  // built once: the per-request work is a loop of setHeader calls, no object walk
  const headerEntries: ReadonlyArray<readonly [string, string]> = Object.entries(securityHeaders);

  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    const started = performance.now();
    const time = Date.now();
    const response = reply.raw;
    // set on the raw response so SSE and hijacked replies carry them too
    response.setHeader('x-request-id', request.id);
    for (let index = 0; index < headerEntries.length; index += 1) {
      const header = headerEntries[index]!;
      response.setHeader(header[0], header[1]);
    }

    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const durationMs = performance.now() - started;
      const status = response.statusCode;
      const length = response.getHeader('content-length');
      const contentType = response.getHeader('content-type');
      metrics.recordHttp({
        route: routeLabel(request),
        method: request.method,
        status,
        durationMs,
        streaming: typeof contentType === 'string' && contentType.startsWith('text/event-stream'),
      });
      const headers = request.headers;
      accessLog.write({
        client: proxyTrust.clientAddress(request.raw.socket?.remoteAddress, headers['x-forwarded-for']),
        time,
        method: request.method,
        url: request.url,
        httpVersion: request.raw.httpVersion,
        status,
        bytes: length === undefined ? undefined : Number(length),
        referer: headerText(headers.referer),
        userAgent: headerText(headers['user-agent']),
        durationMs,
        requestId: request.id,
      });
    };
    // 'close' alone: a ServerResponse emits it after 'finish' (next tick) and also when the client
    // goes away mid-response, so one listener sees every end; `end` guards itself anyway
    response.on('close', end);
    done();
  });
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
