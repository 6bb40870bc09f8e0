import type { FastifyInstance } from 'fastify';
import { buildOpenApiDocument, renderDocsPage } from '../openapi/index.js';

/** `GET /api/openapi.json` (OpenAPI 3.1) and `GET /api/docs` (the same as a page); built once. */
export function apiDocsRoutes(app: FastifyInstance, options: { version: string }): void {
  const document = buildOpenApiDocument({ version: options.version });
  const json = JSON.stringify(document);
  const page = renderDocsPage(document);
  app.get('/api/openapi.json', async (_request, reply) => reply.type('application/json; charset=utf-8').send(json));
  app.get('/api/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
}
