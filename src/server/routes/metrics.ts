import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LabMetrics } from '../../ops/metrics.js';

/**
 * `GET /metrics`: JSON for people and `curl` (which accepts anything), the Prometheus text format for
 * a scraper (its Accept names `text/plain` or `application/openmetrics-text` and not
 * `application/json`); `GET /metrics/prometheus`: always the text format.
 */
export function wantsPrometheus(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept
    .toLowerCase()
    .split(',')
    .map((part) => part.split(';')[0]?.trim() ?? '');
  const prometheus = types.findIndex((type) => type === 'application/openmetrics-text' || type === 'text/plain');
  const json = types.findIndex((type) => type === 'application/json');
  return prometheus !== -1 && (json === -1 || prometheus < json);
}

export function registerMetricsRoutes(app: FastifyInstance, options: { metrics: LabMetrics }): void {
  const { metrics } = options;
  const sendPrometheus = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.header('cache-control', 'no-store').type(metrics.contentType).send(await metrics.prometheus());
  // metrics.json() hands back the same document while it is fresh (see JSON_CACHE_MS): its JSON
  // text is kept beside it, so a burst of polls serialises it once
  let serialised: { document: object; text: string } | undefined;
  app.get('/metrics', async (request, reply) => {
    reply.header('vary', 'accept');
    if (wantsPrometheus(request.headers.accept)) return sendPrometheus(request, reply);
    const document = metrics.json();
    if (serialised?.document !== document) serialised = { document, text: JSON.stringify(document) };
    return reply.header('cache-control', 'no-store').header('content-type', 'application/json; charset=utf-8').send(serialised.text);
  });
  app.get('/metrics/prometheus', sendPrometheus);
}
