import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenRouterServer, type OpenRouterServer } from '../support/openrouter-server.js';
import { api } from '../support/sse-client.js';
import { startLab, type RunningLab } from '../support/start-lab.js';

// A proxy in front of a self-hosted model, its credentials in the base URL (percent-encoded '@').
const USER = 'proxy-user-7f3a';
const PASSWORD = 'pw@9c1e-sekrit';
const ENCODED_PASSWORD = encodeURIComponent(PASSWORD);

let provider: OpenRouterServer;
let lab: RunningLab;

beforeAll(async () => {
  provider = await startOpenRouterServer();
  const withCredentials = provider.url.replace('http://', `http://${USER}:${ENCODED_PASSWORD}@`);
  lab = await startLab({ env: { OPENROUTER_BASE_URL: withCredentials, OPENROUTER_API_KEY: '' } });
});
afterAll(async () => {
  await lab?.close();
  await provider?.close();
});

describe('credentials in OPENROUTER_BASE_URL', () => {
  it('authenticate every upstream request as HTTP Basic and appear on no surface', async () => {
    const created = await api(`${lab.url}/api/agents`, { body: { name: 'Proxied', model: 'openai/gpt-4o-mini', system_prompt: 'Be brief.' } });
    expect(created.status).toBe(201);
    const chat = await api(`${lab.url}/api/chat`, { body: { agent_id: created.json.id, message: 'Hello', stream: false } });
    expect(chat.status).toBe(200);

    // Upstream: the catalog and the chat call both carry the credentials as Basic auth.
    const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    const catalogRequest = provider.requests.find((request) => request.path.startsWith('/api/v1/models'));
    expect(catalogRequest?.headers.authorization).toBe(basic);
    expect(provider.chatRequests()).toHaveLength(1);
    expect(provider.chatRequests()[0]!.headers.authorization).toBe(basic);
    const models = await api(`${lab.url}/api/models`);
    expect(JSON.stringify(models.json)).toContain('"dynamic"');

    // Surfaces: detailed health, JSON metrics, Prometheus labels, the start-up log line.
    const host = new URL(provider.url).host;
    const health = await (await fetch(`${lab.url}/health/detailed`)).text();
    const metrics = await (await fetch(`${lab.url}/metrics`)).text();
    const prometheus = await (await fetch(`${lab.url}/metrics/prometheus`)).text();
    const startup = lab.output().split('\n').find((line) => line.includes('Agent Lab is listening'));
    const logFile = await readFile(lab.logFile, 'utf8');
    expect(health).toContain(host);
    expect(metrics).toContain(host);
    expect(prometheus).toContain(host);
    expect(startup).toContain(host);
    for (const [surface, text] of Object.entries({ health, metrics, prometheus, startup, logFile, output: lab.output() })) {
      for (const secret of [USER, PASSWORD, ENCODED_PASSWORD]) {
        expect({ surface, leaks: text!.includes(secret) }).toEqual({ surface, leaks: false });
      }
    }
  });
});
