import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppendOnlyCsv } from './append-only-csv.js';
import { decodeCsvRecords } from './csv-codec.js';
import { temporaryDataDir } from './test-support.js';

/**
 * The machinery is generic over the file: here a scores.csv with its own columns and row
 * schema, as the evaluations work will keep one.
 */
const SCORE_COLUMNS = ['ts', 'eval_id', 'run_id', 'score', 'judge_notes'] as const;
const scoreRowSchema = z.object({
  ts: z.string(),
  eval_id: z.string(),
  run_id: z.string(),
  score: z.string().transform((value) => (value === '' ? null : Number(value))),
  judge_notes: z.string(),
});

describe('AppendOnlyCsv for another file (scores.csv)', () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dataDir, cleanup } = await temporaryDataDir());
  });
  afterEach(async () => cleanup());

  const scores = () => new AppendOnlyCsv({ dataDir, fileName: 'scores.csv', columns: SCORE_COLUMNS, parseRow: (row) => scoreRowSchema.parse(row) });

  it('creates its header, appends rows concurrently as whole records, and reads them through its schema', async () => {
    const file = scores();
    await file.writeHeaderOnly();
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        file.append({ ts: '2026-12-01T00:00:00Z', eval_id: 'eval-1', run_id: `r${index}`, score: String(index / 4), judge_notes: 'fine, "really"\r\nyes' }),
      ),
    );
    const content = await file.read();
    expect(content.columns).toEqual([...SCORE_COLUMNS]);
    expect(content.records).toHaveLength(20);
    expect(content.records.map((record) => record.score).sort((a, b) => (a ?? 0) - (b ?? 0))[19]).toBe(4.75);
    expect(content.records[0]!.judge_notes).toBe('fine, "really"\r\nyes');
    expect(decodeCsvRecords(await readFile(file.path)).every((record) => record.fields.length === SCORE_COLUMNS.length)).toBe(true);
  });

  it('cuts a torn last record off at start-up and keeps it in a side file', async () => {
    const file = scores();
    expect(await file.init()).toEqual({ created: true });
    await file.append({ ts: 't', eval_id: 'e', run_id: 'r1', score: '1', judge_notes: '' });
    const whole = await readFile(file.path);
    await appendFile(file.path, 't,e,r2,"half a no');
    const repair = await scores().init();
    expect((await readFile(file.path)).equals(whole)).toBe(true);
    expect(await readFile(repair.tornPath!, 'utf8')).toBe('t,e,r2,"half a no');
    await file.append({ ts: 't', eval_id: 'e', run_id: 'r2', score: '', judge_notes: '' });
    expect((await file.read()).records.map((record) => [record.run_id, record.score])).toEqual([
      ['r1', 1],
      ['r2', null],
    ]);
  });

  it('reads appended rows incrementally, and notices a file rewritten in place', async () => {
    const file = scores();
    await file.init();
    const row = (runId: string) => ({ ts: 't', eval_id: 'e', run_id: runId, score: '1', judge_notes: 'note\nline' });
    await file.append(row('r1'));
    expect((await file.read()).records.map((record) => record.run_id)).toEqual(['r1']);
    await file.append(row('r2'));
    await appendFile(file.path, 't,e,r3,1,"in flight');
    expect(await file.read()).toMatchObject({ skipped: 1 });
    expect((await file.read()).records.map((record) => record.run_id)).toEqual(['r1', 'r2']);
    await appendFile(file.path, '"\n');
    expect((await file.read()).records.map((record) => record.run_id)).toEqual(['r1', 'r2', 'r3']);
    expect((await file.read()).skipped).toBe(0);
    // Same inode, longer, different bytes before the end: read whole again.
    const text = await readFile(file.path, 'utf8');
    await writeFile(file.path, text.replace('r1', 'x1') + 't,e,r4,2,\n');
    expect((await file.read()).records.map((record) => record.run_id)).toEqual(['x1', 'r2', 'r3', 'r4']);
  });

  it('follows the header already in the file, matching columns by name', async () => {
    const file = scores();
    await mkdir(dataDir, { recursive: true });
    await writeFile(file.path, 'run_id,score,ts,eval_id,judge_notes,extra\n');
    await file.append({ ts: 't', eval_id: 'e', run_id: 'r1', score: '2', judge_notes: 'n' });
    expect(await readFile(file.path, 'utf8')).toBe('run_id,score,ts,eval_id,judge_notes,extra\nr1,2,t,e,n,\n');
  });
});
