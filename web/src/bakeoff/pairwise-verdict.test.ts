import { describe, expect, it } from 'vitest';
import { pairwiseHeadline, readPairwiseVerdict } from './pairwise-verdict.js';

describe('a pairwise judge answer read for the bake-off', () => {
  const read = (body: Record<string, unknown>) => readPairwiseVerdict({ body, first: 2, second: 0 });

  it('names the lane that won in both orders', () => {
    expect(pairwiseHeadline(read({ score: { value: 1, reason: 'C is right' }, disagreement: false, judge_error: false }))).toBe('C wins');
    expect(pairwiseHeadline(read({ score: { value: 0, reason: 'A is right' }, disagreement: false, judge_error: false }))).toBe('A wins');
  });

  it('calls it a tie, saying when the two orders disagreed', () => {
    expect(read({ score: { value: 0.5, reason: 'r' }, disagreement: true, judge_error: false })).toEqual({ kind: 'tie', disagreement: true, reason: 'r' });
    expect(pairwiseHeadline(read({ score: { value: 0.5, reason: 'r' }, disagreement: true }))).toMatch(/^Tie: .*disagreed/);
    expect(pairwiseHeadline(read({ score: { value: 0.5, reason: 'both fine' }, disagreement: false }))).toBe('Tie');
  });

  it('a judge error is never read as a verdict', () => {
    expect(read({ score: { value: null, reason: 'judge error: not JSON (first order)' }, judge_error: true })).toEqual({ kind: 'error', reason: 'judge error: not JSON (first order)' });
  });
});
