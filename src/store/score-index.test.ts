import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyScoreFilter, type ScoreFilter } from '../domain/history.js';
import { SCORE_COLUMNS, scoreToCsvFields, type ScoreRecord } from '../domain/score.js';
import { encodeCsvRecord, encodeCsvRecords } from './csv-codec.js';
import { ScoresCsv } from './scores-csv.js';
import { temporaryDataDir } from './test-support.js';

/** scores.csv through its score index answers exactly what the reference filter answers over a whole-file read. */

function variedScores(count: number, prefix = 's'): ScoreRecord[] {
  const kinds = ['check', 'judge', 'pairwise', 'human'] as const;
  return Array.from({ length: count }, (_, index) => ({
    ts: new Date(Date.UTC(2026, 11, 1) + index * 60_000).toISOString(),
    score_id: `${prefix}-${index}`,
    run_id: `run-${index % 37}`,
    experiment_id: ['exp-a', 'exp-b', '', 'exp,"c"\nd'][index % 4] as string,
    agent_id: 'agent-1',
    model: 'test/model',
    scorer: 'icontains:hello',
    kind: kinds[(index * 7) % 4] as ScoreRecord['kind'],
    value: index % 5 === 0 ? null : (index % 3) / 2,
    pass: index % 5 === 0 ? null : index % 2 === 0,
    reason: index % 9 === 0 ? 'a "quoted", multi\nline reason' : '',
    judge_run_id: '',
    opponent_run_id: '',
    eval_case: `case-${index % 3}`,
    rater: '',
  }));
}

const FILTERS: ScoreFilter[] = [
  {},
  { limit: 3 },
  { run_ids: ['run-1', 'run-5', 'absent'] },
  { run_ids: ['run-2'], kind: 'judge', limit: 2 },
  { run_ids: [] },
  { experiment_id: 'exp-b' },
  { experiment_id: 'exp,"c"\nd', limit: 4 },
  { experiment_id: 'absent' },
  { kind: 'human', since: '2026-12-01T01:00:00Z' },
  { since: '2026-12-01T02:00:00Z', limit: 10 },
];

describe('ScoresCsv through its score index', () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dataDir, cleanup } = await temporaryDataDir()));
  afterEach(async () => cleanup());

  it('finds the same scores as the reference filter, skipping rows that are not scores', async () => {
    const store = new ScoresCsv({ dataDir });
    await store.init();
    await store.append(variedScores(150));
    await appendFile(store.path, 'too,few\n');
    await appendFile(store.path, encodeCsvRecord(scoreToCsvFields({ ...variedScores(1)[0]!, score_id: 'bad-kind' })).replace(',check,', ',verdict,'));
    await store.append(variedScores(60, 'late'));
    const all = await store.readScores();
    expect(all.length).toBe(210);
    for (const filter of FILTERS) expect(await store.findScores(filter), JSON.stringify(filter)).toEqual(applyScoreFilter(all, filter));
  });

  it('builds the index at start-up, repairs a torn last record, and notices appends and a replaced file', async () => {
    const first = new ScoresCsv({ dataDir });
    await first.init();
    const scores = variedScores(40);
    await appendFile(first.path, encodeCsvRecords(scores.map(scoreToCsvFields)) + encodeCsvRecord(scoreToCsvFields(variedScores(1, 'torn')[0]!)).slice(0, 30));
    const store = new ScoresCsv({ dataDir });
    const result = await store.init();
    expect(result.repairedTornRecord).toBe(true);
    expect((await readFile(result.tornPath!, 'utf8')).length).toBe(30);
    expect(await store.findScores({})).toEqual(scores);

    await store.append(variedScores(1, 'new'));
    expect((await store.findScores({ limit: 1 }))[0]?.score_id).toBe('new-0');

    await writeFile(`${store.path}.new`, encodeCsvRecord(SCORE_COLUMNS) + encodeCsvRecords(variedScores(5, 'restored').map(scoreToCsvFields)));
    await rename(`${store.path}.new`, store.path);
    expect((await store.findScores({})).map((score) => score.score_id)).toEqual(['restored-0', 'restored-1', 'restored-2', 'restored-3', 'restored-4']);
  });
});
