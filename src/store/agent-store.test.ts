import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentInputSchema } from '../domain/agent.js';
import { AgentStore } from './agent-store.js';
import { temporaryDataDir } from './test-support.js';

describe('AgentStore', () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  let store: AgentStore;

  beforeEach(async () => {
    ({ dataDir, cleanup } = await temporaryDataDir());
    store = new AgentStore({ dataDir });
  });
  afterEach(async () => {
    await cleanup();
  });

  it('serves reads from memory but sees every change to the file, by this or another process', async () => {
    const input = agentInputSchema.parse({ name: 'cached', model: 'm', system_prompt: '' });
    const agent = await store.create(input);
    const other = new AgentStore({ dataDir });
    expect((await other.get(agent.id)).name).toBe('cached');
    (await other.get(agent.id)).tools.push('utc_now'); // a caller changing its copy changes nothing stored
    expect((await other.get(agent.id)).tools).toEqual([]);
    await store.update(agent.id, { name: 'renamed' });
    expect((await other.get(agent.id)).name).toBe('renamed');
    // A hand edit in place (same inode, same size) is seen too.
    const text = await readFile(store.path, 'utf8');
    await writeFile(store.path, text.replace('"renamed"', '"RENAMED"'));
    expect((await other.get(agent.id)).name).toBe('RENAMED');
    expect((await other.list()).map((entry) => entry.name)).toEqual(['RENAMED']);
  });

  it('creates, lists, updates and deletes agents in data/agents.json', async () => {
    expect(await store.list()).toEqual([]);
    const input = agentInputSchema.parse({ name: 'test', model: 'gpt-3.5-turbo', system_prompt: 'test' });
    const agent = await store.create(input);
    expect(agent).toMatchObject({ name: 'test', model: 'gpt-3.5-turbo', temperature: 0.7, top_p: 1, max_tokens: 1024, seed: null, tools: [] });
    expect(agent.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(agent.created_at).toBe(agent.updated_at);
    const twin = await store.create(input);
    expect(twin.id).not.toBe(agent.id);

    const onDisk = JSON.parse(await readFile(store.path, 'utf8'));
    expect(onDisk.agents.map((entry: { id: string }) => entry.id)).toEqual([agent.id, twin.id]);

    const updated = await store.update(agent.id, { temperature: 1.5, tools: ['utc_now'] });
    expect(updated).toMatchObject({ id: agent.id, created_at: agent.created_at, temperature: 1.5, tools: ['utc_now'], name: 'test' });
    expect(await store.get(agent.id)).toEqual(updated);

    await store.delete(agent.id);
    expect((await store.list()).map((entry) => entry.id)).toEqual([twin.id]);
    await expect(store.get(agent.id)).rejects.toMatchObject({ code: 'not_found:agent', status: 404 });
    await expect(store.update(agent.id, { name: 'x' })).rejects.toMatchObject({ code: 'not_found:agent' });
    await expect(store.delete(agent.id)).rejects.toMatchObject({ code: 'not_found:agent' });
  });

  it('keeps every agent created concurrently', async () => {
    const input = agentInputSchema.parse({ name: 'parallel', model: 'm' });
    await Promise.all(Array.from({ length: 30 }, () => store.create(input)));
    expect(await store.list()).toHaveLength(30);
  });

  it('creates the first agent once when several stores on one directory each try (createIfNone)', async () => {
    const input = agentInputSchema.parse({ name: 'Default agent', model: 'm' });
    const created = await Promise.all(Array.from({ length: 5 }, () => new AgentStore({ dataDir }).createIfNone(input)));
    expect(created.filter(Boolean)).toHaveLength(1);
    expect((await store.list()).map((agent) => agent.name)).toEqual(['Default agent']);
    const before = await readFile(store.path, 'utf8');
    expect(await store.createIfNone(input)).toBeUndefined();
    expect(await readFile(store.path, 'utf8')).toBe(before);
  });

  it('reports a damaged agents.json on every access and never overwrites it', async () => {
    await mkdir(dataDir, { recursive: true });
    const damaged = '{"agents": [{"id": "a", "name": "cut';
    await writeFile(store.path, damaged);
    expect(await store.check()).toMatchObject({ ok: false, error: expect.stringMatching(/damaged/) });
    await expect(store.list()).rejects.toMatchObject({ code: 'unavailable:store' });
    await expect(store.get('a')).rejects.toMatchObject({ code: 'unavailable:store' });
    await expect(store.create(agentInputSchema.parse({ name: 'n', model: 'm' }))).rejects.toMatchObject({
      code: 'unavailable:store',
      message: expect.stringMatching(/agents\.json is damaged.*left as it is/),
    });
    expect(await readFile(store.path, 'utf8')).toBe(damaged);
  });

  it('writes back entries it cannot read, untouched, and keeps fields a newer lab added', async () => {
    await mkdir(dataDir, { recursive: true });
    const good = {
      id: 'g', name: 'good', model: 'm', system_prompt: '', temperature: 0.7, top_p: 1, max_tokens: 10, seed: null,
      tools: [], created_at: '2025-01-01T00:00:00.000Z', updated_at: '2025-01-01T00:00:00.000Z', colour: 'blue',
    };
    const strange = { id: 'bad', temperature: 'hot' };
    await writeFile(store.path, JSON.stringify({ version: 2, agents: [strange, good] }));
    expect(await store.check()).toEqual({ ok: true, agents: 1, invalidEntries: 1 });
    expect((await store.list()).map((agent) => agent.id)).toEqual(['g']);
    await store.update('g', { name: 'better' });
    const onDisk = JSON.parse(await readFile(path.join(dataDir, 'agents.json'), 'utf8'));
    expect(onDisk.version).toBe(2);
    expect(onDisk.agents[0]).toEqual(strange);
    expect(onDisk.agents[1]).toMatchObject({ name: 'better', colour: 'blue' });
  });
});
