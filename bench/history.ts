import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { INDEX_SNAPSHOT_NAME } from '../src/store/index.js';
import { startLab, type RunningLab } from '../test/support/start-lab.js';
import { DEFAULT_HISTORY_SHAPE, historyNames, SCORED_EVERY_RUNS, writeRunHistory } from './support/run-history.js';
import { rssKb } from './support/lab.js';
import { count, goalCell, ms, ratio, span, type GoalResult, type Row, type SectionReport } from './support/report.js';
import { percentile, timed } from './support/stats.js';

/**
 * History at scale (issue 16): a generated runs.csv of BENCH_HISTORY_ROWS runs (default
 * 1,000,000: 40 models, 300 agents, 2,000 experiments, a session per 8 runs; a check score on
 * every 10th run in scores.csv), served by the built lab in files mode. Measures filtered
 * `/api/runs`, `/api/runs/summary`, `/api/experiments`, `/api/scores` by a run filter, start-up
 * (process start → `/health` answers) with and without the run index's snapshot, and RSS;
 * each beside the same figure on a 10,000-run history in the same run (cost follows the
 * answer, not the history).
 */

const BASELINE_ROWS = 10_000;
const REPEATS = 25;

interface HistoryLab {
  rows: number;
  cwd: string;
}

async function prepareHistory(rows: number): Promise<HistoryLab> {
  const cwd = await mkdtemp(path.join(os.tmpdir(), `agent-lab-history-${rows}-`));
  await mkdir(path.join(cwd, 'data', 'sessions'), { recursive: true });
  await writeRunHistory(path.join(cwd, 'data', 'runs.csv'), { ...DEFAULT_HISTORY_SHAPE, rows, scoresFile: path.join(cwd, 'data', 'scores.csv') });
  return { rows, cwd };
}

/** The queries a user makes, with values that exist at any history size; `goalMs`: issue 16's p50 goal, where it set one. */
function queries(rows: number): Array<{ name: string; path: string; goalMs?: number }> {
  const experiments = DEFAULT_HISTORY_SHAPE.experiments;
  return [
    { name: '`/api/runs?model=X&limit=50`', path: `/api/runs?model=${encodeURIComponent(historyNames(5).model)}&limit=50`, goalMs: 50 },
    { name: '`/api/runs?experiment_id=E`', path: `/api/runs?experiment_id=${historyNames(Math.floor(experiments / 2)).experiment}`, goalMs: 50 },
    { name: '`/api/runs?session_id=S`', path: `/api/runs?session_id=${historyNames(Math.floor(rows / DEFAULT_HISTORY_SHAPE.runsPerSession / 2)).session}`, goalMs: 50 },
    { name: '`/api/runs/summary` (all runs)', path: '/api/runs/summary', goalMs: 200 },
    { name: '`/api/runs/summary?model=X`', path: `/api/runs/summary?model=${encodeURIComponent(historyNames(5).model)}`, goalMs: 200 },
    // Every experiment of the history (the newest 500): the Evaluations view's list.
    { name: '`/api/experiments`', path: '/api/experiments' },
    // The scores of one model's runs: the runs are selected by id only, then their scores read.
    { name: '`/api/scores?model=X`', path: `/api/scores?model=${encodeURIComponent(historyNames(5).model)}` },
  ];
}

async function timedStart(history: HistoryLab): Promise<{ lab: RunningLab; ms: number }> {
  const started = performance.now();
  // A first start over a large history on a loaded machine may take longer than tests allow.
  const lab = await startLab({ cwd: history.cwd, startTimeoutMs: 180_000 });
  return { lab, ms: performance.now() - started };
}

/** The queries issue 16 set goals for come first; RSS is taken after them and again after all. */
const ISSUE_QUERIES = 5;

/** p50 (and all samples) of each query, after one warm-up call each; RSS (MB) after issue 16's queries and after all. */
async function measureQueries(lab: RunningLab, rows: number): Promise<{ results: Map<string, { samples: number[]; count: number }>; rssAfterRunQueries: number; rssAfterAll: number }> {
  const results = new Map<string, { samples: number[]; count: number }>();
  let rssAfterRunQueries = 0;
  for (const [index, query] of queries(rows).entries()) {
    if (index === ISSUE_QUERIES) rssAfterRunQueries = (await rssKb(lab.child.pid!)) / 1024;
    const samples: number[] = [];
    let answered = 0;
    const once = async () => {
      const response = await fetch(`${lab.url}${query.path}`);
      const body = (await response.json()) as { count: number };
      if (response.status !== 200) throw new Error(`${query.path}: ${response.status} ${JSON.stringify(body)}`);
      answered = body.count;
    };
    await once();
    for (let repeat = 0; repeat < REPEATS; repeat++) samples.push((await timed(once)).ms);
    results.set(query.name, { samples, count: answered });
  }
  return { results, rssAfterRunQueries, rssAfterAll: (await rssKb(lab.child.pid!)) / 1024 };
}

