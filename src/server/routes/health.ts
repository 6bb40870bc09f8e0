import type { FastifyInstance } from 'fastify';
import type { LabHealth } from '../../ops/health.js';

/** `GET /health` (cached verdict, constant-length body) and `GET /health/detailed`. */
export function registerHealthRoutes(app: FastifyInstance, options: { health: LabHealth }): void {
  const { health } = options;
  // the verdict's JSON is prebuilt: no serialisation per request (Fastify adds content-length)
  app.get('/health', (_request, reply) => {
    const { statusCode, json } = health.basic();
    return reply.status(statusCode).header('cache-control', 'no-store').header('content-type', 'application/json; charset=utf-8').send(json);
  });
  app.get('/health/detailed', async (_request, reply) => {
    const { statusCode, body } = await health.detailed();
    return reply.status(statusCode).header('cache-control', 'no-store').send(body);
  });
}
