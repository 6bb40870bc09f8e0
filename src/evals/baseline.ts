/**
 * The `--baseline EXP` regression gate: each agent × case's pass rate (over its check and
 * judge verdicts; a judge error counts as a failure) compared with the baseline experiment's.
 */

/** A verdict as the gate reads it. */
export interface GateVerdict {
  agent_id: string;
  eval_case: string;
  pass: boolean;
}

/** A score as it comes from `GET /api/scores` (only graded kinds count). */
export interface GateScore {
  agent_id: string;
  eval_case: string;
  kind: string;
  pass: boolean | null;
  value: number | null;
}

/** Verdicts that grade an answer: checks and judges (an unreadable judge verdict fails). */
export function verdictsOf(scores: readonly GateScore[]): GateVerdict[] {
  return scores.flatMap((score) => {
    if (score.eval_case === '' || (score.kind !== 'check' && score.kind !== 'judge')) return [];
    return [{ agent_id: score.agent_id, eval_case: score.eval_case, pass: score.pass === true }];
  });
}

/** Pass rate per `agent_id` × `eval_case`. */
export function passRates(verdicts: readonly GateVerdict[]): Map<string, { agent_id: string; eval_case: string; passed: number; total: number }> {
  const rates = new Map<string, { agent_id: string; eval_case: string; passed: number; total: number }>();
  for (const verdict of verdicts) {
    const key = `${verdict.agent_id}\u0000${verdict.eval_case}`;
    const rate = rates.get(key) ?? { agent_id: verdict.agent_id, eval_case: verdict.eval_case, passed: 0, total: 0 };
    rate.total += 1;
    if (verdict.pass) rate.passed += 1;
    rates.set(key, rate);
  }
  return rates;
}

/** One agent × case below its baseline pass rate. */
export interface Regression {
  agent_id: string;
  eval_case: string;
  rate: number;
  baseline: number;
}

/** Agent × case pairs present in both whose pass rate fell below the baseline's. */
export function findRegressions(options: { current: readonly GateVerdict[]; baseline: readonly GateVerdict[] }): Regression[] {
  const baseline = passRates(options.baseline);
  const regressions: Regression[] = [];
  for (const [key, now] of passRates(options.current)) {
    const before = baseline.get(key);
    if (!before || before.total === 0) continue;
    const rate = now.passed / now.total;
    const baselineRate = before.passed / before.total;
    if (rate < baselineRate - 1e-12) regressions.push({ agent_id: now.agent_id, eval_case: now.eval_case, rate, baseline: baselineRate });
  }
  return regressions;
}
