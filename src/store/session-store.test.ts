import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TranscriptEntry } from '../domain/session.js';
import { writeFileAtomic } from './atomic-file.js';
import { SessionStore } from './session-store.js';
import { sampleRun, temporaryDataDir } from './test-support.js';

const text = fc.string({ unit: 'binary', maxLength: 30 });
const entryArbitrary: fc.Arbitrary<TranscriptEntry> = fc.record(
  {
    role: fc.constantFrom('system', 'user', 'assistant', 'tool'),
    content: text,
    ts: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    run_id: text,
  },
  { requiredKeys: ['role', 'content'] },
);
const jsonValue = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown);

describe('SessionStore', () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  let store: SessionStore;

  beforeEach(async () => {
    ({ dataDir, cleanup } = await temporaryDataDir());
    store = new SessionStore({ dataDir });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await cleanup();
  });

  it('round-trips any session through create, update and get', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          name: text,
          notes: text,
          // zod drops `__proto__` keys when it parses a record (prototype-pollution safety).
          agent_config: fc.option(fc.dictionary(text.filter((key) => key !== '__proto__'), jsonValue, { maxKeys: 4 }), {
            nil: null,
          }),
          model_id: text,
          transcript: fc.array(entryArbitrary, { maxLength: 6 }),
        }),
        fc.array(entryArbitrary, { maxLength: 3 }),
        async (input, more) => {
          const created = await store.create(input);
          expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
          expect(await store.get(created.id)).toEqual(created);
          const updated = await store.update(created.id, { transcript: [...input.transcript, ...more], name: `${input.name}!` });
          expect(await store.get(created.id)).toEqual(updated);
          expect(updated.notes).toBe(input.notes);
          const file = path.join(dataDir, 'sessions', `${created.id}.json`);
          expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(updated);
        },
      ),
      { numRuns: 60 },
    );
    expect((await readdir(path.join(dataDir, 'sessions'))).every((name) => /^[0-9a-f-]{36}\.json$/.test(name))).toBe(true);
  });

  it('loads a Python Agent Lab file and keeps its unknown fields when saving it', async () => {
    const legacy = {
      id: 'something-else',
      created_at: '2025-10-01 02:31:41.664704+00:00',
      notes: 'My old chat',
      agent_config: { model: 'openai/gpt-4o-mini', temperature: 0.3 },
      transcript: [
        { role: 'user', content: 'hi', ts: null, extra: 1 },
        { role: 'assistant', content: 'hello' },
      ],
      python_version: '3.11',
    };
    await mkdir(path.join(dataDir, 'sessions'), { recursive: true });
    await writeFile(path.join(dataDir, 'sessions', 'id.json'), JSON.stringify(legacy));

    const session = await store.get('id');
    expect(session).toMatchObject({
      id: 'id',
      created_at: '2025-10-01T02:31:41.664Z',
      updated_at: '2025-10-01T02:31:41.664Z',
      name: 'My old chat',
      model_id: 'openai/gpt-4o-mini',
      runs: [],
    });
    await store.appendTurn({
      sessionId: 'id',
      entries: [{ role: 'user', content: 'again' }],
      run: sampleRun({ run_id: 'r1', session_id: 'id' }),
    });
    const saved = JSON.parse(await readFile(path.join(dataDir, 'sessions', 'id.json'), 'utf8'));
    expect(saved.python_version).toBe('3.11');
    expect(saved.transcript[0]).toEqual({ role: 'user', content: 'hi', ts: null, extra: 1 });
    expect(saved.transcript).toHaveLength(3);
    expect(saved.runs).toEqual([sampleRun({ run_id: 'r1', session_id: 'id' })]);
  });

  it('rejects ids that could name a path, and reports missing and damaged files by code', async () => {
    for (const id of ['../agents', 'a/b', '', 'x'.repeat(65), 'a.json', 'a b']) {
      await expect(store.get(id)).rejects.toMatchObject({ code: 'bad_request:id', status: 400 });
      await expect(store.update(id, { name: 'x' })).rejects.toMatchObject({ code: 'bad_request:id' });
      await expect(store.delete(id)).rejects.toMatchObject({ code: 'bad_request:id' });
    }
    await expect(store.get('missing')).rejects.toMatchObject({ code: 'not_found:session', status: 404 });
    await expect(store.delete('missing')).rejects.toMatchObject({ code: 'not_found:session' });

    await mkdir(path.join(dataDir, 'sessions'), { recursive: true });
    await writeFile(path.join(dataDir, 'sessions', 'torn.json'), '{"id": "torn", "transcript": [');
    await writeFile(path.join(dataDir, 'sessions', 'wrong.json'), '{"transcript": "not a list"}');
    for (const id of ['torn', 'wrong']) {
      const error = await store.get(id).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'unavailable:store' });
      expect((error as Error).message).toMatch(/damaged.*agent-lab check/);
    }
    await expect(store.update('torn', { name: 'x' })).rejects.toMatchObject({ code: 'unavailable:store' });
    expect(await readFile(path.join(dataDir, 'sessions', 'torn.json'), 'utf8')).toBe('{"id": "torn", "transcript": [');
  });

  it('lists sessions newest first with their counts, damaged files as damaged', async () => {
    // the clock (Date: timestamps and UUIDv7 ids) moves a second between the two, not a sleep
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-11-30T12:00:00Z'));
    const first = await store.create({ name: 'first' });
    vi.setSystemTime(Date.parse('2026-11-30T12:00:01Z'));
    const second = await store.create({ name: 'second', model_id: 'm' });
    vi.useRealTimers();
    await store.appendTurn({
      sessionId: second.id,
      entries: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'a', run_id: 'r' },
      ],
      run: sampleRun({ run_id: 'r' }),
    });
    await writeFile(path.join(dataDir, 'sessions', 'broken.json'), 'not json');
    await writeFile(path.join(dataDir, 'sessions', `.${first.id}.json.abc.tmp`), '{');

    const list = await store.list();
    const byId = new Map(list.map((entry) => [entry.id, entry]));
    expect(list).toHaveLength(3);
    expect(byId.get(second.id)).toEqual({
      id: second.id,
      name: 'second',
      created_at: second.created_at,
      updated_at: expect.any(String),
      model_id: 'm',
      turns: 1,
      runs: 1,
    });
    expect(byId.get('broken')).toMatchObject({ damaged: true, error: expect.stringMatching(/damaged/) });
    const healthy = list.filter((entry) => !entry.damaged).map((entry) => entry.id);
    expect(healthy).toEqual([second.id, first.id]);

    await store.delete(first.id);
    expect((await store.list()).map((entry) => entry.id)).not.toContain(first.id);
  });

  it('lists from its cache between checks: its own writes and files others add or remove show at once, another tool rewriting a file shows at the next check', async () => {
    let clock = 0;
    const cached = new SessionStore({ dataDir, now: () => clock, listVerifyMs: 30_000 });
    const names = async () => (await cached.list()).map((entry) => (entry.damaged ? `damaged:${entry.id}` : entry.name)).sort();
    const first = await cached.create({ name: 'first' });
    const second = await cached.create({ name: 'second' });
    expect(await names()).toEqual(['first', 'second']);

    // Another tool adds a session and removes one: the directory is read every time.
    const document = JSON.parse(await readFile(path.join(dataDir, 'sessions', `${first.id}.json`), 'utf8'));
    await writeFile(path.join(dataDir, 'sessions', 'added-by-hand.json'), JSON.stringify({ ...document, id: 'added-by-hand', name: 'added' }));
    await rm(path.join(dataDir, 'sessions', `${second.id}.json`));
    expect(await names()).toEqual(['added', 'first']);

    // Another tool rewrites a file in place: the cached summary stands until the next check.
    await writeFile(path.join(dataDir, 'sessions', `${first.id}.json`), JSON.stringify({ ...document, name: 'renamed by hand' }));
    expect(await names()).toEqual(['added', 'first']);
    clock += 30_000;
    expect(await names()).toEqual(['added', 'renamed by hand']);

    // The store's own writes show at once.
    await cached.update(first.id, { name: 'renamed here' });
    await cached.appendTurn({ sessionId: 'added-by-hand', entries: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a', run_id: 'r' }], run: sampleRun({ run_id: 'r' }) });
    const list = await cached.list();
    expect(list.map((entry) => (entry.damaged ? entry.id : entry.name))).toEqual(['added', 'renamed here']);
    expect(list[0]).toMatchObject({ id: 'added-by-hand', turns: 1, runs: 1 });
    await cached.delete(first.id);
    expect(await names()).toEqual(['added']);
  });

  it('keeps every turn when many runs finish on one session at once', async () => {
    const sessionId = '0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
    await Promise.all(
      Array.from({ length: 25 }, (_, index) =>
        store.appendTurn({
          sessionId,
          createIfMissing: { name: 'parallel', agent_config: { model: 'm' }, model_id: 'm' },
          entries: [
            { role: 'user', content: `q${index}` },
            { role: 'assistant', content: `a${index}`, run_id: `r${index}` },
          ],
          run: sampleRun({ run_id: `r${index}`, session_id: sessionId }),
        }),
      ),
    );
    const session = await store.get(sessionId);
    expect(session.name).toBe('parallel');
    expect(session.transcript).toHaveLength(50);
    expect(new Set(session.runs.map((run) => run.run_id)).size).toBe(25);
    await expect(
      store.appendTurn({ sessionId: 'not-there', entries: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ code: 'not_found:session' });
  });

  it('replaces a run recorded twice rather than duplicating it', async () => {
    const session = await store.create({ name: 's' });
    await store.appendTurn({ sessionId: session.id, entries: [], run: sampleRun({ run_id: 'same', latency_ms: 1 }) });
    const after = await store.appendTurn({ sessionId: session.id, entries: [], run: sampleRun({ run_id: 'same', latency_ms: 2 }) });
    expect(after.runs).toEqual([sampleRun({ run_id: 'same', latency_ms: 2 })]);
  });

  it('saves turns on many sessions finishing together, failing only the turns that cannot be applied', async () => {
    const turn = (sessionId: string, index: number, create = true) =>
      store.appendTurn({
        sessionId,
        ...(create ? { createIfMissing: { agent_config: null, model_id: 'm' } } : {}),
        entries: [{ role: 'user', content: `q${index}` }],
        run: sampleRun({ run_id: `r${index}`, session_id: sessionId }),
      });
    const results = await Promise.allSettled([
      ...Array.from({ length: 40 }, (_, index) => turn(`s${index % 20}`, index)),
      turn('missing', 99, false),
    ]);
    expect(results.slice(0, 40).every((result) => result.status === 'fulfilled')).toBe(true);
    expect(results[40]).toMatchObject({ status: 'rejected', reason: { code: 'not_found:session' } });
    for (let index = 0; index < 20; index += 1) {
      const session = await store.get(`s${index}`);
      expect(session.transcript.map((entry) => entry.content)).toEqual([`q${index}`, `q${index + 20}`]);
    }
    expect((await readdir(path.join(dataDir, 'sessions'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('sees a session file replaced or edited by another process since its last save', async () => {
    const session = await store.create({ name: 'mine' });
    await store.appendTurn({ sessionId: session.id, entries: [{ role: 'user', content: 'one' }] });
    const file = path.join(dataDir, 'sessions', `${session.id}.json`);

    // Replaced (a restore: new inode), with content the store did not write.
    const restored = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFileAtomic(file, JSON.stringify({ ...restored, name: 'restored', transcript: [{ role: 'user', content: 'from backup' }] }));
    const afterRestore = await store.appendTurn({ sessionId: session.id, entries: [{ role: 'user', content: 'two' }] });
    expect(afterRestore.name).toBe('restored');
    expect(afterRestore.transcript.map((entry) => entry.content)).toEqual(['from backup', 'two']);

    // Edited in place (same inode).
    const edited = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...edited, notes: 'edited by hand' }));
    const afterEdit = await store.appendTurn({ sessionId: session.id, entries: [{ role: 'user', content: 'three' }] });
    expect(afterEdit.notes).toBe('edited by hand');
    expect((await store.get(session.id)).transcript.map((entry) => entry.content)).toEqual(['from backup', 'two', 'three']);

    // Deleted: a turn without createIfMissing is refused rather than recreating it from memory.
    await rm(file);
    await expect(store.appendTurn({ sessionId: session.id, entries: [{ role: 'user', content: 'four' }] })).rejects.toMatchObject({
      code: 'not_found:session',
    });
  });
});
