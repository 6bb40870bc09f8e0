import { open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUN_COLUMNS, SEED_COLUMNS } from '../domain/run.js';
import type { RunRecord } from '../domain/run.js';
import { parseRunRow } from './run-row.js';
import { RunsCsv, type OpenFile } from './runs-csv.js';
import { sampleRun, temporaryDataDir } from './test-support.js';

const HEADER = `${RUN_COLUMNS.join(',')}\n`;

/** Free text with everything CSV finds hard: commas, quotes, CR/LF, emoji, any code point. */
const freeText = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.constantFrom(',', '"', '""', '\r', '\n', '\r\n', '😀', '👩‍👩‍👧', 'é', '\u2028', '\t', ' ', '\uFEFF', '='),
    ),
    { maxLength: 10 },
  )
  .map((parts) => parts.join(''));

/** Numbers as the lab records them: costs keep 10 significant digits, tokens/s 2 decimals, ms 1 decimal. */
const decimal = (scale: number) => fc.integer({ min: 0, max: 10_000_000 }).map((value) => value / scale);

const runArbitrary: fc.Arbitrary<RunRecord> = fc.record({
  run_id: freeText,
  session_id: freeText,
  agent_id: freeText,
  agent_name: freeText,
  model: freeText,
  ts: fc
    .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })
    .map((time) => new Date(time).toISOString()),
  prompt_tokens: fc.nat(),
  completion_tokens: fc.nat(),
  total_tokens: fc.nat(),
  latency_ms: fc.oneof(fc.nat(), decimal(10)),
  ttft_ms: fc.option(decimal(10), { nil: null }),
  tokens_per_s: fc.option(decimal(1e2), { nil: null }),
  cost_usd: fc.option(decimal(1e8), { nil: null }),
  experiment_id: freeText,
  task_label: freeText,
  run_notes: freeText,
  streaming: fc.boolean(),
  model_list_source: fc.constantFrom('dynamic', 'fallback', 'local'),
  tool_web_enabled: fc.boolean(),
  web_status: fc.constantFrom('off', 'ok', 'blocked'),
  aborted: fc.boolean(),
  finish_reason: freeText,
  error: freeText,
  bakeoff_id: freeText,
});

/** Every record of the file, strictly: throws if any record's field count differs from the header's. */
async function strictRecords(file: string): Promise<string[][]> {
  return parse(await readFile(file), { record_delimiter: ['\r\n', '\n'], relax_column_count: false }) as string[][];
}

