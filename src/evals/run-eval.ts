import type { Agent } from '../domain/agent.js';
import type { CheckAssert } from '../domain/checks.js';
import { LabError } from '../domain/errors.js';
import type { EvalFile } from '../domain/eval-file.js';
import { buildLeaderboard, type Leaderboard } from '../domain/leaderboard.js';
import type { RunRecord } from '../domain/run.js';
import type { ScoreRecord } from '../domain/score.js';
import type { ScoreService, ScoredRun } from './score-service.js';

/**
 * Run an eval: every case on every agent `repeat` times, through the lab's own chat, each
 * run scored by the case's checks and rubric judges, then (optionally) every pair of agents'
 * answers judged pairwise. Resumable: in an experiment that already holds a run of
 * agent × case × repeat with all its assertions scored, that unit is not run again.
 */

/** An eval ready to run: agents and judges resolved, experiment id chosen. */
export interface PreparedEval {
  file: EvalFile;
  experimentId: string;
  agents: Agent[];
  /** Judges by the reference the file used. */
  judges: Map<string, Agent>;
  repeat: number;
  concurrency: number;
}

/** One agent × case × repeat, as the `result` event and the CLI's JUnit report see it. */
export interface EvalUnitResult {
  agent_id: string;
  agent_name: string;
  model: string;
  case: string;
  repeat: number;
  run_id: string;
  resumed: boolean;
  passed: boolean;
  latency_ms: number;
  cost_usd: number | null;
  error: string;
  assertions: Array<{ scorer: string; kind: string; pass: boolean; value: number | null; reason: string }>;
}

export interface EvalSummary {
  experiment_id: string;
  name: string;
  units: number;
  passed_units: number;
  failed_units: number;
  resumed_units: number;
  assertions: number;
  failed_assertions: number;
  pairwise: number;
  disagreements: number;
  interrupted: boolean;
  leaderboard: Leaderboard;
}

export type EvalEmit = (event: string, data: unknown) => void;

/** Most runs (cases × repeats × agents) one eval may ask for. */
export const MAX_EVAL_UNITS = 100_000;

/** The key of a unit in its run's tags: `task_label` is the case id, `run_notes` this. */
export const repeatNote = (repeat: number) => `eval repeat ${repeat}`;

/** Resolve agents and judges (404 naming an unknown one) before anything runs. */
export async function prepareEval(options: {
  service: ScoreService;
  file: EvalFile;
  agents?: string[] | undefined;
  repeat?: number | undefined;
  experimentId: string;
  concurrency?: number | undefined;
}): Promise<PreparedEval> {
  const { service, file } = options;
  const references = options.agents ?? file.agents;
  if (!references || references.length === 0) {
    throw new LabError('bad_request:body', 'Invalid eval: agents: name the agents to evaluate (in the file, or with --agents / "agents").');
  }
  const agents: Agent[] = [];
  for (const reference of references) {
    const agent = await service.resolveAgent(reference);
    if (!agents.some((known) => known.id === agent.id)) agents.push(agent);
  }
  const repeat = options.repeat ?? file.repeat;
  const units = file.cases.length * repeat * agents.length;
  if (units > MAX_EVAL_UNITS) {
    throw new LabError('bad_request:body', `Invalid eval: ${file.cases.length} cases × ${repeat} repeats × ${agents.length} agents is ${units} runs; at most ${MAX_EVAL_UNITS} in one eval.`);
  }
  const judges = new Map<string, Agent>();
  const judgeReferences = [
    ...(file.judge ? [file.judge] : []),
    ...(file.pairwise?.judge ? [file.pairwise.judge] : []),
    ...file.cases.flatMap((evalCase) => evalCase.assert.flatMap((assert) => (assert.type === 'llm-rubric' && assert.judge ? [assert.judge] : []))),
  ];
  for (const reference of judgeReferences) if (!judges.has(reference)) judges.set(reference, await service.resolveAgent(reference));
  return {
    file,
    experimentId: options.experimentId,
    agents,
    judges,
    repeat,
    concurrency: Math.min(16, Math.max(1, options.concurrency ?? 4)),
  };
}

interface Unit {
  agent: Agent;
  caseIndex: number;
  repeat: number;
}

