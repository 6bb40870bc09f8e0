import type { ScoreRecord } from '../api/eval-types.js';
import type { RunRecord } from '../api/types.js';

/** How a run ended, in one word: the status pill of the table and the detail. */
export function runStatus(run: Pick<RunRecord, 'aborted' | 'error' | 'finish_reason'>): 'ok' | 'aborted' | 'error' | 'cut-off' {
  if (run.aborted) return 'aborted';
  if (run.error) return 'error';
  if (run.finish_reason === 'length') return 'cut-off';
  return 'ok';
}

/** A run's scores in a few characters: "rated up", "2/3 pass", "judge 0.80". */
export function scoreSummary(scores: ScoreRecord[]): string {
  const parts: string[] = [];
  const human = scores.filter((score) => score.kind === 'human' && score.value !== null).at(-1);
  if (human) parts.push(human.value === 1 ? 'rated up' : human.value === 0 ? 'rated down' : String(human.value));
  const checks = scores.filter((score) => score.kind === 'check' && score.pass !== null);
  if (checks.length > 0) parts.push(`${checks.filter((score) => score.pass).length}/${checks.length} pass`);
  const judged = scores.filter((score) => score.kind === 'judge' && score.value !== null);
  if (judged.length > 0) parts.push(`judge ${(judged.reduce((sum, score) => sum + (score.value ?? 0), 0) / judged.length).toFixed(2)}`);
  const pairwise = scores.filter((score) => score.kind === 'pairwise' && score.value !== null);
  if (pairwise.length > 0) parts.push(`${pairwise.filter((score) => score.value === 1).length}W ${pairwise.filter((score) => score.value === 0.5).length}T ${pairwise.filter((score) => score.value === 0).length}L`);
  return parts.join(' · ');
}
