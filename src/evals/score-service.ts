import type { Agent } from '../domain/agent.js';
import { applyCheck, checkName, type CheckAssert } from '../domain/checks.js';
import { LabError } from '../domain/errors.js';
import { buildPairwisePrompt, buildRubricPrompt, combinePairwise, parsePairwiseVerdict, parseRubricVerdict, type PairwiseVerdict } from '../domain/judge.js';
import type { RunHistory, ScoreHistory } from '../domain/history.js';
import type { RunRecord } from '../domain/run.js';
import type { ScoreKind, ScoreRecord } from '../domain/score.js';
import type { Session } from '../domain/session.js';
import type { ChatService } from '../runner/chat-service.js';
import type { RunEvent } from '../runner/run-events.js';
import { findRunAnswer, type RunAnswer } from './run-answer.js';

/**
 * Scores on runs: checks applied now, human ratings and votes, and LLM judges. A judge's
 * call goes through the same ChatService as any chat, so it is a normal run (runs.csv,
 * costed, `task_label=judge`) named by the score's `judge_run_id`.
 */

/** The storage scoring needs (src/store). */
export interface ScoreStores {
  runs: Pick<RunHistory, 'findRuns' | 'findRunIds' | 'getRun'>;
  scores: ScoreHistory;
  sessions: { get(id: string): Promise<Session> };
  agents: { get(id: string): Promise<Agent>; list(): Promise<Agent[]> };
}

/** A run's answer, as a judge or check sees it, plus what came back from running it. */
export interface ScoredRun {
  run: RunRecord;
  answer: RunAnswer;
}

/** The task label of a judge's own runs. */
export const JUDGE_TASK_LABEL = 'judge';

export class ScoreService {
  readonly #stores: ScoreStores;
  readonly #chat: ChatService;
  readonly #newId: () => string;

  constructor(options: { stores: ScoreStores; chat: ChatService; newId: () => string }) {
    this.#stores = options.stores;
    this.#chat = options.chat;
    this.#newId = options.newId;
  }

  get stores(): ScoreStores {
    return this.#stores;
  }

  /** The run with this id; 404 `not_found:run` naming it. */
  async getRun(runId: string): Promise<RunRecord> {
    const run = await this.#stores.runs.getRun(runId);
    if (!run) throw new LabError('not_found:run', `Run ${runId} does not exist (no such run_id in runs.csv).`);
    return run;
  }

  /** The question, answer and tool calls of a run, from its session. */
  async getAnswer(run: RunRecord): Promise<RunAnswer> {
    let session: Session;
    try {
      session = await this.#stores.sessions.get(run.session_id);
    } catch (error) {
      if (error instanceof LabError && error.code === 'not_found:session') {
        throw new LabError('not_found:session', `The session ${run.session_id} of run ${run.run_id} is gone, so its answer cannot be scored.`, { cause: error });
      }
      throw error;
    }
    const answer = findRunAnswer(session, run.run_id);
    if (!answer) throw new LabError('not_found:run', `Run ${run.run_id} has no answer in its session ${run.session_id}.`);
    return answer;
  }

  /** An agent by id, or by name when no id matches; 404 naming it, 400 when a name is ambiguous. */
  async resolveAgent(reference: string): Promise<Agent> {
    const agents = await this.#stores.agents.list();
    const byId = agents.find((agent) => agent.id === reference);
    if (byId) return byId;
    const named = agents.filter((agent) => agent.name === reference);
    if (named.length === 1) return named[0]!;
    if (named.length > 1) throw new LabError('bad_request:body', `More than one agent is named "${reference}"; give its id instead (${named.map((agent) => agent.id).join(', ')}).`);
    throw new LabError('not_found:agent', `Agent "${reference}" does not exist (no agent has that id or name).`);
  }

  /** A saved agent by id, as a judge; 404 naming it. */
  async getJudge(agentId: string): Promise<Agent> {
    try {
      return await this.#stores.agents.get(agentId);
    } catch (error) {
      if (error instanceof LabError && error.code === 'not_found:agent') throw new LabError('not_found:agent', `Judge agent ${agentId} does not exist.`, { cause: error });
      throw error;
    }
  }

  /** A score row for `run`, stamped now. */
  score(run: RunRecord, fields: { scorer: string; kind: ScoreKind; value: number | null; pass: boolean | null; reason: string } & Partial<ScoreRecord>): ScoreRecord {
    return {
      ts: new Date().toISOString(),
      score_id: this.#newId(),
      run_id: run.run_id,
      experiment_id: run.experiment_id,
      agent_id: run.agent_id,
      model: run.model,
      judge_run_id: '',
      opponent_run_id: '',
      eval_case: '',
      rater: '',
      ...fields,
    };
  }

  /** Apply a check to a run's answer (not stored: the caller appends, possibly with others). */
  checkScore(scored: ScoredRun, assert: CheckAssert, extra: { scorer?: string; evalCase?: string } = {}): ScoreRecord {
    const { run, answer } = scored;
    const result = applyCheck(assert, { ...answer, latency_ms: run.latency_ms, ttft_ms: run.ttft_ms, tokens_per_s: run.tokens_per_s, cost_usd: run.cost_usd, finish_reason: run.finish_reason, aborted: run.aborted, error: run.error });
    return this.score(run, { scorer: extra.scorer ?? checkName(assert), kind: 'check', value: result.value, pass: result.pass, reason: result.reason, eval_case: extra.evalCase ?? '' });
  }

