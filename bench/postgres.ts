import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { RunFilter } from '../src/domain/history.js';
import type { RunRecord } from '../src/domain/run.js';
import { openPostgresStorage, runRow, type PostgresStorage } from '../src/store/postgres/index.js';
import { postgresBinDirectory, startPostgres } from '../test/support/postgres.js';
import { count, goalCell, ms, ratio, span, type GoalResult, type Row, type SectionReport } from './support/report.js';
import { percentile } from './support/stats.js';

/**
 * PostgreSQL mode's history queries against the size of the history: the same queries timed
 * on a small history and on one ten times (or BENCH_PG_RUNS) larger, in one throwaway
 * PostgreSQL. Queries whose result does not grow (a fixed 500-run experiment, the last 50
 * of an experiment, one run by id) should cost the same at both sizes (ratio ≈ 1); a summary
 * of everything reads every row and grows with the history.
 */

export interface PostgresBenchOptions {
  smallRuns?: number;
  largeRuns?: number;
  repeats?: number;
}

const FIXED_EXPERIMENT = 'exp-fixed';
const FIXED_RUNS = 500;
const INSERT_BATCH = 2000;

function syntheticRun(index: number): RunRecord {
  // a cheap deterministic spread: 50 experiments, 20 models, 10 agents over a year
  const hash = Math.imul(index ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return {
    run_id: `bench-run-${index}`,
    session_id: `bench-session-${index % 5000}`,
    agent_id: `agent-${hash % 10}`,
    agent_name: `Agent ${hash % 10}`,
    model: `vendor/model-${hash % 20}`,
    ts: new Date(Date.UTC(2026, 0, 1) + index * 30_000).toISOString(),
    prompt_tokens: 100 + (hash % 900),
    completion_tokens: 50 + (hash % 450),
    total_tokens: 150 + (hash % 1350),
    latency_ms: 200 + (hash % 5000),
    ttft_ms: hash % 7 === 0 ? null : 50 + (hash % 900),
    tokens_per_s: hash % 5 === 0 ? null : (hash % 20000) / 100,
    cost_usd: hash % 11 === 0 ? null : (hash % 100000) / 1e8,
    experiment_id: `exp-${hash % 50}`,
    task_label: `task-${hash % 8}`,
    run_notes: '',
    streaming: true,
    model_list_source: 'dynamic',
    tool_web_enabled: false,
    web_status: 'off',
    aborted: hash % 31 === 0,
    finish_reason: 'stop',
    error: hash % 23 === 0 ? 'provider:timeout' : '',
    bakeoff_id: '',
  };
}

async function load(storage: PostgresStorage, from: number, to: number, fixed: boolean): Promise<void> {
  for (let start = from; start < to; start += INSERT_BATCH) {
    const rows = [];
    for (let index = start; index < Math.min(to, start + INSERT_BATCH); index += 1) {
      const run = syntheticRun(index);
      // the fixed experiment: its 500 runs spread evenly through the small history only
      rows.push(runRow(fixed && index % Math.floor(to / FIXED_RUNS) === 0 ? { ...run, experiment_id: FIXED_EXPERIMENT } : run));
    }
    await storage.db.insertInto('runs').values(rows).execute();
  }
  // fresh statistics, as autovacuum would gather them on a live database
  await sql`analyze runs`.execute(storage.db);
}

interface Query {
  figure: string;
  run: (storage: PostgresStorage, size: number) => Promise<unknown>;
  /** Whether the result stays the same size as the history grows. */
  fixed: boolean;
}

const QUERIES: Query[] = [
  { figure: `/api/runs?experiment_id=${FIXED_EXPERIMENT} (${FIXED_RUNS} runs)`, fixed: true, run: (storage) => storage.runs.findRuns({ experiment_id: FIXED_EXPERIMENT }) },
  { figure: 'the last 50 runs of one experiment (limit=50)', fixed: true, run: (storage) => storage.runs.findRuns({ experiment_id: 'exp-7', limit: 50 }) },
  { figure: 'one model since the last hour', fixed: true, run: (storage, size) => storage.runs.findRuns({ model: 'vendor/model-3', since: new Date(Date.UTC(2026, 0, 1) + (size - 120) * 30_000).toISOString() }) },
  { figure: 'one run by id', fixed: true, run: (storage, size) => storage.runs.getRun(`bench-run-${Math.floor(size / 2)}`) },
  { figure: `summary of ${FIXED_EXPERIMENT} (${FIXED_RUNS} runs)`, fixed: true, run: (storage) => storage.runs.summarise({ experiment_id: FIXED_EXPERIMENT }) },
  { figure: 'summary of one experiment (1/50 of the history)', fixed: false, run: (storage) => storage.runs.summarise({ experiment_id: 'exp-7' } satisfies RunFilter) },
  { figure: 'summary of the whole history', fixed: false, run: (storage) => storage.runs.summarise({}) },
  // `/api/experiments`: one GROUP BY over the (experiment_id, seq) index, which reads every entry.
  { figure: 'the experiments list (limit 500)', fixed: false, run: (storage) => storage.runs.listExperiments({ limit: 500 }) },
  // `/api/scores?model=X`: the run ids of one model (1/20 of the history).
  { figure: 'run ids of one model (1/20 of the history)', fixed: false, run: (storage) => storage.runs.findRunIds({ model: 'vendor/model-3' }) },
];

async function time(storage: PostgresStorage, query: Query, size: number, repeats: number): Promise<number[]> {
  await query.run(storage, size);
  const samples: number[] = [];
  for (let index = 0; index < repeats; index += 1) {
    const started = performance.now();
    await query.run(storage, size);
    samples.push(performance.now() - started);
  }
  return samples;
}

export async function runPostgresBench(options: PostgresBenchOptions = {}): Promise<SectionReport> {
  const largeRuns = options.largeRuns ?? (Number(process.env.BENCH_PG_RUNS) || 200_000);
  const smallRuns = options.smallRuns ?? Math.max(FIXED_RUNS * 4, Math.floor(largeRuns / 10));
  const repeats = options.repeats ?? 15;
  if (!postgresBinDirectory()) {
    return {
      id: 'postgres',
      title: 'PostgreSQL mode: history queries against history size',
      method: 'Not run: no PostgreSQL server programs here (apt-get install -y postgresql, or POSTGRES_BIN).',
      rows: [],
      notes: [],
      goals: [],
    };
  }
  const cluster = await startPostgres();
  const storage = await openPostgresStorage({ url: await cluster.createDatabase() });
  try {
    const loadStarted = performance.now();
    await load(storage, 0, smallRuns, true);
    const small = new Map<string, number[]>();
    for (const query of QUERIES) small.set(query.figure, await time(storage, query, smallRuns, repeats));
    await load(storage, smallRuns, largeRuns, false);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const rows: Row[] = [];
    const goals: GoalResult[] = [];
    for (const query of QUERIES) {
      const large = await time(storage, query, largeRuns, repeats);
      const baseline = small.get(query.figure) ?? [];
      const value = percentile(large, 50);
      const base = percentile(baseline, 50);
      const isSummary = query.figure.startsWith('summary');
      const limit = isSummary ? 200 : 50;
      const met = value <= limit;
      rows.push({
        figure: `${query.figure}, p50 at ${count(largeRuns)} runs`,
        value: ms(value),
        baseline: `${ms(base)} at ${count(smallRuns)} runs`,
        ratio: ratio(value, base),
        goal: query.fixed ? goalCell(`≤ ${limit} ms`, met) : '',
        range: span(large, (sample) => ms(sample)),
      });
      if (query.fixed) goals.push({ goal: `PostgreSQL: ${query.figure} p50 ≤ ${limit} ms at ${count(largeRuns)} runs`, met, detail: ms(value) });
    }
    return {
      id: 'postgres',
      title: 'PostgreSQL mode: history queries against history size',
      method:
        `One throwaway PostgreSQL (Debian's, fsync off), the lab's own stores (src/store/postgres). ${count(smallRuns)} synthetic runs ` +
        `(50 experiments, 20 models, one experiment of ${FIXED_RUNS} runs), each query timed ${repeats} times (p50); then the history grown to ` +
        `${count(largeRuns)} runs (load: ${loadSeconds.toFixed(1)} s in all, multi-row INSERTs) and the same queries timed again. ` +
        'The baseline is the same query on the small history in the same run: a ratio near 1 means the cost follows the result, not the history.',
      rows,
      notes: [
        'Results that do not grow with the history read index ranges ((column, seq) indexes, started_at); summaries aggregate in the database (percentile_disc, equal to files mode).',
        'A summary of the whole history reads every row by definition: it grows with the history (its ratio), as the same summary does in files mode.',
      ],
      goals,
    };
  } finally {
    await storage.close();
    await cluster.stop();
  }
}
