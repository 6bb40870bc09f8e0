import { appendFile, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyRunFilter, experimentsOf, summariseFiltered, type ExperimentQuery, type RunFilter } from '../domain/history.js';
import { RUN_COLUMNS, runToCsvFields, type RunRecord } from '../domain/run.js';
import { encodeCsvRecord, encodeCsvRecords } from './csv-codec.js';
import { indexSnapshotPath } from './index-snapshot.js';
import { IndexedRuns } from './indexed-runs.js';
import { RunsCsv, type RunIndexEvent } from './runs-csv.js';
import { sampleRun, temporaryDataDir } from './test-support.js';

/**
 * The run index answers exactly what the reference filters (applyRunFilter, summariseFiltered
 * over a whole-file read) answer, and never serves rows of a runs.csv that changed under it.
 */

function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A varied history: nulls, aborted and failed runs, unpriced ones, shared names, awkward text. */
function variedRuns(count: number, seed = 7): RunRecord[] {
  const random = generator(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  return Array.from({ length: count }, (_, index) => {
    const aborted = random() < 0.1;
    return sampleRun({
      run_id: `run-${index}`,
      session_id: `session-${Math.floor(index / 3)}`,
      agent_id: pick(['agent-1', 'agent-2', 'Shared', 'agent-4']),
      agent_name: pick(['Tester', 'Shared', 'Writer, "the" second', 'Ünïcode 😀']),
      model: pick(['openai/gpt-4o-mini', 'anthropic/claude', 'meta/llama', 'odd,"model"\nname']),
      ts: new Date(Date.UTC(2026, 0, 1) + index * 60_000 - (index % 7) * 3_600_000).toISOString(),
      prompt_tokens: Math.floor(random() * 1000),
      completion_tokens: Math.floor(random() * 500),
      total_tokens: Math.floor(random() * 1500),
      latency_ms: Math.round(random() * 90_000) / 10,
      ttft_ms: random() < 0.3 ? null : Math.round(random() * 9_000) / 10,
      tokens_per_s: random() < 0.3 ? null : Math.round(random() * 10_000) / 100,
      cost_usd: random() < 0.2 ? null : Math.round(random() * 1e8) / 1e10,
      experiment_id: pick(['exp-a', 'exp-b', '', 'exp\r\nc', `Exp-${index % 13}`]),
      task_label: pick(['qa', 'judge', '']),
      aborted,
      error: !aborted && random() < 0.15 ? 'Provider error: 500' : random() < 0.05 ? 'aborted with an error' : '',
      bakeoff_id: random() < 0.2 ? `bakeoff-${index % 4}` : '',
    });
  });
}

function csvOf(runs: readonly RunRecord[]): string {
  return encodeCsvRecord(RUN_COLUMNS) + (runs.length > 0 ? encodeCsvRecords(runs.map(runToCsvFields)) : '');
}

const EXPERIMENT_QUERIES: ExperimentQuery[] = [{ limit: 500 }, { limit: 3 }, { limit: 1 }, { q: 'exp-1', limit: 500 }, { q: 'EXP-', limit: 4 }, { q: '\r\n', limit: 10 }, { q: 'none', limit: 10 }, { q: '', limit: 2 }];

const FILTERS: RunFilter[] = [
  {},
  { limit: 5 },
  { model: 'anthropic/claude' },
  { model: 'odd,"model"\nname', limit: 3 },
  { model: 'absent' },
  { experiment_id: 'exp-a', model: 'meta/llama' },
  { experiment_id: '' },
  { experiment_id: 'exp\r\nc', limit: 50 },
  { task_label: 'judge', bakeoff_id: 'bakeoff-1' },
  { agent: 'Shared' },
  { agent: 'agent-2', limit: 7 },
  { agent: 'Ünïcode 😀', model: 'openai/gpt-4o-mini' },
  { agent: 'nobody' },
  { session_id: 'session-10' },
  { since: '2026-01-01T10:00:00Z' },
  { since: '2026-01-01T10:00:00Z', model: 'meta/llama', limit: 4 },
  { bakeoff_id: '' , limit: 100 },
];

describe('RunsCsv through its run index', () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  let events: RunIndexEvent[];
  const openRuns = () => new RunsCsv({ dataDir, onIndexEvent: (event) => events.push(event) });

  beforeEach(async () => {
    ({ dataDir, cleanup } = await temporaryDataDir());
    events = [];
  });
  afterEach(async () => {
    await cleanup();
  });

  it('answers every filter and summary exactly as the reference filters do, on a varied history', async () => {
    const runs = openRuns();
    await runs.init();
    for (const run of variedRuns(200)) await runs.append(run);
    // Records the index must skip as the whole-file read does: a wrong field count, a blank line,
    // and a quoted field the codec reads in its relaxed way.
    await appendFile(runs.path, 'only,three,fields\n\n');
    await appendFile(runs.path, encodeCsvRecord(runToCsvFields(sampleRun({ run_id: 'relaxed' }))).replace(',qa,', ',"qa"x,'));
    // An experiment whose first run has a legacy time and whose last has none.
    await appendFile(runs.path, encodeCsvRecords([sampleRun({ run_id: 'odd-1', experiment_id: 'odd-time', ts: '2026-11-03 04:05:06.123456+00:00' }), sampleRun({ run_id: 'odd-2', experiment_id: 'odd-time', ts: 'not a date' })].map(runToCsvFields)));
    for (const run of variedRuns(100, 11).map((run) => ({ ...run, run_id: `late-${run.run_id}` }))) await runs.append(run);

    const all = await runs.readRuns();
    expect(all.length).toBe(303);
    for (const filter of FILTERS) {
      expect(await runs.findRuns(filter), JSON.stringify(filter)).toEqual(applyRunFilter(all, filter));
      expect(await runs.findRunIds(filter), JSON.stringify(filter)).toEqual(applyRunFilter(all, filter).map((run) => run.run_id));
      expect(await runs.summarise(filter), JSON.stringify(filter)).toEqual(summariseFiltered(all, filter));
    }
    for (const query of EXPERIMENT_QUERIES) expect(await runs.listExperiments(query), JSON.stringify(query)).toEqual(experimentsOf(all, query));
    expect((await runs.listExperiments({ limit: 500 })).length).toBe(18); // 3 + 13 named above, the appended sample run's `exp`, and odd-time
    expect((await runs.listExperiments({ q: 'odd', limit: 1 }))[0]).toEqual({ experiment_id: 'odd-time', runs: 2, first_run_at: '2026-11-03T04:05:06.123Z', last_run_at: null });
    expect(await runs.getRun('run-17')).toEqual(all.find((run) => run.run_id === 'run-17'));
    expect((await runs.getRun('relaxed'))?.task_label).toBe('"qa"x');
    expect(await runs.getRun('absent')).toBeUndefined();
  });

  it('reads back rows spread far apart (many separate reads, more than are in flight at once) exactly', async () => {
    const runs = openRuns();
    await runs.init();
    // 20 KB notes keep every row beyond the gap that joins reads, so each row is its own read.
    const spread = variedRuns(60, 3).map((run, index) => ({ ...run, run_notes: `${index}:${'n'.repeat(20_000)}` }));
    for (const run of spread) await runs.append(run);
    const all = await runs.readRuns();
    for (const filter of FILTERS) {
      expect(await runs.findRuns(filter), JSON.stringify(filter)).toEqual(applyRunFilter(all, filter));
      expect(await runs.findRunIds(filter), JSON.stringify(filter)).toEqual(applyRunFilter(all, filter).map((run) => run.run_id));
    }
  });

  it('reads the same index however runs.csv is cut into chunks while scanning', async () => {
    const runs = openRuns();
    await runs.init();
    for (const run of variedRuns(120, 5)) await runs.append(run);
    const all = await runs.readRuns();
    for (const chunkBytes of [1, 7, 64, 333]) {
      const indexed = new IndexedRuns({ path: runs.path, snapshotPath: path.join(dataDir, `.chunks-${chunkBytes}`), chunkBytes });
      await indexed.open();
      for (const filter of FILTERS) {
        expect(await indexed.findRuns(filter), `${chunkBytes}: ${JSON.stringify(filter)}`).toEqual(applyRunFilter(all, filter));
        expect(await indexed.summarise(filter)).toEqual(summariseFiltered(all, filter));
        expect(await indexed.findRunIds(filter)).toEqual(applyRunFilter(all, filter).map((run) => run.run_id));
      }
      expect(await indexed.listExperiments({ limit: 100 })).toEqual(experimentsOf(all, { limit: 100 }));
    }
  });

  it('shows a run appended after start-up to the very next query', async () => {
    const runs = openRuns();
    await runs.init();
    await runs.append(sampleRun({ run_id: 'first', model: 'm' }));
    expect((await runs.findRuns({ model: 'm' })).map((run) => run.run_id)).toEqual(['first']);
    await runs.append(sampleRun({ run_id: 'second', model: 'm', experiment_id: 'new-exp', ts: '2026-12-01T10:00:00.000Z' }));
    expect((await runs.findRuns({ model: 'm' })).map((run) => run.run_id)).toEqual(['first', 'second']);
    expect(await runs.findRunIds({ model: 'm' })).toEqual(['first', 'second']);
    expect((await runs.listExperiments({ limit: 1 }))[0]).toEqual({ experiment_id: 'new-exp', runs: 1, first_run_at: '2026-12-01T10:00:00.000Z', last_run_at: '2026-12-01T10:00:00.000Z' });
    expect((await runs.summarise({ model: 'm' })).count).toBe(2);
  });

  it('notices runs.csv replaced while it runs (a restore) and serves the new rows only', async () => {
    const runs = openRuns();
    await runs.init();
    for (const run of variedRuns(50)) await runs.append(run);
    expect((await runs.findRuns({})).length).toBe(50);
    const restored = variedRuns(20, 99).map((run) => ({ ...run, run_id: `restored-${run.run_id}` }));
    await writeFile(`${runs.path}.new`, csvOf(restored));
    await rename(`${runs.path}.new`, runs.path);
    expect(await runs.findRuns({})).toEqual(await runs.readRuns());
    expect((await runs.findRuns({})).map((run) => run.run_id)).toEqual(restored.map((run) => run.run_id));
    expect(await runs.getRun('run-3')).toBeUndefined();
  });

  it('notices runs.csv rewritten in place with other rows (shorter, or the same length)', async () => {
    const runs = openRuns();
    await runs.init();
    for (const run of variedRuns(30)) await runs.append(run);
    await runs.findRuns({});
    await writeFile(runs.path, csvOf(variedRuns(10).map((run) => ({ ...run, model: 'rewritten' }))));
    expect((await runs.findRuns({ model: 'rewritten' })).length).toBe(10);
    expect((await runs.summarise({})).count).toBe(10);
    // Same size, different bytes before the end.
    const bytes = await readFile(runs.path, 'utf8');
    await writeFile(runs.path, bytes.replaceAll('rewritten', 'rewrittem'));
    expect((await runs.findRuns({ model: 'rewrittem' })).length).toBe(10);
  });

  describe('snapshot', () => {
    const history = variedRuns(1_500, 3);

    async function startWithHistory(): Promise<RunsCsv> {
      const runs = openRuns();
      await runs.init();
      await appendFile(runs.path, encodeCsvRecords(history.map(runToCsvFields)));
      return runs;
    }

    it('is written after a large start-up pass and reused by the next start, which scans only the rows appended since', async () => {
      await (await startWithHistory()).init();
      expect(events.map((event) => event.kind)).toContain('snapshot-written');
      const snapshot = await stat(indexSnapshotPath(dataDir));
      expect(snapshot.size).toBeGreaterThan(1_500 * 60);

      const extra = sampleRun({ run_id: 'after-snapshot', model: 'anthropic/claude' });
      await appendFile(path.join(dataDir, 'runs.csv'), encodeCsvRecord(runToCsvFields(extra)));
      events = [];
      const runs = openRuns();
      await runs.init();
      expect(events[0]).toMatchObject({ kind: 'loaded', rows: 1_501, tailRows: 1 });
      const all = await runs.readRuns();
      for (const filter of FILTERS) expect(await runs.summarise(filter)).toEqual(summariseFiltered(all, filter));
      for (const query of EXPERIMENT_QUERIES) expect(await runs.listExperiments(query)).toEqual(experimentsOf(all, query));
      expect((await runs.findRuns({ model: 'anthropic/claude', limit: 1 }))[0]?.run_id).toBe('after-snapshot');
    });

    it('is rebuilt, never trusted, when runs.csv no longer starts with the bytes it covers', async () => {
      await (await startWithHistory()).init();
      const file = path.join(dataDir, 'runs.csv');
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.replace('run-5,', 'run-X,'));
      events = [];
      const runs = openRuns();
      await runs.init();
      expect(events[0]).toMatchObject({ kind: 'built', rows: 1_500, reason: expect.stringContaining('no longer starts with') });
      expect((await runs.getRun('run-X'))?.run_id).toBe('run-X');
      expect(await runs.getRun('run-5')).toBeUndefined();
    });

    it('is rebuilt when it is damaged or runs.csv is shorter than it covers', async () => {
      await (await startWithHistory()).init();
      const snapshotFile = indexSnapshotPath(dataDir);
      const bytes = await readFile(snapshotFile);
      bytes[bytes.length - 9] = (bytes[bytes.length - 9] as number) ^ 0xff;
      await writeFile(snapshotFile, bytes);
      events = [];
      await openRuns().init();
      expect(events[0]).toMatchObject({ kind: 'built', reason: expect.stringContaining('checksum') });

      await writeFile(path.join(dataDir, 'runs.csv'), csvOf(history.slice(0, 10)));
      events = [];
      const runs = openRuns();
      await runs.init();
      expect(events[0]).toMatchObject({ kind: 'built', rows: 10, reason: expect.stringContaining('shorter') });
      expect(await runs.findRuns({})).toEqual(history.slice(0, 10));
    });

    it('keeps start-up repair: a torn record written after the snapshot is moved aside and the rows before it stay', async () => {
      await (await startWithHistory()).init();
      const file = path.join(dataDir, 'runs.csv');
      const torn = encodeCsvRecord(runToCsvFields(sampleRun({ run_id: 'torn', run_notes: 'cut "mid\nway' }))).slice(0, 60);
      await appendFile(file, encodeCsvRecord(runToCsvFields(sampleRun({ run_id: 'whole' }))) + torn);
      events = [];
      const runs = openRuns();
      const result = await runs.init();
      expect(events[0]).toMatchObject({ kind: 'loaded', tailRows: 1 });
      expect(result.repairedTornRecord).toBe(true);
      expect(await readFile(result.tornPath as string, 'utf8')).toBe(torn);
      await runs.append(sampleRun({ run_id: 'next' }));
      expect((await runs.findRuns({ limit: 2 })).map((run) => run.run_id)).toEqual(['whole', 'next']);
      expect((await runs.findRuns({})).length).toBe(1_502);
      expect(await runs.findRuns({})).toEqual(await runs.readRuns());
    });

    it('is saved at shutdown when rows were appended since the last one', async () => {
      const runs = await startWithHistory();
      await runs.init();
      const before = await stat(indexSnapshotPath(dataDir));
      await runs.append(sampleRun({ run_id: 'late' }));
      await runs.findRuns({ limit: 1 });
      await runs.close();
      expect((await stat(indexSnapshotPath(dataDir))).mtimeMs).toBeGreaterThan(before.mtimeMs);
      events = [];
      await openRuns().init();
      expect(events[0]).toMatchObject({ kind: 'loaded', rows: 1_501, tailRows: 0 });
    });
  });
});

