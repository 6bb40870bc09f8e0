import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from './run.js';
import type { ScoreRecord } from './score.js';
import { bradleyTerry, buildLeaderboard, wilsonInterval } from './leaderboard.js';

function run(overrides: Partial<RunRecord>): RunRecord {
  return {
    run_id: 'r', session_id: 's', agent_id: 'a', agent_name: 'A', model: 'm', ts: '2026-12-01T00:00:00.000Z',
    prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, latency_ms: 100, ttft_ms: 10, tokens_per_s: null, cost_usd: 0.001,
    experiment_id: 'e', task_label: '', run_notes: '', streaming: true, model_list_source: 'dynamic', tool_web_enabled: false,
    web_status: 'off', aborted: false, finish_reason: 'stop', error: '', bakeoff_id: '', ...overrides,
  };
}
function score(overrides: Partial<ScoreRecord>): ScoreRecord {
  return {
    ts: '2026-12-01T00:00:00.000Z', score_id: 's', run_id: 'r', experiment_id: 'e', agent_id: 'a', model: 'm', scorer: 'contains:x',
    kind: 'check', value: 1, pass: true, reason: '', judge_run_id: '', opponent_run_id: '', eval_case: '', rater: '', ...overrides,
  };
}

describe('wilsonInterval', () => {
  it('matches the textbook figures and stays inside 0..1 around the rate (property)', () => {
    const { low, high } = wilsonInterval(8, 10);
    expect(low).toBeCloseTo(0.4902, 3);
    expect(high).toBeCloseTo(0.9433, 3);
    expect(wilsonInterval(0, 0).rate).toBeNull();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (total, raw) => {
        const passed = raw % (total + 1);
        const interval = wilsonInterval(passed, total);
        expect(interval.low!).toBeGreaterThanOrEqual(0);
        expect(interval.high!).toBeLessThanOrEqual(1);
        expect(interval.low!).toBeLessThanOrEqual(interval.rate! + 1e-12);
        expect(interval.high!).toBeGreaterThanOrEqual(interval.rate! - 1e-12);
      }),
    );
  });
});

describe('bradleyTerry', () => {
  it('orders items by how often they win; all ties give equal strengths', () => {
    const strengths = bradleyTerry({ items: 3, comparisons: [
      { first: 0, second: 1, value: 1 }, { first: 0, second: 1, value: 1 }, { first: 1, second: 2, value: 1 },
      { first: 0, second: 2, value: 1 }, { first: 2, second: 1, value: 0.5 },
    ] });
    expect(strengths[0]!).toBeGreaterThan(strengths[1]!);
    expect(strengths[1]!).toBeGreaterThan(strengths[2]!);
    const tied = bradleyTerry({ items: 2, comparisons: [{ first: 0, second: 1, value: 0.5 }, { first: 1, second: 0, value: 0.5 }] });
    expect(tied[0]!).toBeCloseTo(tied[1]!, 6);
  });
});

describe('buildLeaderboard', () => {
  it('ranks the better agent first with pass rate, judge mean, win rate, rating and cost figures', () => {
    const runs = [
      run({ run_id: 'g1', agent_id: 'good', agent_name: 'Good', model: 'test/good', latency_ms: 100 }),
      run({ run_id: 'g2', agent_id: 'good', agent_name: 'Good', model: 'test/good', latency_ms: 300, cost_usd: null }),
      run({ run_id: 'b1', agent_id: 'bad', agent_name: 'Bad', model: 'test/bad', latency_ms: 50 }),
      run({ run_id: 'b2', agent_id: 'bad', agent_name: 'Bad', model: 'test/bad', latency_ms: 70 }),
      run({ run_id: 'j1', agent_id: 'judge', agent_name: 'Judge', model: 'test/judge-fair', task_label: 'judge' }),
    ];
    const scores = [
      score({ run_id: 'g1' }), score({ run_id: 'g2' }), score({ run_id: 'b1', value: 0, pass: false }), score({ run_id: 'b2' }),
      score({ run_id: 'g1', kind: 'judge', scorer: 'Judge', value: 0.9, pass: true }),
      score({ run_id: 'b1', kind: 'judge', scorer: 'Judge', value: null, pass: null, reason: 'judge error: prose' }),
      score({ run_id: 'g1', kind: 'pairwise', scorer: 'Judge', value: 1, pass: null, opponent_run_id: 'b1' }),
      score({ run_id: 'b2', kind: 'pairwise', scorer: 'Judge', value: 0, pass: null, opponent_run_id: 'g2' }),
      score({ run_id: 'b2', kind: 'pairwise', scorer: 'Biased', value: 0.5, pass: null, opponent_run_id: 'g2', reason: 'position bias: disagreed' }),
      score({ run_id: 'gone', kind: 'human', value: 1, pass: true }),
    ];
    const board = buildLeaderboard({ runs, scores });
    expect(board.entries.map((entry) => entry.agent_name)).toEqual(['Good', 'Bad']);
    const [good, bad] = board.entries;
    expect(good!.pass_rate).toMatchObject({ passed: 3, total: 3, rate: 1 });
    expect(bad!.pass_rate).toMatchObject({ passed: 1, total: 3 }); // the judge error counts as a failure
    expect(bad!.judge_score).toEqual({ mean: null, count: 0, errors: 1 });
    expect(good!.win_rate).toMatchObject({ wins: 2, ties: 1, losses: 0 });
    expect(good!.bradley_terry!.rating).toBeGreaterThan(bad!.bradley_terry!.rating);
    expect(good!.latency_ms_p50).toBe(100);
    expect(good!.cost_usd).toEqual({ total: 0.001, mean: 0.001, unpriced_runs: 1 });
    expect(board.judges).toEqual([{ judge: 'Judge', pairwise: 2, disagreements: 0 }, { judge: 'Biased', pairwise: 1, disagreements: 1 }]);
    expect(board.unmatched_scores).toBe(1);
    // The same inputs give the same interval (seeded bootstrap).
    expect(buildLeaderboard({ runs, scores }).entries[0]!.bradley_terry).toEqual(good!.bradley_terry);
  });
});
