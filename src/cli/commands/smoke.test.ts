import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { createHealth } from '../../ops/health.js';
import { createLogger } from '../../ops/logger.js';
import { createLabMetrics } from '../../ops/metrics.js';
import { createServiceFlags } from '../../ops/service-flags.js';
import type { LabStatusSources } from '../../server/context.js';
import { sendError } from '../../server/http-error.js';
import { registerOperations } from '../../server/plugins/index.js';
import { runSmoke } from './smoke.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function lab(env: Record<string, string>): Promise<{ url: string; agents: Map<string, unknown> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-smoke-'));
  const config = loadConfig({ cwd: dir, env, dotenvFile: false });
  const { logger } = createLogger({ logFile: config.logFile, stdout: false });
  const sources: LabStatusSources = {
    config,
    logger,
    version: 'test',
    startedAt: new Date(),
    catalogInfo: () => ({ source: 'fallback', fetched_at: null, model_count: 0, last_error: null }),
    breakerStates: () => [],
    activeRuns: () => 0,
  };
  const { mkdir } = await import('node:fs/promises');
  await mkdir(config.dataDir, { recursive: true });
  const flags = createServiceFlags({ readOnlyFlag: config.readOnlyFlag, maintenanceFlag: config.maintenanceFlag });
  const metrics = createLabMetrics({ sources });
  const health = createHealth({ sources, flags, metrics });
  const app = Fastify({ loggerInstance: logger }) as unknown as FastifyInstance;
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  await registerOperations(app, { sources, flags, metrics, health });
  const agents = new Map<string, unknown>();
  app.post('/api/agents', async (request, reply) => {
    const id = `agent-${agents.size + 1}`;
    agents.set(id, request.body);
    return reply.status(201).send({ id, ...(request.body as object) });
  });
  app.delete('/api/agents/:id', async (request, reply) => {
    agents.delete((request.params as { id: string }).id);
    return reply.status(204).send();
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(async () => {
    await app.close();
    flags.close();
    metrics.close();
    health.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { url: address, agents };
}

describe('agent-lab smoke', () => {
  it('passes every step against a working lab and leaves no agent behind', async () => {
    const { url, agents } = await lab({ LAB_AUTH_TOKEN: 'smoke-token-123456' });
    const steps = await runSmoke({ baseUrl: url, token: 'smoke-token-123456' });
    expect(steps.map((step) => [step.name, step.ok])).toEqual([
      ['health', true],
      ['create agent', true],
      ['stream test', true],
      ['metrics', true],
    ]);
    expect(agents.size).toBe(0);
  });

  it('fails the step that fails: no token for a guarded lab', async () => {
    const { url } = await lab({ LAB_AUTH_TOKEN: 'smoke-token-123456' });
    const steps = await runSmoke({ baseUrl: url });
    expect(steps.find((step) => step.name === 'create agent')).toMatchObject({ ok: false });
    expect(steps.find((step) => step.name === 'create agent')?.detail).toMatch(/401 unauthorized:auth/);
    expect(steps.find((step) => step.name === 'health')?.ok).toBe(true);
  });

  it('fails every step when nothing listens', async () => {
    const steps = await runSmoke({ baseUrl: 'http://127.0.0.1:9' });
    expect(steps.every((step) => !step.ok)).toBe(true);
  });
});
