import { open } from 'node:fs/promises';
import { RUN_COLUMNS, runToCsvFields, type RunRecord } from '../../src/domain/run.js';
import { SCORE_COLUMNS, scoreToCsvFields, type ScoreRecord } from '../../src/domain/score.js';
import { encodeCsvRecord, encodeCsvRecords } from '../../src/store/index.js';

/**
 * A realistic runs.csv of any size, written quickly (rows encoded 10,000 at a time with the
 * store's codec): many models, agents, experiments and sessions; some runs aborted, failed,
 * unpriced or without TTFT; a few fields with commas, quotes and line breaks. Deterministic
 * for a given row count (a small linear congruential generator, no Math.random).
 */

export interface RunHistoryShape {
  rows: number;
  models: number;
  agents: number;
  experiments: number;
  /** Runs per session, on average. */
  runsPerSession: number;
}

export const DEFAULT_HISTORY_SHAPE: Omit<RunHistoryShape, 'rows'> = { models: 40, agents: 300, experiments: 2_000, runsPerSession: 8 };

/** The model, experiment and session of row `index`: what the benchmark filters by. */
export function historyNames(index: number): { model: string; experiment: string; session: string; agent: string } {
  return { model: `vendor-${index % 7}/model-${index}`, experiment: `exp-${index}`, session: `session-${index}`, agent: `Agent ${index}` };
}

function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The run at `index` of a history of this shape. */
export function historyRun(index: number, shape: RunHistoryShape, random: () => number): RunRecord {
  const model = historyNames(Math.floor(random() * random() * shape.models)).model;
  const agentIndex = Math.floor(random() * shape.agents);
  const sessionIndex = Math.floor(index / shape.runsPerSession);
  const experimentIndex = Math.floor((index / shape.rows) * shape.experiments);
  const streaming = random() < 0.85;
  const aborted = random() < 0.02;
  const failed = !aborted && random() < 0.03;
  const completion = failed ? 0 : Math.floor(random() * 900);
  const prompt = 20 + Math.floor(random() * 3000);
  const latency = Math.round(200 + random() * 9000) / (random() < 0.5 ? 1 : 10);
  const special = index % 997 === 0;
  return {
    run_id: `run-${index.toString(16).padStart(8, '0')}-${Math.floor(random() * 2 ** 32).toString(16)}`,
    session_id: historyNames(sessionIndex).session,
    agent_id: `agent-${agentIndex}`,
    agent_name: historyNames(agentIndex % Math.ceil(shape.agents / 2)).agent,
    model,
    ts: new Date(Date.UTC(2026, 0, 1) + index * 15_000).toISOString(),
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    latency_ms: latency,
    ttft_ms: streaming && !failed ? Math.round(random() * 20_000) / 10 : null,
    tokens_per_s: streaming && completion > 10 && random() < 0.9 ? Math.round(random() * 20_000) / 100 : null,
    cost_usd: random() < 0.06 ? null : Math.round(random() * 1e7) / 1e10,
    experiment_id: historyNames(experimentIndex).experiment,
    task_label: ['qa', 'summarise', 'code', 'judge', 'chat'][index % 5] as string,
    run_notes: special ? `note with a comma, a "quote"\nand a line break` : '',
    streaming,
    model_list_source: 'dynamic',
    tool_web_enabled: index % 11 === 0,
    web_status: index % 11 === 0 ? 'ok' : 'off',
    aborted,
    finish_reason: aborted ? 'aborted' : failed ? 'error' : 'stop',
    error: failed ? 'Provider error: upstream timed out' : '',
    bakeoff_id: index % 50 < 4 ? `bakeoff-${Math.floor(index / 50)}` : '',
  };
}

/** Every this many runs, one is scored (when a scores file is asked for). */
export const SCORED_EVERY_RUNS = 10;

/** A check score on `run` (pass for a run that did not fail). */
function historyScore(run: RunRecord, index: number): ScoreRecord {
  const passed = run.error === '' && !run.aborted;
  return {
    ts: run.ts,
    score_id: `score-${index.toString(16)}`,
    run_id: run.run_id,
    experiment_id: run.experiment_id,
    agent_id: run.agent_id,
    model: run.model,
    scorer: 'icontains',
    kind: 'check',
    value: passed ? 1 : 0,
    pass: passed,
    reason: passed ? '' : 'the run failed',
    judge_run_id: '',
    opponent_run_id: '',
    eval_case: run.task_label,
    rater: '',
  };
}

/**
 * Write `shape.rows` runs to `file` (replacing it), header first; with `scoresFile`, a check
 * score on every SCORED_EVERY_RUNS-th run there too (replacing it).
 */
export async function writeRunHistory(file: string, shape: RunHistoryShape & { scoresFile?: string }): Promise<void> {
  const random = generator(shape.rows);
  const handle = await open(file, 'w');
  const scoresHandle = shape.scoresFile ? await open(shape.scoresFile, 'w') : undefined;
  try {
    await handle.write(encodeCsvRecord(RUN_COLUMNS));
    await scoresHandle?.write(encodeCsvRecord(SCORE_COLUMNS));
    const chunk = 10_000;
    for (let start = 0; start < shape.rows; start += chunk) {
      const records: string[][] = [];
      const scores: string[][] = [];
      for (let index = start; index < Math.min(shape.rows, start + chunk); index++) {
        const run = historyRun(index, shape, random);
        records.push(runToCsvFields(run));
        if (index % SCORED_EVERY_RUNS === 0) scores.push(scoreToCsvFields(historyScore(run, index)));
      }
      await handle.write(encodeCsvRecords(records));
      if (scoresHandle && scores.length > 0) await scoresHandle.write(encodeCsvRecords(scores));
    }
  } finally {
    await handle.close();
    await scoresHandle?.close();
  }
}
