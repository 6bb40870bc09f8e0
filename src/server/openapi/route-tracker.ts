import type { FastifyInstance } from 'fastify';

/** A route as Fastify registered it. */
export interface RegisteredRoute {
  method: string;
  url: string;
}

const tracked = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/**
 * Record every route registered on `app` from now on (child scopes included), so a test can
 * hold the app's routes against the API reference. HEAD routes Fastify adds for GET are left out.
 */
export function trackRoutes(app: FastifyInstance): void {
  const routes: RegisteredRoute[] = [];
  tracked.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url });
    }
  });
}

/** The routes recorded on `app` by `trackRoutes` (empty when it was not tracked). */
export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  return tracked.get(app) ?? [];
}
