import { stringify } from 'csv-stringify/sync';
import { applyCheck, checkAssertSchema, type CheckAssert, type CheckSubject } from '../src/domain/checks.js';
import { buildLeaderboard } from '../src/domain/leaderboard.js';
import type { RunRecord } from '../src/domain/run.js';
import { SCORE_COLUMNS, scoreToCsvFields, type ScoreRecord } from '../src/domain/score.js';
import { writeFile } from 'node:fs/promises';
import { ScoresCsv, parseScoresCsv } from '../src/store/index.js';
import { sampleRun, temporaryDataDir } from '../src/store/test-support.js';
import { count, ms, ratio, span, type Row, type SectionReport } from './support/report.js';
import { median } from './support/stats.js';

/**
 * Evaluations: deterministic checks per second over 100,000 runs (`applyCheck`, as the lab
 * scores an eval) beside a plain loop making the same decisions inline over the same data;
 * the regex check (run in a V8 context under a time limit) beside a bare `RegExp.test`; the
 * leaderboard over 100,000 scores (`buildLeaderboard`, Bradley–Terry with a 200-sample
 * bootstrap) beside `JSON.parse` of the same scores as JSON lines; reading 100,000 scores
 * from scores.csv bytes beside the same `JSON.parse`.
 */

const RUNS = 100_000;
const SCORES = 100_000;
const REPEATS = 3;

function subjects(): CheckSubject[] {
  const words = ['hello', 'world', 'banana', 'answer', 'Paris', 'forty-two', 'JSON', 'tool'];
  return Array.from({ length: RUNS }, (_, index) => ({
    answer: index % 10 === 0 ? JSON.stringify({ name: words[index % 8], index }) : `${words[index % 8]} ${words[(index * 7) % 8]} — run ${index}. ${'More text here. '.repeat(index % 5)}`,
    tool_calls: index % 4 === 0 ? [{ name: 'add_numbers', args: `{"a":${index % 9},"b":3}` }] : [],
    latency_ms: 200 + (index % 3000),
    ttft_ms: index % 50 === 0 ? null : 50 + (index % 400),
    tokens_per_s: index % 20 === 0 ? null : 10 + (index % 90),
    cost_usd: index % 30 === 0 ? null : 0.00001 * (index % 100),
    finish_reason: index % 17 === 0 ? 'length' : 'stop',
    aborted: false,
    error: '',
  }));
}

const CHEAP_CHECKS: CheckAssert[] = [
  { type: 'contains', value: 'hello' },
  { type: 'icontains', value: 'PARIS' },
  { type: 'not-contains', value: 'banana' },
  { type: 'equals', value: 'hello world' },
  { type: 'is-json' },
  { type: 'tool-called', value: 'add_numbers' },
  { type: 'max-latency-ms', value: 2000 },
  { type: 'max-ttft-ms', value: 300 },
  { type: 'max-cost-usd', value: 0.0005 },
  { type: 'min-tokens-per-s', value: 20 },
  { type: 'finish-reason', value: 'stop' },
].map((assert) => checkAssertSchema.parse(assert));

/** The same 11 decisions written inline: no reasons, no dispatch. */
function plainDecisions(subject: CheckSubject): number {
  let passed = 0;
  const answer = subject.answer;
  if (answer.includes('hello')) passed++;
  if (answer.toLowerCase().includes('paris')) passed++;
  if (!answer.includes('banana')) passed++;
  if (answer.trim() === 'hello world') passed++;
  try {
    JSON.parse(answer);
    passed++;
  } catch {
    // not JSON: the check fails
  }
  if (subject.tool_calls.some((call) => call.name === 'add_numbers')) passed++;
  if (subject.latency_ms <= 2000) passed++;
  if (subject.ttft_ms !== null && subject.ttft_ms <= 300) passed++;
  if (subject.cost_usd !== null && subject.cost_usd <= 0.0005) passed++;
  if (subject.tokens_per_s !== null && subject.tokens_per_s >= 20) passed++;
  if (subject.finish_reason === 'stop') passed++;
  return passed;
}

function timeSync(fn: () => number): { ms: number; value: number } {
  const started = performance.now();
  const value = fn();
  return { ms: performance.now() - started, value };
}