describe('run index whole numbers', () => {
  it('keeps token counts over 4 billion exact (the 4-byte column widens), in the summary and through a snapshot', async () => {
    const { dataDir, cleanup } = await temporaryDataDir();
    try {
      const runs = new RunsCsv({ dataDir });
      await runs.init();
      const many = variedRuns(1_200, 13);
      many[600] = { ...many[600]!, prompt_tokens: 5_000_000_000, total_tokens: 9_007_199_254_740_000 };
      await appendFile(runs.path, encodeCsvRecords(many.map(runToCsvFields)));
      await runs.init(); // builds the index and writes its snapshot
      const restarted = new RunsCsv({ dataDir });
      await restarted.init();
      const all = await restarted.readRuns();
      expect(await restarted.summarise({})).toEqual(summariseFiltered(all, {}));
      expect((await restarted.summarise({ model: many[600]!.model })).models[0]?.tokens.prompt).toBeGreaterThan(5_000_000_000);
    } finally {
      await cleanup();
    }
  });
});

describe('run index codes', () => {
  it('finds runs by any of more than 65,536 distinct sessions (the 2-byte codes widen), before and after a snapshot', async () => {
    const { dataDir, cleanup } = await temporaryDataDir();
    try {
      const runs = new RunsCsv({ dataDir });
      await runs.init();
      const count = 70_000;
      // The last row is over 65,535 bytes (three 10,000-character tags of 3-byte characters): its length widens too.
      const long = '€'.repeat(10_000);
      const rows = Array.from({ length: count }, (_, index) =>
        runToCsvFields(sampleRun({ run_id: `run-${index}`, session_id: `session-${index}`, ...(index === count - 1 ? { run_notes: long, task_label: long, experiment_id: long } : {}) })),
      );
      await appendFile(runs.path, encodeCsvRecords(rows));
      for (const current of [runs, new RunsCsv({ dataDir })]) {
        await current.init();
        const last = await current.findRuns({ session_id: `session-${count - 1}` });
        expect(last.map((run) => run.run_id)).toEqual([`run-${count - 1}`]);
        expect(last[0]?.run_notes).toBe(long);
        expect((await current.findRuns({ session_id: 'session-65536' })).map((run) => run.run_id)).toEqual(['run-65536']);
        expect((await current.getRun('run-12345'))?.session_id).toBe('session-12345');
      }
    } finally {
      await cleanup();
    }
  });
});
