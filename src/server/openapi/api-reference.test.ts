import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenRouterServer } from '../../../test/support/openrouter-server.js';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../ops/logger.js';
import { createLab, type Lab } from '../lab.js';
import { REPO_ROOT } from '../version.js';
import { API_ROUTES, registeredRoutes, splitRouteKey } from './index.js';

/**
 * The API reference is complete: every route the real lab registers is in API_ROUTES (so a
 * route added without docs fails here), every documented route exists, and the document and
 * page the lab serves are built from it.
 */
describe('API reference (/api/openapi.json, /api/docs)', () => {
  let lab: Lab;
  let provider: Awaited<ReturnType<typeof startOpenRouterServer>>;
  let directory: string;
  const webDir = path.join(REPO_ROOT, 'web', 'dist');

  beforeAll(async () => {
    provider = await startOpenRouterServer();
    directory = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-openapi-'));
    const config = loadConfig({
      dotenvFile: false,
      cwd: directory,
      env: {
        OPENROUTER_BASE_URL: provider.url,
        OPENROUTER_API_KEY: 'sk-or-test-key-0123456789',
        DATA_DIR: path.join(directory, 'data'),
        LOG_FILE: path.join(directory, 'app.log'),
        ACCESS_LOG: path.join(directory, 'access.log'),
        BACKUP_DIR: path.join(directory, 'backups'),
        READ_ONLY_FLAG: path.join(directory, 'READ_ONLY_MODE'),
        MAINTENANCE_FLAG: path.join(directory, 'MAINTENANCE_MODE'),
        BACKUP_INTERVAL_HOURS: '0',
      },
    });
    const { logger } = createLogger({ logFile: config.logFile, level: 'warn', stdout: false });
    lab = await createLab({ config, logger });
    await lab.app.ready();
  });
  afterAll(async () => {
    await lab?.app.close();
    lab?.stopBackground();
    await provider?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('documents every route the app registers, and only those', () => {
    const registered = registeredRoutes(lab.app);
    expect(registered.length).toBeGreaterThan(20);
    const apiRoutes = registered.filter((route) => /^\/(api|health|metrics|v1)(\/|$)/.test(route.url));
    const undocumented = apiRoutes.map((route) => `${route.method} ${route.url}`).filter((key) => !(key in API_ROUTES));
    expect(undocumented, 'routes without an entry in src/server/openapi/api-routes.ts').toEqual([]);
    const registeredKeys = new Set(apiRoutes.map((route) => `${route.method} ${route.url}`));
    expect(Object.keys(API_ROUTES).filter((key) => !registeredKeys.has(key)), 'documented routes the app does not serve').toEqual([]);
    // everything else is a file of the built UI, served as it is
    for (const route of registered.filter((entry) => !apiRoutes.includes(entry))) {
      expect(route.method, route.url).toBe('GET');
      expect(route.url === '/' || existsSync(path.join(webDir, decodeURIComponent(route.url))), `${route.url} is not a web/dist file`).toBe(true);
    }
  });

  it('serves an OpenAPI 3.1 document whose schemas come from the zod validators', async () => {
    const response = await lab.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    expect(document.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
    for (const key of Object.keys(API_ROUTES)) {
      const [method, fastifyPath] = splitRouteKey(key);
      const openApiPath = fastifyPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      expect(document.paths[openApiPath]?.[method.toLowerCase()], key).toBeDefined();
    }
    const createAgent = document.paths['/api/agents'].post;
    const body = createAgent.requestBody.content['application/json'].schema;
    expect(body.type).toBe('object');
    expect(body.required).toEqual(expect.arrayContaining(['name', 'model']));
    expect(body.properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 100 });
    expect(body.properties.temperature).toMatchObject({ minimum: 0, maximum: 2, default: 0.7 });
    expect(body.additionalProperties).toBe(false);
    const idParameter = document.paths['/api/sessions/{id}'].get.parameters[0];
    expect(idParameter).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(idParameter.schema.pattern).toBe('^[A-Za-z0-9_-]{1,64}$');
    expect(document.paths['/health'].get.security).toEqual([]);
  });

  it('serves a readable, self-contained page of the same document', async () => {
    const response = await lab.app.inject({ method: 'GET', url: '/api/docs' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    const html = response.body;
    for (const key of Object.keys(API_ROUTES)) {
      const [method, fastifyPath] = splitRouteKey(key);
      expect(html, key).toContain(`${method}</span> <code>${fastifyPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}</code>`);
    }
    // nothing loaded from elsewhere, and nothing the CSP would block
    expect(html).not.toMatch(/<script|<link|src="http|@import/i);
  });
});
