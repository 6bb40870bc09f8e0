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
 * `/api/experiments` and the Evaluations view list experiments of the whole history.
 */

const ROWS = 12_000;
/** `old-exp` (runs 0–99), then `exp-0` … `exp-11`, a thousand runs each (exp-0 without the first 100). */
const experimentOf = (index: number) => (index < 100 ? 'old-exp' : `exp-${Math.floor(index / 1000)}`);
let cwd: string;
let lab: RunningLab | undefined;

beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-history-'));
  await mkdir(path.join(cwd, 'data', 'sessions'), { recursive: true });
  const runs = Array.from({ length: ROWS }, (_, index) =>
    runToCsvFields(
      sampleRun({
        run_id: `run-${index}`,
        model: index % 100 === 0 ? 'rare/model' : 'common/model',
        ts: new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString(),
        // The first 100 runs are an experiment older than the newest 10,000 runs.
        experiment_id: experimentOf(index),
      }),
    ),
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

  it('lists every experiment of the whole history, newest first, however old; the unfiltered leaderboard is capped like /api/runs', async () => {
    lab ??= await startLab({ cwd });
    const all = await api(`${lab.url}/api/experiments`);
    expect(all.status).toBe(200);
    expect(all.json.count).toBe(13);
    expect(all.json.truncated).toBeUndefined();
    expect(all.json.experiments.map((experiment: { experiment_id: string }) => experiment.experiment_id)).toEqual([
      ...Array.from({ length: 12 }, (_, index) => `exp-${11 - index}`),
      'old-exp',
    ]);
    expect(all.json.experiments[0]).toEqual({ experiment_id: 'exp-11', runs: 1000, first_run_at: '2026-01-01T03:03:20.000Z', last_run_at: '2026-01-01T03:19:59.000Z' });
    expect(all.json.experiments.at(-1)).toEqual({ experiment_id: 'old-exp', runs: 100, first_run_at: '2026-01-01T00:00:00.000Z', last_run_at: '2026-01-01T00:01:39.000Z' });

    expect((await api(`${lab.url}/api/experiments?limit=2`)).json).toMatchObject({ count: 2, truncated: true, limit: 2, experiments: [{ experiment_id: 'exp-11' }, { experiment_id: 'exp-10' }] });
    expect((await api(`${lab.url}/api/experiments?q=OLD`)).json).toEqual({ count: 1, experiments: [expect.objectContaining({ experiment_id: 'old-exp' })] });
    for (const bad of ['limit=0', 'limit=ten', 'limit=10001', 'sort=name']) {
      const refused = await api(`${lab.url}/api/experiments?${bad}`);
      expect(refused.status, bad).toBe(400);
      expect(refused.json.error.message, bad).toMatch(/^Invalid query: (limit|unknown field)/);
    }

    const board = await api(`${lab.url}/api/leaderboard`);
    expect(board.json).toMatchObject({ runs: 10_000, truncated: true, limit: 10_000 });
    const old = await api(`${lab.url}/api/leaderboard?experiment_id=old-exp`);
    expect(old.json).toMatchObject({ experiment_id: 'old-exp', runs: 100 });
    expect(old.json.truncated).toBeUndefined();
  });

  it.skipIf(missing(CHROMIUM_PREREQUISITE))('the Evaluations view lists an experiment older than the newest 10,000 runs and finds it by search; the bake-off pickers suggest it', async () => {
    lab ??= await startLab({ cwd });
    const opened = await openLabPage({ url: lab.url });
    try {
      await opened.ui.openView('evals');
      const old = opened.page.locator('[data-testid="experiment-item"][data-experiment-id="old-exp"]');
      await expect.poll(() => old.count(), { timeout: 15_000 }).toBe(1);
      expect(await old.textContent()).toContain('100 runs');
      expect(await opened.page.locator('[data-testid="experiment-item"]').count()).toBe(13);
      await old.click();
      // Its leaderboard: run 0 is on rare/model, runs 1–99 on common/model.
      const rows = opened.page.locator('[data-testid="evals-leaderboard"] [data-testid="leaderboard-row"]');
      await expect.poll(() => rows.evaluateAll((found) => found.map((row) => `${row.children[2]?.textContent} ${row.children[3]?.textContent}`).sort()), { timeout: 15_000 }).toEqual(['common/model 99', 'rare/model 1']);

      await opened.ui.testId('experiment-search').fill('exp-1');
      await expect
        .poll(() => opened.page.locator('[data-testid="experiment-item"]').evaluateAll((items) => items.map((item) => item.getAttribute('data-experiment-id'))), { timeout: 15_000 })
        .toEqual(['exp-11', 'exp-10', 'exp-1']);

      // The bake-off view's experiment pickers suggest it too.
      await opened.ui.openView('bakeoff');
      await expect.poll(() => opened.page.locator('[data-testid="experiment-summary"] datalist option[value="old-exp"]').count(), { timeout: 15_000 }).toBe(1);
      expect(opened.pageErrors).toEqual([]);
    } finally {
      await opened.close();
    }
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

describe.skipIf(missing(CHROMIUM_PREREQUISITE))('more experiments than one answer', () => {
  it('the Evaluations view says it shows the newest 500 experiments, and its search finds an older one', async () => {
    const manyCwd = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-experiments-'));
    let manyLab: RunningLab | undefined;
    try {
      await mkdir(path.join(manyCwd, 'data', 'sessions'), { recursive: true });
      // 501 experiments of one run each: many-0 is the oldest, the one a 500-experiment answer leaves out.
      const runs = Array.from({ length: 501 }, (_, index) => runToCsvFields(sampleRun({ run_id: `many-run-${index}`, experiment_id: `many-${index}`, ts: new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString() })));
      await writeFile(path.join(manyCwd, 'data', 'runs.csv'), encodeCsvRecord(RUN_COLUMNS) + encodeCsvRecords(runs));
      manyLab = await startLab({ cwd: manyCwd });
      const opened = await openLabPage({ url: manyLab.url });
      try {
        await opened.ui.openView('evals');
        const items = opened.page.locator('[data-testid="experiment-item"]');
        await expect.poll(() => opened.ui.testId('experiments-truncated').count(), { timeout: 15_000 }).toBe(1);
        expect(await opened.ui.testId('experiments-truncated').textContent()).toContain('The 500 most recent shown');
        expect(await items.count()).toBe(500);
        expect(await items.first().getAttribute('data-experiment-id')).toBe('many-500');
        expect(await opened.page.locator('[data-testid="experiment-item"][data-experiment-id="many-0"]').count()).toBe(0);

        await opened.ui.testId('experiment-search').fill('MANY-0');
        await expect.poll(() => items.evaluateAll((found) => found.map((item) => item.getAttribute('data-experiment-id'))), { timeout: 15_000 }).toEqual(['many-0']);
        expect(await opened.ui.testId('experiments-truncated').count()).toBe(0);
        expect(opened.pageErrors).toEqual([]);
      } finally {
        await opened.close();
      }
    } finally {
      await manyLab?.close();
      await rm(manyCwd, { recursive: true, force: true });
    }
  });
});
