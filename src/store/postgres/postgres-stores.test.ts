import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentInputSchema } from '../../domain/agent.js';
import { missing } from '../../../test/support/prerequisites.js';
import { postgresPrerequisite, startPostgres, type PostgresCluster } from '../../../test/support/postgres.js';
import { sampleRun } from '../../domain/sample-run.js';
import { openPostgresStorage, type PostgresStorage } from './postgres-storage.js';

describe.skipIf(missing(postgresPrerequisite()))('PostgreSQL agents and sessions', () => {
  let cluster: PostgresCluster;
  // two storages on one database: two lab instances behind a load balancer
  let first: PostgresStorage;
  let second: PostgresStorage;

  beforeAll(async () => {
    cluster = await startPostgres();
    const url = await cluster.createDatabase();
    [first, second] = await Promise.all([openPostgresStorage({ url }), openPostgresStorage({ url })]);
  }, 180_000);
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await cluster?.stop();
  });

  it('keeps every turn when two instances add turns to one new session at the same time', async () => {
    const sessionId = 'shared-session-1';
    const turns = Array.from({ length: 40 }, (_, index) => index);
    await Promise.all(
      turns.map((index) =>
        (index % 2 === 0 ? first : second).sessions.appendTurn({
          sessionId,
          createIfMissing: { name: 'Shared', agent_config: { model: 'm' }, model_id: 'm' },
          entries: [
            { role: 'user', content: `question ${index}` },
            { role: 'assistant', content: `answer ${index}`, run_id: `run-${index}` },
          ],
          run: sampleRun({ run_id: `run-${index}`, session_id: sessionId }),
        }),
      ),
    );
    const session = await second.sessions.get(sessionId);
    expect(session.runs.map((run) => run.run_id).sort()).toEqual(turns.map((index) => `run-${index}`).sort());
    expect(session.transcript).toHaveLength(80);
    // each turn's two entries stay together
    for (let index = 0; index < 80; index += 2) {
      expect(session.transcript[index + 1]?.content.replace('answer', 'question')).toBe(session.transcript[index]?.content);
    }
    const listed = (await first.sessions.list()).find((entry) => entry.id === sessionId);
    expect(listed).toMatchObject({ name: 'Shared', turns: 40, runs: 40, model_id: 'm' });
  });

  it('creates, lists newest first, updates and deletes sessions, with the errors of the files engine', async () => {
    const older = await first.sessions.create({ name: 'older', agent_config: { model: 'openai/gpt-4o-mini' } });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const newer = await second.sessions.create({ name: 'newer', transcript: [{ role: 'user', content: 'hi' }] });
    expect(older.model_id).toBe('openai/gpt-4o-mini');
    const ids = (await first.sessions.list()).map((entry) => entry.id);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));

    const renamed = await second.sessions.update(older.id, { name: 'renamed', notes: 'kept' });
    expect(renamed).toMatchObject({ name: 'renamed', notes: 'kept', model_id: 'openai/gpt-4o-mini' });
    expect(Date.parse(renamed.updated_at)).toBeGreaterThanOrEqual(Date.parse(older.updated_at));
    expect((await first.sessions.list())[0]?.id).toBe(older.id);
    expect(await first.sessions.get(older.id)).toEqual(renamed);

    await expect(first.sessions.get('no-such-session')).rejects.toMatchObject({ code: 'not_found:session' });
    await expect(first.sessions.get('../etc/passwd')).rejects.toMatchObject({ code: 'bad_request:id' });
    await expect(first.sessions.update('no-such-session', { name: 'x' })).rejects.toMatchObject({ code: 'not_found:session' });
    await expect(first.sessions.appendTurn({ sessionId: 'no-such-session', entries: [] })).rejects.toMatchObject({ code: 'not_found:session' });
    await expect(first.sessions.update(older.id, { transcript: [{ role: 'robot', content: 'x' }] as never })).rejects.toMatchObject({ code: 'bad_request:body' });

    await second.sessions.delete(newer.id);
    await expect(first.sessions.get(newer.id)).rejects.toMatchObject({ code: 'not_found:session' });
    await expect(first.sessions.delete(newer.id)).rejects.toMatchObject({ code: 'not_found:session' });
  });

  it('stores text with NUL characters or unpaired surrogates (which PostgreSQL cannot hold) with U+FFFD in their place', async () => {
    const session = await first.sessions.create({ name: 'nul\u0000name', transcript: [{ role: 'user', content: 'a\u0000b \ud800 c \udc00 \ud83d\ude00' }] });
    const stored = await second.sessions.get(session.id);
    expect(stored.name).toBe('nul\uFFFDname');
    expect(stored.transcript[0]?.content).toBe('a\uFFFDb \uFFFD c \uFFFD \ud83d\ude00');
    await first.runs.append(sampleRun({ run_id: 'run-nul', error: 'bad\u0000byte' }));
    expect((await second.runs.getRun('run-nul'))?.error).toBe('bad\uFFFDbyte');
  });

  it('creates the first agent once when instances starting together each try (createIfNone)', async () => {
    const url = await cluster.createDatabase();
    const starting = await Promise.all(Array.from({ length: 4 }, () => openPostgresStorage({ url })));
    try {
      const input = agentInputSchema.parse({ name: 'Default agent', model: 'openai/gpt-4o-mini' });
      const created = await Promise.all(starting.map((storage) => storage.agents.createIfNone(input)));
      expect(created.filter(Boolean)).toHaveLength(1);
      expect(await starting[0]!.agents.list()).toEqual([created.find(Boolean)]);
      expect(await starting[1]!.agents.createIfNone(input)).toBeUndefined();
    } finally {
      await Promise.all(starting.map((storage) => storage.close()));
    }
  });

  it('keeps agents in creation order and shares them between instances', async () => {
    const created = [];
    for (const name of ['Alpha', 'Beta', 'Gamma']) created.push(await first.agents.create(agentInputSchema.parse({ name, model: 'openai/gpt-4o-mini' })));
    expect((await second.agents.list()).map((agent) => agent.name)).toEqual(['Alpha', 'Beta', 'Gamma']);
    const updated = await second.agents.update(created[1]!.id, { temperature: 0.2, name: 'Beta 2' });
    expect(updated).toMatchObject({ id: created[1]!.id, name: 'Beta 2', temperature: 0.2, created_at: created[1]!.created_at });
    expect(await first.agents.get(created[1]!.id)).toEqual(updated);
    await first.agents.delete(created[0]!.id);
    expect((await second.agents.list()).map((agent) => agent.name)).toEqual(['Beta 2', 'Gamma']);
    await expect(second.agents.get(created[0]!.id)).rejects.toMatchObject({ code: 'not_found:agent' });
    await expect(second.agents.update(created[0]!.id, { name: 'x' })).rejects.toMatchObject({ code: 'not_found:agent' });
    await expect(second.agents.delete(created[0]!.id)).rejects.toMatchObject({ code: 'not_found:agent' });
  });
});