export async function runHistoryBench(): Promise<SectionReport> {
  const rows = Number(process.env.BENCH_HISTORY_ROWS ?? 1_000_000);
  const writing = await timed(() => prepareHistory(rows));
  const big = writing.value;
  const small = await prepareHistory(BASELINE_ROWS);
  const runsCsvBytes = (await stat(path.join(big.cwd, 'data', 'runs.csv'))).size;
  const table: Row[] = [];
  const goals: GoalResult[] = [];
  const notes: string[] = [];
  try {
    // Baseline: the same lab on a 10,000-run history.
    const smallStart = await timedStart(small);
    const small10k = await measureQueries(smallStart.lab, BASELINE_ROWS);
    const smallQueries = small10k.results;
    const smallRss = small10k.rssAfterRunQueries;
    await smallStart.lab.close({ keep: true });
    const smallWarm = await timedStart(small);
    await smallWarm.lab.close({ keep: true });

    // The big history: first start builds the index (no snapshot), the second loads it.
    const cold = await timedStart(big);
    const coldMeasured = await measureQueries(cold.lab, rows);
    const coldQueries = coldMeasured.results;
    const coldRss = coldMeasured.rssAfterRunQueries;
    await cold.lab.close({ keep: true });
    const snapshotBytes = (await stat(path.join(big.cwd, 'data', INDEX_SNAPSHOT_NAME))).size;
    const warm = await timedStart(big);
    const warmMeasured = await measureQueries(warm.lab, rows);
    const warmQueries = warmMeasured.results;
    const warmRss = warmMeasured.rssAfterRunQueries;
    await warm.lab.close({ keep: true });

    const label = `${count(rows)} runs`;
    for (const query of queries(rows)) {
      const lab = warmQueries.get(query.name)!;
      const baseline = smallQueries.get(query.name)!;
      const p50 = percentile(lab.samples, 50);
      const limit = query.goalMs;
      const met = limit === undefined || p50 <= limit;
      table.push({
        figure: `${query.name} p50 (${count(lab.count)} answered of ${label}; baseline ${count(baseline.count)} of 10,000)`,
        value: ms(p50),
        baseline: ms(percentile(baseline.samples, 50)),
        ratio: ratio(p50, percentile(baseline.samples, 50)),
        goal: limit === undefined ? '' : goalCell(`≤ ${limit} ms`, met),
        range: span(lab.samples, (value) => ms(value)),
      });
      if (limit !== undefined) goals.push({ goal: `history: ${query.name} p50 at ${label} ≤ ${limit} ms`, met, detail: ms(p50) });
    }
    table.push({
      figure: `start-up with the index snapshot (process start → /health), ${label}`,
      value: ms(warm.ms, 0),
      baseline: ms(smallWarm.ms, 0),
      ratio: ratio(warm.ms, smallWarm.ms),
      goal: goalCell('≤ 10 s', warm.ms <= 10_000),
      range: '',
    });
    goals.push({ goal: `history: start-up at ${label} ≤ 10 s`, met: warm.ms <= 10_000, detail: `${ms(warm.ms, 0)} with the snapshot, ${ms(cold.ms, 0)} without` });
    table.push({
      figure: `start-up without a snapshot (one pass over runs.csv builds the index), ${label}`,
      value: ms(cold.ms, 0),
      baseline: ms(smallStart.ms, 0),
      ratio: ratio(cold.ms, smallStart.ms),
      goal: goalCell('≤ 10 s', cold.ms <= 10_000),
      range: '',
    });
    // The usual start loads the snapshot; a build from scratch (first start, or after a restore) is reported beside it.
    const rssMet = warmRss <= 300;
    table.push({
      figure: `RSS after start-up and the run queries above, ${label} (start with the snapshot)`,
      value: `${warmRss.toFixed(0)} MB`,
      baseline: `${smallRss.toFixed(0)} MB`,
      ratio: ratio(warmRss, smallRss),
      goal: goalCell('≤ 300 MB', rssMet),
      range: '',
    });
    table.push({
      figure: `RSS after start-up and the run queries above, ${label} (first start: index built from runs.csv)`,
      value: `${coldRss.toFixed(0)} MB`,
      baseline: `${smallRss.toFixed(0)} MB`,
      ratio: ratio(coldRss, smallRss),
      goal: goalCell('≤ 300 MB', coldRss <= 300),
      range: '',
    });
    table.push({
      figure: `RSS after also the /api/experiments and /api/scores queries, ${label} (start with the snapshot)`,
      value: `${warmMeasured.rssAfterAll.toFixed(0)} MB`,
      baseline: `${small10k.rssAfterAll.toFixed(0)} MB`,
      ratio: ratio(warmMeasured.rssAfterAll, small10k.rssAfterAll),
      goal: '',
      range: '',
    });
    goals.push({ goal: `history: RSS at ${label} ≤ 300 MB`, met: rssMet, detail: `${warmRss.toFixed(0)} MB (started with the snapshot); ${coldRss.toFixed(0)} MB after a build from scratch` });
    notes.push(
      `runs.csv: ${count(rows)} runs, ${(runsCsvBytes / 2 ** 20).toFixed(0)} MiB, generated in ${(writing.ms / 1000).toFixed(1)} s; index snapshot (\`data/${INDEX_SNAPSHOT_NAME}\`): ${(snapshotBytes / 2 ** 20).toFixed(0)} MiB.`,
      `Queries on the first (index built) start, p50: ${[...coldQueries.entries()].map(([name, result]) => `${name} ${ms(percentile(result.samples, 50))}`).join('; ')}.`,
      'Baseline: the same lab, same queries, on a 10,000-run history generated the same way; the RSS baseline is that lab after the same queries.',
    );
  } finally {
    await rm(big.cwd, { recursive: true, force: true });
    await rm(small.cwd, { recursive: true, force: true });
  }
  return {
    id: 'history',
    title: `History at scale (${count(rows)} runs, files mode)`,
    method:
      `A generated runs.csv (BENCH_HISTORY_ROWS=${rows}; 40 models, 300 agents, 2,000 experiments, a session per 8 runs; aborted, failed, unpriced runs and quoted fields among them) and scores.csv (a check score on every ${SCORED_EVERY_RUNS}th run) served by the built lab. ` +
      `Each query: one warm-up, then ${REPEATS} sequential requests from this process (HTTP included). Start-up: process start until /health answers, first without the run index snapshot (one pass over runs.csv), then with it (after a graceful stop saved it). ` +
      'Baselines: the same figures on a 10,000-run history in the same run.',
    rows: table,
    notes,
    goals,
  };
}
