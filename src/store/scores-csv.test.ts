import { appendFile, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCORE_COLUMNS, type ScoreRecord } from '../domain/score.js';
import { ScoresCsv } from './scores-csv.js';
import { temporaryDataDir } from './test-support.js';

function sampleScore(overrides: Partial<ScoreRecord> = {}): ScoreRecord {
  return {
    ts: '2026-12-01T02:00:00.000Z', score_id: 'score-1', run_id: 'run-1', experiment_id: 'exp', agent_id: 'agent-1', model: 'test/good',
    scorer: 'icontains:hello', kind: 'check', value: 1, pass: true, reason: 'the answer contains "hello", "quoted"\nand a newline',
    judge_run_id: '', opponent_run_id: '', eval_case: 'greet', rater: '', ...overrides,
  };
}

describe('scores.csv', () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dataDir, cleanup } = await temporaryDataDir()));
  afterEach(async () => cleanup());

  it('is created with the exact header at start-up and keeps every appended score, quoting free text', async () => {
    const store = new ScoresCsv({ dataDir });
    expect(await store.init()).toMatchObject({ created: true });
    expect(await readFile(store.path, 'utf8')).toBe(`${SCORE_COLUMNS.join(',')}\n`);
    await Promise.all(Array.from({ length: 20 }, (_, index) => store.append([sampleScore({ score_id: `s${index}`, value: index % 2, pass: index % 2 === 1 })])));
    await store.append([sampleScore({ score_id: 'judge-error', kind: 'judge', value: null, pass: null, reason: 'judge error: prose' })]);
    const table = parse(await readFile(store.path)) as string[][];
    expect(table[0]).toEqual([...SCORE_COLUMNS]);
    expect(table).toHaveLength(22);
    expect(table.every((record) => record.length === SCORE_COLUMNS.length)).toBe(true);
    const scores = await store.readScores();
    expect(scores).toHaveLength(21);
    expect(scores[0]!.reason).toBe(sampleScore().reason);
    expect(scores.find((score) => score.score_id === 'judge-error')).toMatchObject({ value: null, pass: null, kind: 'judge' });
  });

  it('repairs a torn last record at start-up, keeping the fragment beside it, and appends after it', async () => {
    const store = new ScoresCsv({ dataDir });
    await store.init();
    await store.append([sampleScore({ score_id: 'whole' })]);
    await appendFile(store.path, '2026-12-01T02:00:01.000Z,torn-score,run-2,exp,agent-1,test/good,icontains:x,check,1,tr');
    expect((await store.read()).skipped).toBe(1);

    const restarted = new ScoresCsv({ dataDir });
    const result = await restarted.init();
    expect(result.repairedTornRecord).toBe(true);
    expect(await readFile(result.tornPath!, 'utf8')).toContain('torn-score');
    await restarted.append([sampleScore({ score_id: 'after' })]);
    const table = parse(await readFile(restarted.path)) as string[][];
    expect(table.map((record) => record[1])).toEqual(['score_id', 'whole', 'after']);
    expect((await readdir(dataDir)).some((name) => name.startsWith('scores.csv.torn-'))).toBe(true);
  });

  it('refuses to start on a header it does not know and leaves the file alone', async () => {
    await new ScoresCsv({ dataDir }).init();
    const file = path.join(dataDir, 'scores.csv');
    await writeFile(file, 'a,b,c\n1,2,3\n');
    await expect(new ScoresCsv({ dataDir }).init()).rejects.toMatchObject({ code: 'unavailable:store' });
    expect(await readFile(file, 'utf8')).toBe('a,b,c\n1,2,3\n');
  });

  it('skips and counts rows that are not scores (bad kind, value out of range)', async () => {
    const store = new ScoresCsv({ dataDir });
    await store.init();
    await store.append([sampleScore()]);
    await appendFile(store.path, `${SCORE_COLUMNS.map((column) => (column === 'kind' ? 'vibes' : 'x')).join(',')}\n`);
    await appendFile(store.path, `${SCORE_COLUMNS.map((column) => (column === 'kind' ? 'check' : column === 'value' ? '7' : 'x')).join(',')}\n`);
    const content = await store.read();
    expect(content.scores).toHaveLength(1);
    expect(content.skipped).toBe(2);
  });

  it('reads only what was appended since the last read, and re-reads a file a tool replaced', async () => {
    const reader = new ScoresCsv({ dataDir });
    await reader.init();
    const writer = new ScoresCsv({ dataDir });
    await writer.append([sampleScore({ score_id: 'a', reason: 'plain' })]);
    expect((await reader.readScores()).map((score) => score.score_id)).toEqual(['a']);
    await writer.append([sampleScore({ score_id: 'b', reason: 'plain' }), sampleScore({ score_id: 'c', reason: 'plain' })]);
    // A record still being written is not read yet, then read whole once complete.
    const line = (await readFile(writer.path, 'utf8')).split('\n')[1]!.replace(',a,', ',d,');
    await appendFile(writer.path, line.slice(0, 20));
    expect((await reader.read()).scores.map((score) => score.score_id)).toEqual(['a', 'b', 'c']);
    expect((await reader.read()).skipped).toBe(1);
    await appendFile(writer.path, `${line.slice(20)}\n`);
    const grown = await reader.read();
    expect(grown.scores.map((score) => score.score_id)).toEqual(['a', 'b', 'c', 'd']);
    expect(grown.skipped).toBe(0);

    // Replaced by a tool (a new file renamed over it, as restore and quarantine do), and longer:
    // the reader must not trust its cache.
    const text = await readFile(writer.path, 'utf8');
    const replacement = `${writer.path}.new`;
    await writeFile(replacement, text.replace(',a,', ',z,') + text.split('\n').slice(1).join('\n').replace(/,[abcd],/g, ',y,'));
    await rename(replacement, writer.path);
    const reread = await reader.read();
    expect(reread.scores.map((score) => score.score_id).slice(0, 4)).toEqual(['z', 'b', 'c', 'd']);
    expect(reread.scores.slice(4).every((score) => score.score_id === 'y')).toBe(true);
  });
});