describe('RunsCsv', () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dataDir, cleanup } = await temporaryDataDir());
  });
  afterEach(async () => {
    await cleanup();
  });

  it('creates data/, data/sessions/ and a header-only runs.csv, and leaves them alone the second time', async () => {
    const store = new RunsCsv({ dataDir });
    expect(await store.init()).toEqual({ created: true, repairedTornRecord: false });
    expect(await readFile(store.path, 'utf8')).toBe(HEADER);
    expect((await stat(path.join(dataDir, 'sessions'))).isDirectory()).toBe(true);
    await store.append(sampleRun());
    expect(await new RunsCsv({ dataDir }).init()).toEqual({ created: false, repairedTornRecord: false });
    expect(await store.readAll()).toHaveLength(1);
  });

  it('reads back any run exactly as it was appended (a U+0000 in its text as U+FFFD)', async () => {
    const asWritten = (run: RunRecord) => Object.fromEntries(Object.entries(run).map(([key, value]) => [key, typeof value === 'string' ? value.replaceAll('\u0000', '\uFFFD') : value]));
    const store = new RunsCsv({ dataDir });
    await store.init();
    let appended = 0;
    await fc.assert(
      fc.asyncProperty(runArbitrary, async (run) => {
        await store.append(run);
        appended += 1;
        const rows = await store.readAll();
        expect(rows).toHaveLength(appended);
        expect(parseRunRow(rows[rows.length - 1] as Record<string, string>)).toEqual(asWritten(run)); // an unpriced run (null) reads back unpriced, not free
      }),
      { numRuns: 150 },
    );
    const records = await strictRecords(store.path);
    expect(records).toHaveLength(appended + 1);
  });

  describe('a full disk', () => {
    /** Real handles on the real file, whose write or fsync fails like a full disk while `failing` says so. */
    function fullDisk(failing: { write?: boolean; sync?: boolean }): OpenFile {
      return async (file, flags) => {
        const handle = await open(file, flags);
        return new Proxy(handle, {
          get(target, property) {
            if (property === 'sync' && failing.sync) return async () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, fsync'), { code: 'ENOSPC' }));
            if (property === 'write' && failing.write) {
              // Half the bytes reach the file, then the disk is full.
              return async (buffer: Buffer, offset: number, length: number) => {
                await target.write(buffer, offset, Math.max(1, Math.floor(length / 2)));
                throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
              };
            }
            const value = Reflect.get(target, property, target);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
      };
    }

    it.each([
      ['the fsync fails after the row reached the file', { sync: true }],
      ['the write fails half-way', { write: true }],
    ])('%s: the row is taken back, so a retry records the run exactly once', async (_label, failure) => {
      const failing: { write?: boolean; sync?: boolean } = {};
      const store = new RunsCsv({ dataDir, openFile: fullDisk(failing) });
      await store.init();
      await store.append(sampleRun({ run_id: 'earlier' }));
      const before = await readFile(store.path);
      Object.assign(failing, failure);
      await expect(store.append(sampleRun({ run_id: 'retried' }))).rejects.toThrow(/ENOSPC/);
      expect((await readFile(store.path)).equals(before)).toBe(true);
      failing.sync = false;
      failing.write = false;
      await store.append(sampleRun({ run_id: 'retried' }));
      expect((await store.readAll()).map((row) => row.run_id)).toEqual(['earlier', 'retried']);
      expect(await strictRecords(store.path)).toHaveLength(3);
    });
  });

  it.each([
    ['15 columns (no aborted)', SEED_COLUMNS.filter((column) => column !== 'aborted'), 'legacy-15'],
    ['16 columns', [...SEED_COLUMNS], 'legacy-16'],
  ])('migrates a Python Agent Lab file of %s, keeping every value and the original', async (_label, columns, from) => {
    const store = new RunsCsv({ dataDir });
    await new RunsCsv({ dataDir }).init();
    const rows = [
      ['2025-10-01 02:31:41.664704+00:00', 'Helper', 'openai/gpt-4o-mini', '10', '20', '30', '812.5', '0.00012', 'exp-1', 'qa', 'says "hi", then\r\nleaves', 'True', 'dynamic', 'False', 'off', 'True'],
      ['2025-10-02T10:00:00Z', 'Other, Agent', 'anthropic/claude', '1', '2', '3', '99', '', '', '', '', 'False', 'fallback', 'True', 'blocked', 'False'],
    ].map((row) => row.slice(0, columns.length));
    const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
    const original = [columns, ...rows].map((row) => row.map(quote).join(',')).join('\r\n') + '\r\n';
    await writeFile(store.path, original);

    const result = await store.init();
    expect(result.migratedFrom).toBe(from);
    expect(result.repairedTornRecord).toBe(false);
    expect(await readFile(result.backupPath as string, 'utf8')).toBe(original);
    expect(path.basename(result.backupPath as string)).toMatch(/^runs\.csv\.bak-\d{8}T\d{6}Z$/);

    const records = await strictRecords(store.path);
    expect(records[0]).toEqual([...RUN_COLUMNS]);
    expect(records).toHaveLength(3);
    rows.forEach((row, index) => {
      const record = records[index + 1] as string[];
      columns.forEach((column, position) => {
        const expected = row[position] === 'True' ? 'true' : row[position] === 'False' ? 'false' : row[position];
        expect(record[RUN_COLUMNS.indexOf(column as (typeof RUN_COLUMNS)[number])]).toBe(expected);
      });
      if (columns.length === 15) expect(record[RUN_COLUMNS.indexOf('aborted')]).toBe('false');
      expect(record.slice(SEED_COLUMNS.length)).toEqual(Array(RUN_COLUMNS.length - SEED_COLUMNS.length).fill(''));
    });
    const parsed = (await store.readAll()).map(parseRunRow);
    expect(parsed[0]).toMatchObject({ ts: '2025-10-01T02:31:41.664Z', streaming: true, tool_web_enabled: false, latency_ms: 812.5, cost_usd: 0.00012 });
    expect(parsed[1]).toMatchObject({ agent_name: 'Other, Agent', cost_usd: null, web_status: 'blocked' });

    // The migrated file is current: a second start changes nothing, and new rows fit it.
    expect(await store.init()).toEqual({ created: false, repairedTornRecord: false });
    await store.append(sampleRun());
    expect(await strictRecords(store.path)).toHaveLength(4);
  });

  it.each([
    ['a record without its line ending', 'fragment-without-newline,1,2'],
    ['an unterminated quoted field', '2025-10-01T00:00:00Z,A,m,1,2,3,4,,"notes cut off\nin the mid'],
    ['a record with too few fields', '2025-10-01T00:00:00Z,A,m,1,2\n'],
  ])('repairs a torn last record (%s) and keeps every complete row', async (_label, fragment) => {
    const store = new RunsCsv({ dataDir });
    await store.init();
    await store.append(sampleRun({ run_id: 'a', run_notes: 'line one\nline two' }));
    await store.append(sampleRun({ run_id: 'b' }));
    const complete = await readFile(store.path, 'utf8');
    await writeFile(store.path, complete + fragment);

    const result = await store.init();
    expect(result.repairedTornRecord).toBe(true);
    expect(await readFile(store.path, 'utf8')).toBe(complete);
    expect(await readFile(result.tornPath as string, 'utf8')).toBe(fragment);
    expect(path.basename(result.tornPath as string)).toMatch(/^runs\.csv\.torn-\d{8}T\d{6}Z/);

    await store.append(sampleRun({ run_id: 'c' }));
    const records = await strictRecords(store.path);
    expect(records.slice(1).map((record) => record[RUN_COLUMNS.indexOf('run_id')])).toEqual(['a', 'b', 'c']);
  });

  it('appends to a runs.csv that a tool replaced between appends, and recreates a deleted one', async () => {
    const store = new RunsCsv({ dataDir });
    await store.init();
    await store.append(sampleRun({ run_id: 'before' }));
    const replacement = path.join(dataDir, 'rebuilt.csv');
    await writeFile(replacement, HEADER + (await readFile(store.path, 'utf8')).split('\n')[1] + '\n');
    const old = path.join(dataDir, 'old.csv');
    await rename(store.path, old);
    await rename(replacement, store.path);

    await store.append(sampleRun({ run_id: 'after' }));
    const ids = (await store.readAll()).map((row) => row.run_id);
    expect(ids).toEqual(['before', 'after']);
    expect((await readFile(old, 'utf8')).includes('after')).toBe(false);

    await rm(store.path);
    await store.append(sampleRun({ run_id: 'recreated' }));
    expect(await strictRecords(store.path)).toEqual([[...RUN_COLUMNS], expect.arrayContaining(['recreated'])]);
  });

  it('keeps a header with extra columns and writes rows that match it', async () => {
    const store = new RunsCsv({ dataDir });
    await new RunsCsv({ dataDir }).init();
    const header = `${RUN_COLUMNS.join(',')},reviewer,score\n`;
    await writeFile(store.path, header);
    expect(await store.init()).toEqual({ created: false, repairedTornRecord: false });
    await store.append(sampleRun({ run_id: 'x' }));
    const records = await strictRecords(store.path);
    expect(records[0]).toHaveLength(RUN_COLUMNS.length + 2);
    expect(records[1]).toHaveLength(RUN_COLUMNS.length + 2);
    expect((await store.readAll())[0]).toMatchObject({ run_id: 'x', reviewer: '', score: '' });
  });

  it('writes rows by column name into a legacy header a tool wrote while the server runs', async () => {
    const store = new RunsCsv({ dataDir });
    await store.init();
    await writeFile(store.path, `${SEED_COLUMNS.join(',')}\n`);
    await store.append(sampleRun({ aborted: true, agent_name: 'Legacy' }));
    const records = await strictRecords(store.path);
    expect(records[1]).toHaveLength(SEED_COLUMNS.length);
    expect(records[1]?.[1]).toBe('Legacy');
    expect(records[1]?.[15]).toBe('true');
  });

  it('refuses a header it does not know and leaves the file untouched', async () => {
    const store = new RunsCsv({ dataDir });
    await store.init();
    await writeFile(store.path, 'name,age\nbob,3\n');
    await expect(store.init()).rejects.toMatchObject({ code: 'unavailable:store' });
    expect(await readFile(store.path, 'utf8')).toBe('name,age\nbob,3\n');
  });

  it('skips and counts damaged rows in the middle without stopping the read', async () => {
    const store = new RunsCsv({ dataDir });
    await store.init();
    await store.append(sampleRun({ run_id: 'one' }));
    await writeFile(store.path, (await readFile(store.path, 'utf8')) + 'broken,row\n\n');
    await store.append(sampleRun({ run_id: 'two' }));
    const content = await store.read();
    expect(content.rows.map((row) => row.run_id)).toEqual(['one', 'two']);
    expect(content.skipped).toBe(2);
  });

  it('records 100 concurrent appends as 100 whole rows', async () => {
    const store = new RunsCsv({ dataDir });
    await store.init();
    await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        store.append(sampleRun({ run_id: `run-${index}`, run_notes: `note ${index}, "quoted"\n${'x'.repeat(index * 50)}` })),
      ),
    );
    const records = await strictRecords(store.path);
    expect(records).toHaveLength(101);
    for (const record of records) expect(record).toHaveLength(RUN_COLUMNS.length);
    const ids = new Set(records.slice(1).map((record) => record[RUN_COLUMNS.indexOf('run_id')]));
    expect(ids.size).toBe(100);
    expect((await readdir(dataDir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