/** Run a prepared eval, emitting `eval-start`, `result`, `score`, `pairwise`, `progress` and `eval-end`. */
export async function runEval(options: { service: ScoreService; prepared: PreparedEval; signal: AbortSignal; emit: EvalEmit }): Promise<EvalSummary> {
  const { service, prepared, signal, emit } = options;
  const { file, experimentId, agents } = prepared;
  const units: Unit[] = [];
  for (let caseIndex = 0; caseIndex < file.cases.length; caseIndex += 1) {
    for (let repeat = 1; repeat <= prepared.repeat; repeat += 1) for (const agent of agents) units.push({ agent, caseIndex, repeat });
  }
  const pairsPerSlot = file.pairwise ? (agents.length * (agents.length - 1)) / 2 : 0;
  const total = units.length + pairsPerSlot * file.cases.length * prepared.repeat;
  emit('eval-start', {
    experiment_id: experimentId,
    name: file.name,
    agents: agents.map((agent) => ({ id: agent.id, name: agent.name, model: agent.model })),
    cases: file.cases.map((evalCase) => evalCase.id),
    repeat: prepared.repeat,
    total,
  });

  // What the experiment already holds (a resumed eval).
  const existingRuns = (await service.stores.runs.findRuns({ experiment_id: experimentId })).filter((run) => run.task_label !== 'judge');
  const existingScores = await service.stores.scores.findScores({ experiment_id: experimentId });
  const scoresByRun = new Map<string, ScoreRecord[]>();
  for (const score of existingScores) scoresByRun.set(score.run_id, [...(scoresByRun.get(score.run_id) ?? []), score]);

  const done: Map<string, ScoredRun> = new Map();
  const unitKey = (agentId: string, caseIndex: number, repeat: number) => `${agentId}\u0000${caseIndex}\u0000${repeat}`;
  const results: EvalUnitResult[] = [];
  let finished = 0;
  let pairwiseCount = 0;
  let disagreements = 0;
  const progress = () => emit('progress', { done: finished, total });

  const resultOf = (unit: Unit, run: RunRecord, scores: ScoreRecord[], resumed: boolean): EvalUnitResult => {
    const assertions = scores
      .filter((score) => score.kind !== 'pairwise')
      .map((score) => ({ scorer: score.scorer, kind: score.kind, pass: score.pass === true, value: score.value, reason: score.reason }));
    return {
      agent_id: unit.agent.id,
      agent_name: unit.agent.name,
      model: run.model,
      case: file.cases[unit.caseIndex]!.id,
      repeat: unit.repeat,
      run_id: run.run_id,
      resumed,
      passed: assertions.every((assertion) => assertion.pass) && run.error === '' && !run.aborted,
      latency_ms: run.latency_ms,
      cost_usd: run.cost_usd,
      error: run.error,
      assertions,
    };
  };

  const runUnit = async (unit: Unit): Promise<void> => {
    const evalCase = file.cases[unit.caseIndex]!;
    const tags = { experiment_id: experimentId, task_label: evalCase.id, run_notes: repeatNote(unit.repeat) };
    const previous = existingRuns.filter(
      (run) => run.agent_id === unit.agent.id && run.task_label === tags.task_label && run.run_notes === tags.run_notes && run.error === '' && !run.aborted,
    );
    for (const run of previous) {
      const scores = (scoresByRun.get(run.run_id) ?? []).filter((score) => score.kind !== 'pairwise');
      if (scores.length < evalCase.assert.length) continue;
      try {
        done.set(unitKey(unit.agent.id, unit.caseIndex, unit.repeat), { run, answer: await service.getAnswer(run) });
      } catch {
        continue; // its session is gone: run it again
      }
      const result = resultOf(unit, run, scores, true);
      results.push(result);
      emit('result', result);
      return;
    }

    const scored = await service.runAgent({ agent: unit.agent, message: evalCase.input, tags, signal });
    if (signal.aborted) return;
    const scores: ScoreRecord[] = [];
    const judged: Array<Promise<ScoreRecord>> = [];
    for (const assert of evalCase.assert) {
      if (assert.type === 'llm-rubric') {
        const judge = prepared.judges.get(assert.judge ?? file.judge ?? '')!;
        if (scored.error || scored.run.aborted) {
          scores.push(service.score(scored.run, { scorer: judge.name, kind: 'judge', value: null, pass: null, reason: `judge error: the run failed, there is no answer to judge (${scored.run.error || 'stopped'})`, eval_case: evalCase.id }));
        } else judged.push(service.judgeRubric({ judge, rubric: assert.value, scored, evalCase: evalCase.id, signal }));
      } else scores.push(service.checkScore(scored, assert as CheckAssert, { evalCase: evalCase.id }));
    }
    scores.push(...(await Promise.all(judged)));
    await service.append(scores);
    for (const score of scores) emit('score', score);
    done.set(unitKey(unit.agent.id, unit.caseIndex, unit.repeat), scored);
    const result = resultOf(unit, scored.run, scores, false);
    results.push(result);
    emit('result', result);
  };

  // A small pool: K units in flight; an interrupt starts nothing new.
  const queue = [...units];
  const worker = async () => {
    for (let unit = queue.shift(); unit && !signal.aborted; unit = queue.shift()) {
      await runUnit(unit);
      finished += 1;
      progress();
    }
  };
  await Promise.all(Array.from({ length: Math.min(prepared.concurrency, Math.max(1, queue.length)) }, worker));

  if (file.pairwise && !signal.aborted) {
    const judge = prepared.judges.get(file.pairwise.judge ?? file.judge ?? '')!;
    const slots: Array<() => Promise<void>> = [];
    for (let caseIndex = 0; caseIndex < file.cases.length; caseIndex += 1) {
      for (let repeat = 1; repeat <= prepared.repeat; repeat += 1) {
        for (let i = 0; i < agents.length; i += 1) {
          for (let j = i + 1; j < agents.length; j += 1) {
            const first = done.get(unitKey(agents[i]!.id, caseIndex, repeat));
            const second = done.get(unitKey(agents[j]!.id, caseIndex, repeat));
            slots.push(async () => {
              if (first && second && first.run.error === '' && second.run.error === '') {
                const already = existingScores.some(
                  (score) => score.scorer === judge.name && score.opponent_run_id === second.run.run_id && score.run_id === first.run.run_id && (score.kind === 'pairwise' || score.kind === 'judge'),
                );
                if (!already) {
                  const outcome = await service.judgePairwise({ judge, rubric: file.pairwise!.rubric, first, second, evalCase: file.cases[caseIndex]!.id, signal });
                  await service.append([outcome.score]);
                  pairwiseCount += 1;
                  if (outcome.disagreement) disagreements += 1;
                  emit('score', outcome.score);
                  emit('pairwise', { case: file.cases[caseIndex]!.id, repeat, run_ids: [first.run.run_id, second.run.run_id], value: outcome.score.value, disagreement: outcome.disagreement, reason: outcome.score.reason });
                }
              }
              finished += 1;
              progress();
            });
          }
        }
      }
    }
    const pending = [...slots];
    const pairWorker = async () => {
      for (let slot = pending.shift(); slot && !signal.aborted; slot = pending.shift()) await slot();
    };
    await Promise.all(Array.from({ length: Math.min(prepared.concurrency, Math.max(1, pending.length)) }, pairWorker));
  }

  const runs = await service.stores.runs.findRuns({ experiment_id: experimentId });
  const scores = await service.stores.scores.findScores({ run_ids: runs.map((run) => run.run_id) });
  const allAssertions = results.flatMap((result) => result.assertions);
  const summary: EvalSummary = {
    experiment_id: experimentId,
    name: file.name,
    units: results.length,
    passed_units: results.filter((result) => result.passed).length,
    failed_units: results.filter((result) => !result.passed).length,
    resumed_units: results.filter((result) => result.resumed).length,
    assertions: allAssertions.length,
    failed_assertions: allAssertions.filter((assertion) => !assertion.pass).length,
    pairwise: pairwiseCount,
    disagreements,
    interrupted: signal.aborted,
    leaderboard: buildLeaderboard({ runs, scores }),
  };
  emit('eval-end', summary);
  return summary;
}
