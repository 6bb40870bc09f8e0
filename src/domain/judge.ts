/**
 * The judge contract (SPEC.md "Evaluations"): the prompt the lab sends a judge agent and how
 * its answer is read. A rubric judge answers `{reason, pass, score 0..1}`, a pairwise judge
 * `{reason, winner: "A"|"B"|"tie"}`; anything else - prose, bad JSON, a score out of range -
 * is a judge error, never a pass. A ```json fence around the JSON is tolerated.
 */
import { z } from 'zod';

export const rubricVerdictSchema = z.object({
  reason: z.string(),
  pass: z.boolean(),
  score: z.number().min(0).max(1),
});
export type RubricVerdict = z.output<typeof rubricVerdictSchema>;

export const pairwiseVerdictSchema = z.object({
  reason: z.string(),
  winner: z.enum(['A', 'B', 'tie']),
});
export type PairwiseVerdict = z.output<typeof pairwiseVerdictSchema>;

/** A verdict read from a judge's answer, or why it could not be. */
export type VerdictReading<T> = { ok: true; verdict: T } | { ok: false; reason: string };

/** The reason a pairwise tie from two disagreeing verdicts starts with (the leaderboard counts them per judge). */
export const DISAGREEMENT_PREFIX = 'position bias:';

/**
 * `text` between `<tag>` and `</tag>`, with any of the prompt's own closing tags inside it
 * defused (`</answer>` → `<\/answer>`), so an answer cannot end its block early and write
 * text the judge would read as the lab's.
 */
function block(tag: string, text: string): string {
  return `<${tag}>\n${text.replace(/<\/(rubric|question|answer|answer_a|answer_b)>/gi, '<\\/$1>')}\n</${tag}>`;
}

/** A judge message: the task, the JSON shape asked for, then each labelled block. */
function judgePrompt(options: { task: string; shape: string; blocks: Array<[tag: string, text: string]> }): string {
  const lines = [options.task, 'Reply with JSON only, no other text, exactly this shape:', options.shape];
  for (const [tag, text] of options.blocks) lines.push('', block(tag, text));
  return lines.join('\n');
}

/** The message sent to a rubric judge. */
export function buildRubricPrompt(options: { question: string; answer: string; rubric: string }): string {
  return judgePrompt({
    task: 'You are grading one answer against a rubric.',
    shape: '{"reason": "<one or two sentences>", "pass": true or false, "score": <number from 0 to 1>}',
    blocks: [['rubric', options.rubric], ['question', options.question], ['answer', options.answer]],
  });
}

/** The message sent to a pairwise judge, answers labelled A and B. */
export function buildPairwisePrompt(options: { question: string; answerA: string; answerB: string; rubric: string }): string {
  return judgePrompt({
    task: 'You are comparing two answers to the same question against a rubric.',
    shape: '{"reason": "<one or two sentences>", "winner": "A" or "B" or "tie"}',
    blocks: [['rubric', options.rubric], ['question', options.question], ['answer_a', options.answerA], ['answer_b', options.answerB]],
  });
}

const FENCE = /^```(?:json)?[ \t]*\r?\n([\s\S]*?)\r?\n?```$/i;

function readJson(answer: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  let body = answer.trim();
  if (body === '') return { ok: false, reason: 'judge error: the judge gave an empty answer' };
  const fenced = FENCE.exec(body);
  if (fenced) body = (fenced[1] ?? '').trim();
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    const excerpt = body.length > 120 ? `${body.slice(0, 120)}…` : body;
    return { ok: false, reason: `judge error: the answer is not JSON: ${JSON.stringify(excerpt)}` };
  }
}

function readVerdict<T>(answer: string, schema: z.ZodType<T>, shape: string): VerdictReading<T> {
  const json = readJson(answer);
  if (!json.ok) return json;
  const parsed = schema.safeParse(json.value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'answer'}: ${issue.message}`).join('; ');
    return { ok: false, reason: `judge error: the JSON is not ${shape} (${problems})` };
  }
  return { ok: true, verdict: parsed.data };
}

/** Read a rubric judge's answer. */
export function parseRubricVerdict(answer: string): VerdictReading<RubricVerdict> {
  return readVerdict(answer, rubricVerdictSchema, '{reason, pass, score 0..1}');
}

/** Read a pairwise judge's answer. */
export function parsePairwiseVerdict(answer: string): VerdictReading<PairwiseVerdict> {
  return readVerdict(answer, pairwiseVerdictSchema, '{reason, winner: A|B|tie}');
}

/** The outcome of a pairwise judgement asked in both orders, for the first run. */
export interface PairwiseOutcome {
  /** 1 the first run won, 0.5 tie, 0 the second won. */
  value: 1 | 0.5 | 0;
  /** True when the two orders gave different winners (position bias): the result is a tie. */
  disagreement: boolean;
  reason: string;
}

/**
 * Combine the verdict with the first run as A (`firstAsA`) and the one with the first run as
 * B (`firstAsB`). Agreement keeps the winner; disagreement is a tie.
 */
export function combinePairwise(firstAsA: PairwiseVerdict, firstAsB: PairwiseVerdict): PairwiseOutcome {
  const forFirst = (winner: PairwiseVerdict['winner'], firstLabel: 'A' | 'B'): 1 | 0.5 | 0 => (winner === 'tie' ? 0.5 : winner === firstLabel ? 1 : 0);
  const one = forFirst(firstAsA.winner, 'A');
  const two = forFirst(firstAsB.winner, 'B');
  if (one === two) {
    const word = one === 1 ? 'the first answer won' : one === 0 ? 'the second answer won' : 'a tie';
    return { value: one, disagreement: false, reason: `both orders agree, ${word}: ${firstAsA.reason}` };
  }
  return {
    value: 0.5,
    disagreement: true,
    reason: `${DISAGREEMENT_PREFIX} the verdicts disagreed between the two orders (${firstAsA.winner} then ${firstAsB.winner}); counted as a tie`,
  };
}
