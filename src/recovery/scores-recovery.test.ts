import { appendFile, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { list as listTar } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCORE_COLUMNS, type ScoreRecord } from '../domain/score.js';
import { ScoresCsv } from '../store/index.js';
import { createBackup } from './backup.js';
import { checkData } from './check.js';
import { createEvidenceSnapshot } from './evidence.js';
import { DAMAGED_SCORES_FILE, quarantineData } from './quarantine.js';
import { parseRestoreType, restoreData } from './restore.js';
import { temporaryLab } from './test-support.js';

function score(index: number): ScoreRecord {
  return {
    ts: new Date(Date.UTC(2026, 11, 1, 0, 0, index)).toISOString(), score_id: `score-${index}`, run_id: `run-${index}`, experiment_id: 'exp',
    agent_id: 'agent-1', model: 'test/good', scorer: 'icontains:hello', kind: index % 3 === 0 ? 'judge' : 'check', value: index % 3 === 0 ? null : 1,
    pass: index % 3 === 0 ? null : true, reason: `reason, "quoted"\n${index}`, judge_run_id: '', opponent_run_id: '', eval_case: 'greet', rater: '',
  };
}

describe('scores.csv in check, quarantine, backup, restore and snapshot', () => {
  let lab: Awaited<ReturnType<typeof temporaryLab>>;
  let scoresPath: string;
  beforeEach(async () => {
    lab = await temporaryLab();
    const store = new ScoresCsv({ dataDir: lab.dataDir });
    await store.init();
    await store.append(Array.from({ length: 6 }, (_, index) => score(index)));
    scoresPath = store.path;
  });
  afterEach(async () => lab.cleanup());

  it('check names a damaged scores.csv record; quarantine moves it aside and keeps the good rows', async () => {
    expect((await checkData({ dataDir: lab.dataDir })).scoresCsv).toEqual({ exists: true, headerOk: true, rowsChecked: 6, damagedRows: 0 });
    await appendFile(scoresPath, `${SCORE_COLUMNS.map((column) => (column === 'value' ? '7' : column === 'kind' ? 'check' : column === 'ts' ? '2026-12-01T00:00:00Z' : 'x')).join(',')}\n`);
    await appendFile(scoresPath, 'only,three,fields\n');
    const report = await checkData({ dataDir: lab.dataDir });
    expect(report.ok).toBe(false);
    expect(report.scoresCsv.damagedRows).toBe(2);
    expect(report.problems.filter((problem) => problem.file === 'scores.csv').map((problem) => problem.message)).toEqual([
      expect.stringContaining('value "7" is not a number from 0 to 1'),
      expect.stringContaining('has 3 fields, the header has 15'),
    ]);

    const result = await quarantineData({ dataDir: lab.dataDir });
    expect(result.scoresCsv).toMatchObject({ keptRows: 6, headerReplaced: false });
    expect(result.scoresCsv.records).toHaveLength(2);
    expect(await readFile(path.join(result.directory!, DAMAGED_SCORES_FILE), 'utf8')).toContain('only,three,fields');
    const manifest = JSON.parse(await readFile(path.join(result.directory!, 'manifest.json'), 'utf8'));
    expect(manifest.scores_csv).toMatchObject({ kept_rows: 6, damaged_records_file: DAMAGED_SCORES_FILE });
    expect(manifest.runs_csv).toBeNull();
    expect((await checkData({ dataDir: lab.dataDir })).ok).toBe(true);
    expect(await new ScoresCsv({ dataDir: lab.dataDir }).readScores()).toHaveLength(6);
  });

  it('backup keeps scores.csv; restore --type scores (and all) brings it back; the evidence snapshot holds it', async () => {
    const original = await readFile(scoresPath);
    const backup = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir });
    expect(await readdir(backup.directory)).toContain('scores.csv.gz');

    expect(parseRestoreType('scores')).toBe('scores');
    await rm(scoresPath);
    const restored = await restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'scores', date: backup.name.slice(0, 8) });
    expect(restored.files).toEqual([{ file: 'scores.csv', action: 'restore-missing' }]);
    expect(await readFile(scoresPath)).toEqual(original);

    await writeFile(scoresPath, 'torn,garbage\n');
    const all = await restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'all', date: backup.name.slice(0, 8) });
    expect(all.types).toContain('scores');
    expect(all.files.find((file) => file.file === 'scores.csv')?.action).toBe('restore-damaged');
    expect(await readFile(scoresPath)).toEqual(original);

    const evidence = await createEvidenceSnapshot({ dataDir: lab.dataDir, logFiles: [], outputDir: lab.root });
    const entries: string[] = [];
    await listTar({ file: evidence.file, onReadEntry: (entry) => void entries.push(entry.path) });
    expect(entries).toContain('data/scores.csv');
  });
});
