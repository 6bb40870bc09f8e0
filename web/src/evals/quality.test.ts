import { describe, expect, it } from 'vitest';
import type { LeaderboardEntry } from '../api/eval-types.js';
import { paretoPoints, qualityOf } from './quality.js';

function entry(fields: { name: string; judge?: number | null; pass?: number | null; cost: number | null }): LeaderboardEntry {
  return {
    rank: 1,
    agent_id: fields.name,
    agent_name: fields.name,
    model: 'm',
    runs: 1,
    pass_rate: { passed: 0, total: 0, rate: fields.pass ?? null, low: null, high: null },
    judge_score: { mean: fields.judge ?? null, count: 0, errors: 0 },
    human: { up: 0, down: 0 },
    win_rate: { wins: 0, ties: 0, losses: 0, comparisons: 0, rate: null },
    bradley_terry: null,
    latency_ms_p50: null,
    ttft_ms_p50: null,
    tokens_per_s_p50: null,
    cost_usd: { total: 0, mean: fields.cost, unpriced_runs: 0 },
  };
}

describe('quality vs cost', () => {
  it('takes the judge score first, then the pass rate; no verdict → no quality', () => {
    expect(qualityOf(entry({ name: 'a', judge: 0.7, pass: 1, cost: 1 }))).toEqual({ value: 0.7, source: 'judge' });
    expect(qualityOf(entry({ name: 'a', pass: 0.5, cost: 1 }))).toEqual({ value: 0.5, source: 'pass rate' });
    expect(qualityOf(entry({ name: 'a', cost: 1 }))).toBeNull();
  });

  it('marks the Pareto frontier and leaves out unpriced entries', () => {
    const points = paretoPoints([
      entry({ name: 'cheap-ok', pass: 0.6, cost: 0.001 }),
      entry({ name: 'dear-best', pass: 0.9, cost: 0.01 }),
      entry({ name: 'dear-worse', pass: 0.5, cost: 0.02 }),
      entry({ name: 'unpriced', pass: 1, cost: null }),
    ]);
    expect(points.map((point) => [point.label.split(' ')[0], point.frontier])).toEqual([
      ['cheap-ok', true],
      ['dear-best', true],
      ['dear-worse', false],
    ]);
  });
});
