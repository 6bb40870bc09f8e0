import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, postSse } from '../../../test/support/sse-client.js';
import { startLab, type RunningLab } from '../../../test/support/start-lab.js';

/** The built lab, started with a LOCAL_MODEL_PATH that does not exist: the shipped model must still work. */
describe('the lab with a bad LOCAL_MODEL_PATH', () => {
  let lab: RunningLab;
  const badPath = '/nonexistent/models/missing.gguf';

  beforeAll(async () => {
    lab = await startLab({ env: { LOCAL_MODEL_PATH: badPath } });
  });
  afterAll(async () => lab?.close());

  it('logs a clear error naming the path and keeps serving', async () => {
    const health = await fetch(`${lab.url}/health`);
    expect(health.status).toBe(200);
    const log = await readFile(lab.logFile, 'utf8');
    expect(log).toMatch(/ERROR .*LOCAL_MODEL_PATH/);
    expect(log).toContain(`LOCAL_MODEL_PATH does not exist: ${badPath}`);
  });

  it('lists the shipped model as a local, free, offline demo model', async () => {
    const response = await api(`${lab.url}/api/models`);
    const tiny = response.json.models.find((model: { id: string }) => model.id === 'local/agent-lab-tiny');
    expect(tiny).toMatchObject({ source: 'local', provider: 'local', pricing: { prompt: 0, completion: 0 } });
    expect(tiny.name).toMatch(/offline demo/);
  });

  it('streams a run on the shipped model and records it in runs.csv at cost 0', async () => {
    const result = await postSse({
      url: `${lab.url}/api/chat`,
      body: { agent: { name: 'Offline', model: 'local/agent-lab-tiny', system_prompt: '', temperature: 0 }, message: 'What is TTFT?' },
    });
    expect(result.status).toBe(200);
    const deltas = result.events.filter((event) => event.event === 'text-delta');
    expect(deltas.length).toBeGreaterThan(3);
    const { run } = result.events.at(-1)!.data;
    expect(result.events.at(-1)!.event).toBe('run-end');
    expect(run).toMatchObject({ model: 'local/agent-lab-tiny', finish_reason: 'stop', aborted: false, cost_usd: 0, model_list_source: 'local' });
    expect(run.completion_tokens).toBeGreaterThan(3);
    expect(run.prompt_tokens).toBeGreaterThan(3);

    const rows = parse(await readFile(path.join(lab.dataDir, 'runs.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    const row = rows.find((candidate) => candidate.run_id === run.run_id);
    expect(row).toMatchObject({ model: 'local/agent-lab-tiny', model_list_source: 'local', aborted: 'false', finish_reason: 'stop' });
    expect(Number(row!.cost_usd)).toBe(0);
  });

  it('stops a run on the shipped model within a few tokens when the client disconnects, and records it as aborted', async () => {
    // The longest answer of the guide (well over 96 tokens), so the run is still generating.
    const result = await postSse({
      url: `${lab.url}/api/chat`,
      body: { agent: { name: 'Offline', model: 'local/agent-lab-tiny', system_prompt: '', temperature: 0 }, message: 'What is fetch_url?' },
      onEvent: (_event, events) => events.filter((event) => event.event === 'text-delta').length === 2,
    });
    const runId = result.events.find((event) => event.event === 'run-start')!.data.run_id as string;
    const row = await waitFor(async () => {
      const rows = parse(await readFile(path.join(lab.dataDir, 'runs.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
      return rows.find((candidate) => candidate.run_id === runId);
    });
    expect(row).toMatchObject({ aborted: 'true', model: 'local/agent-lab-tiny' });
    expect(Number(row.completion_tokens)).toBeLessThan(20);
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for the run in runs.csv');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
