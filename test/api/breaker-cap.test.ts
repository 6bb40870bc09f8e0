import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/sse-client.js';
import { startLab, type RunningLab } from '../support/start-lab.js';

let lab: RunningLab;

beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => lab?.close());

/** Chat once with an inline agent on each model id, `concurrency` at a time. */
async function chatWithModels(models: string[], concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < models.length) {
        const model = models[next++]!;
        const response = await api(`${lab.url}/api/chat`, { body: { agent: { name: 'Probe', model }, message: 'hi', stream: false } });
        expect(response.status).toBe(200);
      }
    }),
  );
}

describe('circuit breakers per user-chosen model id', () => {
  it('stay bounded, and so do the health and metrics documents that list them', { timeout: 120_000 }, async () => {
    await chatWithModels(
      Array.from({ length: 20 }, (_, index) => `warmup/model-${index}`),
      4,
    );
    const smallHealth = (await (await fetch(`${lab.url}/health/detailed`)).text()).length;

    await chatWithModels(
      Array.from({ length: 700 }, (_, index) => `user-chosen/model-${index}`),
      8,
    );
    expect(lab.provider.chatRequests()).toHaveLength(720);

    const healthText = await (await fetch(`${lab.url}/health/detailed`)).text();
    const health = JSON.parse(healthText) as { checks: { circuit_breakers: { total: number; breakers: unknown[]; more: number; open: number } } };
    console.log(`health document: ${smallHealth} bytes with 20 models, ${healthText.length} bytes with 720`);
    const breakers = health.checks.circuit_breakers;
    expect(breakers.total).toBe(256);
    expect(breakers.breakers).toHaveLength(50);
    expect(breakers.more).toBe(206);
    expect(breakers.open).toBe(0);
    // The document grew by no more than the 50 listed breakers' worth since 20 models.
    expect(healthText.length).toBeLessThan(smallHealth + 50 * 300);

    const metrics = (await (await fetch(`${lab.url}/metrics`)).json()) as { provider: { breakers: unknown[]; breakers_total: number; breakers_more: number } };
    expect(metrics.provider.breakers).toHaveLength(50);
    expect(metrics.provider.breakers_total).toBe(256);
    expect(metrics.provider.breakers_more).toBe(206);

    const prometheus = await (await fetch(`${lab.url}/metrics/prometheus`)).text();
    const gaugeLines = prometheus.split('\n').filter((line) => line.startsWith('agent_lab_circuit_breaker_state{'));
    expect(gaugeLines.length).toBeLessThanOrEqual(100);
  });
});
