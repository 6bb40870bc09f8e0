import type { FastifyInstance } from 'fastify';

/** The catalog the routes need (src/providers ModelCatalog, local models included). */
export interface ModelsPort {
  get(): Promise<unknown>;
  refresh(): Promise<unknown>;
}

/** `GET /api/models` (cached catalog) and `POST /api/models/refresh`. */
export function modelRoutes(app: FastifyInstance, options: { catalog: ModelsPort }): void {
  app.get('/api/models', async () => options.catalog.get());
  app.post('/api/models/refresh', async (request) => {
    const snapshot = await options.catalog.refresh();
    request.log.info('Model catalog refreshed');
    return snapshot;
  });
}
