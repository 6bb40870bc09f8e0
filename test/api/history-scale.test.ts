import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_COLUMNS, runToCsvFields } from '../../src/domain/run.js';
import { encodeCsvRecord, encodeCsvRecords } from '../../src/store/index.js';
import { sampleRun } from '../../src/store/test-support.js';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { api } from '../support/sse-client.js';
import { missing } from '../support/prerequisites.js';
import { CHROMIUM_PREREQUISITE, openLabPage } from '../e2e/lab-page.js';

/**
 * A lab started on a history larger than one `/api/runs` answer: the run index is built at
 * start-up (and logged), `/api/runs` without `limit` answers the newest 10,000 and says it
 * was cut, filters still find old runs, and the next start reuses the index's snapshot.
 */

const ROWS = 12_000;
let cwd: string;
let lab: RunningLab | undefined;

beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-history-'));
  await mkdir(path.join(cwd, 'data', 'sessions'), { recursive: true });
  const runs = Array.from({ length: ROWS }, (_, index) =>
    runToCsvFields(sampleRun({ run_id: `run-${index}`, model: index % 100 === 0 ? 'rare/model' : 'common/model', ts: new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString() })),
  );
  await writeFile(path.join(cwd, 'data', 'runs.csv'), encodeCsvRecord(RUN_COLUMNS) + encodeCsvRecords(runs));
});
afterAll(async () => {
  await lab?.close();
  await rm(cwd, { recursive: true, force: true });
});

describe('a history larger than one answer', () => {
  it('builds the run index at start-up, caps an unlimited /api/runs at the newest 10,000, and reuses the snapshot next time', async () => {
    lab = await startLab({ cwd });
    const log = await readFile(lab.logFile, 'utf8');
    expect(log).toMatch(/Built the run index from runs\.csv \{.*"rows":12000/);

    const all = await api(`${lab.url}/api/runs`);
    expect(all.json).toMatchObject({ count: 10_000, truncated: true, limit: 10_000 });
    expect(all.json.runs[0].run_id).toBe('run-2000');
    expect(all.json.runs.at(-1).run_id).toBe(`run-${ROWS - 1}`);

    const asked = await api(`${lab.url}/api/runs?limit=${ROWS}`);
    expect(asked.json.count).toBe(ROWS);
    expect(asked.json.truncated).toBeUndefined();

    const rare = await api(`${lab.url}/api/runs?model=rare/model`);
    expect(rare.json.count).toBe(ROWS / 100);
    expect(rare.json.runs[0].run_id).toBe('run-0');
    const summary = await api(`${lab.url}/api/runs/summary?model=rare/model`);
    expect(summary.json).toMatchObject({ count: ROWS / 100, models: [{ model: 'rare/model', count: ROWS / 100 }] });

    const download = await fetch(`${lab.url}/api/runs.csv`);
    expect(download.headers.get('content-type')).toContain('text/csv');
    const lines = (await download.text()).trimEnd().split('\n');
    expect(lines.length).toBe(ROWS + 1);
    expect(lines[0]).toBe(RUN_COLUMNS.join(','));
    expect(lines.at(-1)).toContain(`run-${ROWS - 1}`);

    await lab.close({ keep: true });
    lab = await startLab({ cwd });
    expect(await readFile(lab.logFile, 'utf8')).toMatch(/Loaded the run index from its snapshot \{.*"rows":12000/);
    expect((await api(`${lab.url}/api/runs?model=rare/model&limit=1`)).json.runs[0].run_id).toBe(`run-${ROWS - 100}`);
  });

  it.skipIf(missing(CHROMIUM_PREREQUISITE))('the Runs view says it shows only the newest 10,000, and a filter that matches fewer says nothing', async () => {
    lab ??= await startLab({ cwd });
    const opened = await openLabPage({ url: lab.url });
    try {
      await opened.ui.openView('runs');
      await expect.poll(() => opened.ui.testId('runs-truncated').textContent(), { timeout: 15_000 }).toContain('the newest 10,000 shown');
      expect(await opened.ui.testId('runs-count').textContent()).toContain('10000 runs');
      await opened.page.getByLabel('Model').fill('rare/model');
      await expect.poll(() => opened.ui.testId('runs-count').textContent(), { timeout: 15_000 }).toContain(`${ROWS / 100} runs`);
      expect(await opened.ui.testId('runs-truncated').count()).toBe(0);
      expect(opened.pageErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});