function leaderboardData(): { runs: RunRecord[]; scores: ScoreRecord[] } {
  const agents = 8;
  const runs = Array.from({ length: 20_000 }, (_, index) =>
    sampleRun({ run_id: `run-${index}`, agent_id: `agent-${index % agents}`, agent_name: `Agent ${index % agents}`, model: `model/${index % agents}`, latency_ms: 100 + (index % 900), cost_usd: index % 13 === 0 ? null : 0.0001 }),
  );
  const scores: ScoreRecord[] = Array.from({ length: SCORES }, (_, index) => {
    const run = runs[index % runs.length]!;
    const kind = index % 10 === 0 ? 'pairwise' : index % 10 === 1 ? 'judge' : index % 10 === 2 ? 'human' : 'check';
    const opponent = runs[(index * 7 + 1) % runs.length]!;
    const strong = Number(run.agent_id.slice(6)) / agents;
    const value = kind === 'pairwise' ? ((index >> 3) % 3) / 2 : kind === 'judge' && index % 97 === 0 ? null : (index * 2654435761) % 1000 / 1000 < strong ? 1 : 0;
    return {
      ts: '2026-12-01T00:00:00.000Z', score_id: `score-${index}`, run_id: run.run_id, experiment_id: 'bench', agent_id: run.agent_id, model: run.model,
      scorer: kind === 'check' ? 'icontains:x' : kind === 'human' ? 'human' : 'Judge', kind, value,
      pass: kind === 'pairwise' || value === null ? null : value >= 0.5, reason: kind === 'pairwise' && index % 30 === 0 ? 'position bias: the verdicts disagreed' : 'a reason',
      judge_run_id: '', opponent_run_id: kind === 'pairwise' ? opponent.run_id : '', eval_case: 'case', rater: '',
    };
  });
  return { runs, scores };
}

