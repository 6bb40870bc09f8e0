import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRunFilter, applyScoreFilter, experimentsOf, summariseFiltered, type RunFilter, type ScoreFilter } from '../../domain/history.js';
import type { RunRecord } from '../../domain/run.js';
import type { ScoreRecord } from '../../domain/score.js';
import { missing } from '../../../test/support/prerequisites.js';
import { postgresPrerequisite, startPostgres, type PostgresCluster } from '../../../test/support/postgres.js';
import { sampleRun } from '../../domain/sample-run.js';
import { openPostgresStorage, type PostgresStorage } from './postgres-storage.js';

/** A small deterministic generator (mulberry32), so a failure reproduces. */
function randomSource(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = ['openai/gpt-4o-mini', 'anthropic/claude-3.5-haiku', 'local/agent-lab-tiny', 'meta/llama-3-8b', 'b-model', 'B-model'];
const EXPERIMENTS = ['', 'exp-1', 'exp-2', 'bake-3', 'Exp-Upper', 'éxp-ünïcode', 'exp-%_'];

/** A history with every case the summary distinguishes: aborted, failed, unpriced, unmeasurable, ties, odd timestamps. */
function variedHistory(count: number): RunRecord[] {
  const random = randomSource(20261201);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const start = Date.parse('2026-11-01T00:00:00Z');
  return Array.from({ length: count }, (_, index) => {
    const roll = random();
    const aborted = roll < 0.08;
    const failed = !aborted && roll < 0.15;
    const tied = random() < 0.2;
    const ts =
      index % 97 === 13 ? 'not a date' : index % 89 === 7 ? '2026-11-03 04:05:06.123456+00:00' : new Date(start + index * 60_000 + Math.floor(random() * 1000)).toISOString();
    return sampleRun({
      run_id: `run-${index}`,
      session_id: `session-${index % 17}`,
      agent_id: `agent-${index % 5}`,
      agent_name: pick(['Tester', 'Judge', 'Writer']),
      model: pick(MODELS),
      ts,
      prompt_tokens: Math.floor(random() * 5000),
      completion_tokens: Math.floor(random() * 2000),
      total_tokens: Math.floor(random() * 7000),
      latency_ms: tied ? 500 : Math.round(random() * 100_000) / 10,
      ttft_ms: random() < 0.1 ? null : tied ? 120 : Math.round(random() * 30_000) / 10,
      tokens_per_s: random() < 0.15 ? null : Math.round(random() * 20_000) / 100,
      cost_usd: random() < 0.1 ? null : random() < 0.05 ? 0 : random() * 0.01,
      experiment_id: pick(EXPERIMENTS),
      task_label: pick(['', 'qa', 'judge', 'summary']),
      bakeoff_id: random() < 0.1 ? `bakeoff-${index % 3}` : '',
      aborted,
      error: failed ? 'provider:timeout' : '',
      finish_reason: aborted ? 'aborted' : failed ? 'error' : 'stop',
      streaming: random() < 0.9,
      tool_web_enabled: random() < 0.3,
      web_status: pick(['off', 'ok', 'blocked'] as const),
      model_list_source: pick(['dynamic', 'fallback', 'local'] as const),
      run_notes: index % 50 === 0 ? 'notes, with "quotes"\nand a line' : '',
    });
  });
}

const RUN_FILTERS: RunFilter[] = [
  {},
  { limit: 1 },
  { limit: 250 },
  { experiment_id: 'exp-1' },
  { experiment_id: 'exp-2', limit: 40 },
  { experiment_id: 'no-such-experiment' },
  { model: 'B-model' },
  { model: 'local/agent-lab-tiny', task_label: 'qa' },
  { agent: 'Judge' },
  { agent: 'agent-3' },
  { session_id: 'session-4' },
  { bakeoff_id: 'bakeoff-1' },
  { since: '2026-11-02' },
  { since: '2026-11-02T10:00:00Z', experiment_id: 'exp-1', limit: 7 },
  { since: '2099-01-01' },
  { task_label: '' },
];

describe.skipIf(missing(postgresPrerequisite()))('PostgreSQL run and score history', () => {
  let cluster: PostgresCluster;
  let storage: PostgresStorage;
  const runs = variedHistory(2500);

  beforeAll(async () => {
    cluster = await startPostgres();
    storage = await openPostgresStorage({ url: await cluster.createDatabase() });
    for (let index = 0; index < runs.length; index += 250) await Promise.all(runs.slice(index, index + 250).map((run) => storage.runs.append(run)));
  }, 180_000);
  afterAll(async () => {
    await storage?.close();
    await cluster?.stop();
  });

  // Appended in parallel batches, so file order is the order of the rows' commits: the reference runs over the same order.
  const inStoredOrder = async () => storage.runs.findRuns({});

  it('stores every run once, with every field as it was given', async () => {
    const stored = await inStoredOrder();
    expect(stored).toHaveLength(runs.length);
    const byId = new Map(runs.map((run) => [run.run_id, run]));
    for (const run of stored) expect(run).toEqual(byId.get(run.run_id));
    await storage.runs.append(runs[0] as RunRecord);
    expect(await storage.runs.findRuns({ limit: 100_000 })).toHaveLength(runs.length);
    expect(await storage.runs.getRun('run-42')).toEqual(byId.get('run-42'));
    expect(await storage.runs.getRun('no-such-run')).toBeUndefined();
  });

  it.each(RUN_FILTERS.map((filter) => [JSON.stringify(filter), filter] as const))('findRuns(%s) equals the reference filter', async (_name, filter) => {
    const reference = applyRunFilter(await inStoredOrder(), filter);
    expect(await storage.runs.findRuns(filter)).toEqual(reference);
  });

  it.each(RUN_FILTERS.map((filter) => [JSON.stringify(filter), filter] as const))('findRunIds(%s) equals the reference filter\'s ids', async (_name, filter) => {
    expect(await storage.runs.findRunIds(filter)).toEqual(applyRunFilter(await inStoredOrder(), filter).map((run) => run.run_id));
  });

  it('lists experiments as the reference does: newest first, limit, q as a substring with A-Z in either case', async () => {
    const stored = await inStoredOrder();
    const queries = [{ limit: 500 }, { limit: 2 }, { q: 'exp', limit: 500 }, { q: 'EXP-u', limit: 500 }, { q: '%_', limit: 500 }, { q: 'ÜNÏ', limit: 500 }, { q: 'ünï', limit: 500 }, { q: 'none', limit: 5 }];
    for (const query of queries) expect(await storage.runs.listExperiments(query), JSON.stringify(query)).toEqual(experimentsOf(stored, query));
    expect((await storage.runs.listExperiments({ limit: 500 })).map((experiment) => experiment.experiment_id).sort()).toEqual(EXPERIMENTS.filter((id) => id !== '').sort());
  });

  it.each(RUN_FILTERS.map((filter) => [JSON.stringify(filter), filter] as const))('findRunPages(%s) pages through what findRuns returns', async (_name, filter) => {
    const pages: RunRecord[][] = [];
    for await (const page of storage.runs.findRunPages(filter, { pageSize: 97 })) pages.push(page);
    expect(pages.every((page) => page.length > 0 && page.length <= 97)).toBe(true);
    expect(pages.flat()).toEqual(await storage.runs.findRuns(filter));
  });

  it.each(RUN_FILTERS.map((filter) => [JSON.stringify(filter), filter] as const))('summarise(%s) equals summariseRuns exactly', async (_name, filter) => {
    const reference = summariseFiltered(await inStoredOrder(), filter);
    const summary = await storage.runs.summarise(filter);
    expect(summary).toEqual(reference);
    if (reference.count > 0) expect(summary.models.length).toBeGreaterThan(0);
  });

  it('finds scores by run ids, experiment, kind, time and limit like the reference', async () => {
    const random = randomSource(7);
    const scores: ScoreRecord[] = Array.from({ length: 600 }, (_, index) => ({
      ts: new Date(Date.parse('2026-11-01T00:00:00Z') + index * 3_600_000).toISOString(),
      score_id: `score-${index}`,
      run_id: `run-${index % 300}`,
      experiment_id: EXPERIMENTS[index % EXPERIMENTS.length] as string,
      agent_id: `agent-${index % 5}`,
      model: MODELS[index % MODELS.length] as string,
      scorer: index % 2 ? 'icontains' : 'Judge',
      kind: (['check', 'judge', 'pairwise', 'human'] as const)[index % 4] as ScoreRecord['kind'],
      value: index % 11 === 0 ? null : Math.round(random() * 1000) / 1000,
      pass: index % 3 === 0 ? null : random() < 0.5,
      reason: index % 7 === 0 ? 'a reason\nwith "quotes"' : '',
      judge_run_id: '',
      opponent_run_id: index % 4 === 2 ? `run-${index + 1}` : '',
      eval_case: `case-${index % 9}`,
      rater: '',
    }));
    await storage.scores.append(scores.slice(0, 400));
    await storage.scores.append(scores.slice(400));
    await storage.scores.append(scores.slice(0, 10));
    const filters: ScoreFilter[] = [
      {},
      { run_ids: ['run-1', 'run-2', 'run-299', 'run-none'] },
      { run_ids: [] },
      { experiment_id: 'exp-2', kind: 'judge' },
      { since: '2026-11-20T00:00:00Z', limit: 5 },
      { kind: 'human', limit: 3 },
    ];
    for (const filter of filters) expect(await storage.scores.findScores(filter)).toEqual(applyScoreFilter(scores, filter));
  });
});