  async append(scores: ScoreRecord[]): Promise<void> {
    await this.#stores.scores.append(scores);
  }

  /**
   * Ask a judge agent about one answer. Any answer other than the contract's JSON is a judge
   * error (kind judge, empty value and pass, the reason says why). Not stored.
   */
  async judgeRubric(options: { judge: Agent; rubric: string; scored: ScoredRun; evalCase?: string; signal: AbortSignal }): Promise<ScoreRecord> {
    const { judge, scored } = options;
    const call = await this.#askJudge({
      judge,
      message: buildRubricPrompt({ question: scored.answer.question, answer: scored.answer.answer, rubric: options.rubric }),
      subject: scored.run,
      signal: options.signal,
    });
    const base = { scorer: judge.name, kind: 'judge' as const, judge_run_id: call.runId, eval_case: options.evalCase ?? '' };
    if (!call.ok) return this.score(scored.run, { ...base, value: null, pass: null, reason: call.reason });
    const reading = parseRubricVerdict(call.text);
    if (!reading.ok) return this.score(scored.run, { ...base, value: null, pass: null, reason: reading.reason });
    const { verdict } = reading;
    return this.score(scored.run, { ...base, value: verdict.score, pass: verdict.pass, reason: verdict.reason });
  }

  /**
   * Ask a judge to compare two answers, in both orders. Agreement keeps the winner; a
   * disagreement is a tie (position bias cancelled) flagged in the result. Either call
   * failing or answering off-contract makes the whole comparison a judge error. Not stored.
   */
  async judgePairwise(options: { judge: Agent; rubric: string; first: ScoredRun; second: ScoredRun; evalCase?: string; signal: AbortSignal }): Promise<{ score: ScoreRecord; disagreement: boolean; judgeRunIds: string[] }> {
    const { judge, first, second } = options;
    const question = first.answer.question || second.answer.question;
    const ask = (answerA: string, answerB: string) =>
      this.#askJudge({ judge, message: buildPairwisePrompt({ question, answerA, answerB, rubric: options.rubric }), subject: first.run, signal: options.signal });
    const [forward, backward] = await Promise.all([ask(first.answer.answer, second.answer.answer), ask(second.answer.answer, first.answer.answer)]);
    const judgeRunIds = [forward.runId, backward.runId].filter((id) => id !== '');
    const base = { scorer: judge.name, judge_run_id: judgeRunIds.join(' '), opponent_run_id: second.run.run_id, eval_case: options.evalCase ?? '' };
    const verdicts: PairwiseVerdict[] = [];
    for (const [label, call] of [['first order', forward], ['second order', backward]] as const) {
      const reading = call.ok ? parsePairwiseVerdict(call.text) : { ok: false as const, reason: call.reason };
      if (!reading.ok) {
        return { score: this.score(first.run, { ...base, kind: 'judge', value: null, pass: null, reason: `${reading.reason} (${label})` }), disagreement: false, judgeRunIds };
      }
      verdicts.push(reading.verdict);
    }
    const outcome = combinePairwise(verdicts[0]!, verdicts[1]!);
    return { score: this.score(first.run, { ...base, kind: 'pairwise', value: outcome.value, pass: null, reason: outcome.reason }), disagreement: outcome.disagreement, judgeRunIds };
  }

  /** One judge call as a normal chat run in the subject's experiment, tagged `task_label=judge`. */
  async #askJudge(options: { judge: Agent; message: string; subject: RunRecord; signal: AbortSignal }): Promise<{ ok: true; text: string; runId: string } | { ok: false; reason: string; runId: string }> {
    const prepared = await this.#chat.prepare({
      agent_id: options.judge.id,
      message: options.message,
      tags: { experiment_id: options.subject.experiment_id, task_label: JUDGE_TASK_LABEL, run_notes: `judge of run ${options.subject.run_id}` },
      stream: true,
    });
    const result = await this.#chat.execute(prepared, { signal: options.signal, emit: (_event: RunEvent) => undefined });
    if (result.run.aborted) return { ok: false, reason: 'judge error: the judge call was stopped', runId: result.run.run_id };
    if (result.error) return { ok: false, reason: `judge error: the judge call failed (${result.error.code}: ${result.error.message})`, runId: result.run.run_id };
    return { ok: true, text: result.text, runId: result.run.run_id };
  }

  /** Run an agent on one message as an ordinary chat run; resolves with the run and its answer. */
  async runAgent(options: { agent: Agent; message: string; tags: { experiment_id: string; task_label: string; run_notes: string }; signal: AbortSignal }): Promise<ScoredRun & { error: LabError | null }> {
    const prepared = await this.#chat.prepare({ agent_id: options.agent.id, message: options.message, tags: options.tags, stream: true });
    const toolCalls: RunAnswer['tool_calls'] = [];
    const result = await this.#chat.execute(prepared, {
      signal: options.signal,
      emit: (event) => {
        if (event.event === 'tool-call') toolCalls.push({ name: event.data.name, args: event.data.args });
      },
    });
    return { run: result.run, answer: { question: options.message, answer: result.text, tool_calls: toolCalls }, error: result.error };
  }
}