export async function runEvalsBench(): Promise<SectionReport> {
  const data = subjects();
  const checkRates: number[] = [];
  const plainRates: number[] = [];
  let labPassed = 0;
  let plainPassed = 0;
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const lab = timeSync(() => {
      let passed = 0;
      for (const subject of data) for (const assert of CHEAP_CHECKS) if (applyCheck(assert, subject).pass) passed++;
      return passed;
    });
    const plain = timeSync(() => {
      let passed = 0;
      for (const subject of data) passed += plainDecisions(subject);
      return passed;
    });
    labPassed = lab.value;
    plainPassed = plain.value;
    checkRates.push((RUNS * CHEAP_CHECKS.length) / (lab.ms / 1000));
    plainRates.push((RUNS * CHEAP_CHECKS.length) / (plain.ms / 1000));
  }
  // Same decisions, or the comparison means nothing.
  if (labPassed !== plainPassed) throw new Error(`applyCheck passed ${labPassed} checks, the plain loop ${plainPassed}`);
  console.log(`  evals: ${count(median(checkRates))} checks/s vs plain ${count(median(plainRates))}/s`);

  const regex = checkAssertSchema.parse({ type: 'regex', value: '\\bhel+o\\b', flags: 'i' });
  const bare = /\bhel+o\b/i;
  const regexRates: number[] = [];
  const bareRates: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const lab = timeSync(() => data.reduce((passed, subject) => passed + (applyCheck(regex, subject).pass ? 1 : 0), 0));
    const plain = timeSync(() => data.reduce((passed, subject) => passed + (bare.test(subject.answer) ? 1 : 0), 0));
    if (lab.value !== plain.value) throw new Error(`regex check passed ${lab.value}, bare RegExp ${plain.value}`);
    regexRates.push(RUNS / (lab.ms / 1000));
    bareRates.push(RUNS / (plain.ms / 1000));
  }
  console.log(`  evals: regex ${count(median(regexRates))} checks/s vs bare RegExp ${count(median(bareRates))}/s`);

  const { runs, scores } = leaderboardData();
  const jsonLines = scores.map((score) => JSON.stringify(score));
  const csvBytes = Buffer.from(stringify([[...SCORE_COLUMNS], ...scores.map(scoreToCsvFields)]));
  const boardTimes: number[] = [];
  const noBootstrapTimes: number[] = [];
  const jsonTimes: number[] = [];
  const csvTimes: number[] = [];
  let entries = 0;
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const board = timeSync(() => buildLeaderboard({ runs, scores }).entries.length);
    entries = board.value;
    boardTimes.push(board.ms);
    noBootstrapTimes.push(timeSync(() => buildLeaderboard({ runs, scores, bootstrapSamples: 0 }).entries.length).ms);
    jsonTimes.push(timeSync(() => jsonLines.reduce((total, line) => total + (JSON.parse(line) as ScoreRecord).score_id.length, 0)).ms);
    csvTimes.push(timeSync(() => parseScoresCsv(csvBytes).scores.length).ms);
  }
  if (entries !== 8) throw new Error(`the leaderboard has ${entries} entries, expected 8`);

  // The store re-reads only what was appended: a leaderboard after each new verdict.
  const { dataDir, cleanup } = await temporaryDataDir();
  const incrementalTimes: number[] = [];
  try {
    const store = new ScoresCsv({ dataDir });
    await store.init();
    await writeFile(store.path, csvBytes);
    await store.read();
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      await store.append(scores.slice(repeat * 100, repeat * 100 + 100).map((score) => ({ ...score, score_id: `${score.score_id}-again` })));
      const started = performance.now();
      const read = await store.read();
      incrementalTimes.push(performance.now() - started);
      if (read.scores.length !== SCORES + (repeat + 1) * 100) throw new Error(`read ${read.scores.length} scores after appending`);
    }
  } finally {
    await cleanup();
  }
  console.log(`  evals: leaderboard ${ms(median(boardTimes))} vs JSON.parse ${ms(median(jsonTimes))}`);

  const rate = (value: number) => `${count(value)}/s`;
  const rows: Row[] = [
    {
      figure: `11 deterministic checks × ${count(RUNS)} runs (checks/s)`,
      value: rate(median(checkRates)),
      baseline: `${rate(median(plainRates))} (plain inline loop, same decisions)`,
      ratio: ratio(median(checkRates), median(plainRates)),
      goal: '',
      range: span(checkRates, rate),
    },
    {
      figure: `regex check × ${count(RUNS)} runs (checks/s)`,
      value: rate(median(regexRates)),
      baseline: `${rate(median(bareRates))} (bare RegExp.test)`,
      ratio: ratio(median(regexRates), median(bareRates)),
      goal: '',
      range: span(regexRates, rate),
    },
    {
      figure: `leaderboard over ${count(SCORES)} scores, ${count(runs.length)} runs, 8 agents (200-sample bootstrap)`,
      value: ms(median(boardTimes)),
      baseline: `${ms(median(jsonTimes))} (JSON.parse of the same scores as JSON lines)`,
      ratio: ratio(median(boardTimes), median(jsonTimes)),
      goal: '',
      range: span(boardTimes, (value) => ms(value)),
    },
    {
      figure: 'the same leaderboard without the bootstrap interval',
      value: ms(median(noBootstrapTimes)),
      baseline: `${ms(median(jsonTimes))} (JSON.parse)`,
      ratio: ratio(median(noBootstrapTimes), median(jsonTimes)),
      goal: '',
      range: span(noBootstrapTimes, (value) => ms(value)),
    },
    {
      figure: `read ${count(SCORES)} scores from scores.csv bytes (parseScoresCsv)`,
      value: ms(median(csvTimes)),
      baseline: `${ms(median(jsonTimes))} (JSON.parse)`,
      ratio: ratio(median(csvTimes), median(jsonTimes)),
      goal: '',
      range: span(csvTimes, (value) => ms(value)),
    },
    {
      figure: `read scores.csv again after 100 new scores (${count(SCORES)} already read; ScoresCsv.read)`,
      value: ms(median(incrementalTimes)),
      baseline: `${ms(median(csvTimes))} (parsing the whole file, as every read did before)`,
      ratio: ratio(median(incrementalTimes), median(csvTimes)),
      goal: '',
      range: span(incrementalTimes, (value) => ms(value)),
    },
  ];
  return {
    id: 'evals',
    title: 'Evaluations',
    method:
      `In-process, ${REPEATS} repeats each, medians shown. Checks: \`applyCheck\` (src/domain/checks.ts) with 11 deterministic checks over ${count(RUNS)} synthetic runs ` +
      '(varied answers, tool calls, unpriced and unmeasurable runs), beside an inline loop making the same pass/fail decisions (asserted equal), so the ratio is the cost of ' +
      'dispatch and readable reasons. Regex: the check runs each pattern inside a V8 context with a 250 ms limit (ReDoS guard), beside a bare `RegExp.test`. ' +
      `Leaderboard: \`buildLeaderboard\` over ${count(SCORES)} scores (10 % pairwise, 10 % judge, 10 % human) on ${count(runs.length)} runs, beside \`JSON.parse\` of the same scores.`,
    rows,
    notes: ['A shared 2-core machine: the min–max columns show the noise.'],
    goals: [],
  };
}
