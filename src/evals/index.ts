/**
 * Evaluations (SPEC.md "Evaluations"): scoring runs (checks, human ratings, LLM judges
 * through the lab's own chat), running eval files, the baseline gate and JUnit reports.
 * The pure parts (checks, judge contract, leaderboard, eval file schema) live in src/domain.
 */
export { findRegressions, passRates, verdictsOf, type GateScore, type GateVerdict, type Regression } from './baseline.js';
export { escapeXml, formatJunit, type JunitUnit } from './junit-report.js';
export { findRunAnswer, type RunAnswer } from './run-answer.js';
export { prepareEval, repeatNote, runEval, type EvalEmit, type EvalSummary, type EvalUnitResult, type PreparedEval } from './run-eval.js';
export { JUDGE_TASK_LABEL, ScoreService, type ScoreStores, type ScoredRun } from './score-service.js';
