import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { api } from '../support/sse-client.js';
import { checkSessionList } from '../support/session-list-checks.js';

let lab: RunningLab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => lab?.close());

describe('/api/agents', () => {
  it('creates the playbook agent as written and returns the agent itself', async () => {
    const response = await api(`${lab.url}/api/agents`, { body: { name: 'test', model: 'gpt-3.5-turbo', system_prompt: 'test' } });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({ name: 'test', model: 'gpt-3.5-turbo', system_prompt: 'test', temperature: 0.7, top_p: 1, max_tokens: 1024, tools: [] });
    expect(typeof response.json.id).toBe('string');
    const again = await api(`${lab.url}/api/agents`, { body: { name: 'test', model: 'gpt-3.5-turbo', system_prompt: 'test' } });
    expect(again.json.id).not.toBe(response.json.id);
  });

  it('reads, updates and deletes an agent; persists it in DATA_DIR', async () => {
    const created = await api(`${lab.url}/api/agents`, { body: { name: 'Writer', model: 'openai/gpt-4o-mini', temperature: 1.2, tools: ['utc_now'] } });
    const id = created.json.id;
    expect((await api(`${lab.url}/api/agents/${id}`)).json.temperature).toBe(1.2);
    const updated = await api(`${lab.url}/api/agents/${id}`, { method: 'PUT', body: { top_p: 0.5 } });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ top_p: 0.5, temperature: 1.2, name: 'Writer' });
    expect((await api(`${lab.url}/api/agents`)).json.agents.some((agent: { id: string }) => agent.id === id)).toBe(true);
    expect((await api(`${lab.url}/api/agents/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`${lab.url}/api/agents/${id}`)).status).toBe(404);
  });

  it.each([
    [{ name: '' }, 'name'],
    [{ name: 'a', model: '' }, 'model'],
    [{ name: 'a', model: 'm', temperature: 3 }, 'temperature'],
    [{ name: 'a', model: 'm', top_p: -1 }, 'top_p'],
    [{ name: 'a', model: 'm', max_tokens: 1.5 }, 'max_tokens'],
    [{ name: 'a', model: 'm', tools: ['rm_rf'] }, 'tools'],
    [{ name: 'a', model: 'm', system_prompt: 'x'.repeat(32_001) }, 'system_prompt'],
    [{ name: 'x'.repeat(101), model: 'm' }, 'name'],
  ])('invalid %j → 400 naming %s', async (body, field) => {
    const response = await api(`${lab.url}/api/agents`, { body });
    expect(response.status).toBe(400);
    expect(response.json.error.message).toContain(field);
  });

  it('says a missing field is required, by name', async () => {
    const response = await api(`${lab.url}/api/agents`, { body: { name: 'a' } });
    expect(response.status).toBe(400);
    expect(response.json.error.message).toContain('model is required');
  });

  it('flags a model unknown to the catalog instead of refusing it', async () => {
    const response = await api(`${lab.url}/api/agents`, { body: { name: 'x', model: 'nobody/never-heard-of-it' } });
    expect(response.status).toBe(201);
    expect(response.json.model_known).toBe(false);
  });
});

describe('/api/sessions', () => {
  it('creates, renames, lists and deletes a session', async () => {
    const created = await api(`${lab.url}/api/sessions`, { body: { name: 'Bake-off notes' } });
    expect(created.status).toBe(201);
    const id = created.json.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const renamed = await api(`${lab.url}/api/sessions/${id}`, { method: 'PUT', body: { name: 'Renamed' } });
    expect(renamed.json.name).toBe('Renamed');
    const list = await api(`${lab.url}/api/sessions`);
    expect(list.json.sessions.some((session: { id: string }) => session.id === id)).toBe(true);
    expect((await api(`${lab.url}/api/sessions/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`${lab.url}/api/sessions/${id}`)).status).toBe(404);
  });

  it('lists the newest first, up to `limit` (saying when more are left), and finds sessions by every word of a search', async () => {
    await checkSessionList(lab.url, 'filesmode');
  });

  it('rejects ids that could name a path with 400', async () => {
    for (const id of ['..%2F..%2Fetc%2Fpasswd', 'a.b', 'x'.repeat(65), '%00']) {
      expect((await api(`${lab.url}/api/sessions/${id}`)).status).toBe(400);
    }
  });

  it('opens a session file written by the earlier Python Agent Lab', async () => {
    await writeFile(
      path.join(lab.dataDir, 'sessions', 'id.json'),
      JSON.stringify({
        created_at: '2025-10-01 02:31:41.664704+00:00',
        notes: 'Old experiment',
        agent_config: { name: 'Legacy', model: 'gpt-3.5-turbo' },
        model_id: 'gpt-3.5-turbo',
        transcript: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
        ],
      }),
    );
    const response = await api(`${lab.url}/api/sessions/id`);
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ id: 'id', name: 'Old experiment', created_at: '2025-10-01T02:31:41.664Z', runs: [] });
    expect(response.json.transcript).toHaveLength(2);
  });
});

describe('errors', () => {
  it('unknown routes are a JSON 404', async () => {
    const response = await api(`${lab.url}/api/nothing-here`);
    expect(response.status).toBe(404);
    expect(response.json.error.code).toBe('not_found:route');
  });
});
