import { laneLetter } from './lane-letter.js';

/** What `POST /api/judge` with `run_ids: [first, second]` answers, read for the bake-off. */
export type PairwiseVerdict =
  | { kind: 'winner'; lane: number; reason: string }
  | { kind: 'tie'; disagreement: boolean; reason: string }
  | { kind: 'error'; reason: string };

/**
 * Reads a pairwise judge answer: the score's value is 1 when the first run won in both orders,
 * 0 when the second did, 0.5 for a tie (`disagreement` when the two orders disagreed); a null
 * value is a judge error (prose, bad JSON, a failed call).
 */
export function readPairwiseVerdict(options: { body: Record<string, unknown>; first: number; second: number }): PairwiseVerdict {
  const score = (options.body.score ?? {}) as Record<string, unknown>;
  const reason = typeof score.reason === 'string' ? score.reason : '';
  const value = typeof score.value === 'number' ? score.value : null;
  if (value === null || options.body.judge_error === true) return { kind: 'error', reason: reason || 'no verdict' };
  if (value === 1) return { kind: 'winner', lane: options.first, reason };
  if (value === 0) return { kind: 'winner', lane: options.second, reason };
  return { kind: 'tie', disagreement: options.body.disagreement === true, reason };
}

/** The verdict in one line: "B wins", "Tie: the two orders disagreed", "Tie", or the judge error. */
export function pairwiseHeadline(verdict: PairwiseVerdict): string {
  if (verdict.kind === 'winner') return `${laneLetter(verdict.lane)} wins`;
  if (verdict.kind === 'tie') return verdict.disagreement ? 'Tie: the judge’s verdicts disagreed when the answers swapped places' : 'Tie';
  return 'Judge error';
}
