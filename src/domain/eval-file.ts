/**
 * Eval files (docs/api.md "Evaluations"): a named set of cases, each an input and its
 * assertions (the deterministic checks, plus `llm-rubric` graded by a judge agent), run on
 * every agent `repeat` times; optionally judged pairwise across agents. YAML or JSONL; both
 * parse to the same JSON form, which `POST /api/evals` takes as its body.
 */
import { LineCounter, isNode, parseDocument } from 'yaml';
import { z } from 'zod';
import { checkAssertSchema } from './checks.js';
import { isMissingField, REPORT_INPUT } from './zod-issue.js';

const agentReference = z.string().min(1).max(200);
const rubricText = z.string().min(1, 'the rubric must not be empty').max(10_000);

/** `llm-rubric`: a judge agent grades the answer against the rubric (`judge` defaults to the file's `judge`). */
export const rubricAssertSchema = z
  .object({ type: z.literal('llm-rubric'), value: rubricText, judge: agentReference.optional() })
  .strict();

/** One assertion of a case: a check or a rubric. */
export const evalAssertSchema = z.discriminatedUnion('type', [...checkAssertSchema.options, rubricAssertSchema]);
export type EvalAssert = z.output<typeof evalAssertSchema>;

export const evalCaseSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[^\r\n#]+$/, 'a case id is one line without "#"'),
    input: z.string().min(1, 'input must not be empty').max(100_000),
    assert: z.array(evalAssertSchema).max(100).default([]),
  })
  .strict();
export type EvalCase = z.output<typeof evalCaseSchema>;

/** The eval file's JSON form. */
export const evalFileSchema = z
  .object({
    name: z.string().min(1).max(200).default('eval'),
    description: z.string().max(10_000).optional(),
    agents: z.array(agentReference).min(1).max(50).optional(),
    repeat: z.number().int().min(1).max(100).default(1),
    /** The default judge agent (name or id) for `llm-rubric` assertions and `pairwise`. */
    judge: agentReference.optional(),
    /** Judge every pair of agents' answers to each case (both orders; disagreement is a tie). */
    pairwise: z.object({ rubric: rubricText, judge: agentReference.optional() }).strict().optional(),
    cases: z.array(evalCaseSchema).min(1, 'an eval needs at least one case').max(10_000),
  })
  .strict()
  .superRefine((file, context) => {
    const seen = new Set<string>();
    file.cases.forEach((evalCase, index) => {
      if (seen.has(evalCase.id)) context.addIssue({ code: 'custom', path: ['cases', index, 'id'], message: `duplicate case id "${evalCase.id}"` });
      seen.add(evalCase.id);
      evalCase.assert.forEach((assert, assertIndex) => {
        if (assert.type === 'llm-rubric' && !assert.judge && !file.judge) {
          context.addIssue({ code: 'custom', path: ['cases', index, 'assert', assertIndex, 'judge'], message: 'llm-rubric needs a judge (here, or `judge` at the top of the file)' });
        }
      });
    });
    if (file.pairwise && !file.pairwise.judge && !file.judge) {
      context.addIssue({ code: 'custom', path: ['pairwise', 'judge'], message: 'pairwise needs a judge (here, or `judge` at the top of the file)' });
    }
  });
export type EvalFile = z.output<typeof evalFileSchema>;
export type EvalFileInput = z.input<typeof evalFileSchema>;

/** A bad eval file: `problems` each name the line (when known) and the field. */
export class EvalFileError extends Error {
  override readonly name = 'EvalFileError';
  readonly code = 'bad_request:eval_file';
  readonly problems: string[];

  constructor(source: string, problems: string[], options: { cause?: unknown } = {}) {
    super(`${source}: ${problems.join('; ')}`, { cause: options.cause });
    this.problems = problems;
  }
}

function fieldName(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(file)' : path.map(String).join('.');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (isMissingField(issue)) return 'is required';
  if (issue.code === 'invalid_union' && issue.path[issue.path.length - 1] === 'type') {
    return 'not a known assertion type (contains, not-contains, icontains, equals, regex, is-json, json-schema, tool-called, max-latency-ms, max-ttft-ms, max-cost-usd, min-tokens-per-s, finish-reason, llm-rubric)';
  }
  return issue.message;
}

/** Parse the JSON form (an API body, or what a YAML/JSONL file became); problems name the field. */
export function parseEvalObject(value: unknown, source = 'eval'): EvalFile {
  const parsed = evalFileSchema.safeParse(value, REPORT_INPUT);
  if (parsed.success) return parsed.data;
  throw new EvalFileError(
    source,
    parsed.error.issues.slice(0, 10).map((issue) => `${fieldName(issue.path)}: ${describeIssue(issue)}`),
    { cause: parsed.error },
  );
}

/** Parse a YAML eval file; each problem names its line and field. */
export function parseEvalYaml(text: string, source = 'eval.yaml'): EvalFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new EvalFileError(
      source,
      document.errors.slice(0, 5).map((error) => {
        const position = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
        return `line ${position.line}: ${error.message.split('\n')[0]}`;
      }),
    );
  }
  const parsed = evalFileSchema.safeParse(document.toJS());
  if (parsed.success) return parsed.data;
  throw new EvalFileError(
    source,
    parsed.error.issues.slice(0, 10).map((issue) => {
      const line = lineOf(document, lineCounter, issue.path);
      return `${line === undefined ? '' : `line ${line}: `}${fieldName(issue.path)}: ${describeIssue(issue)}`;
    }),
    { cause: parsed.error },
  );
}

/** The line of the deepest node on `path` that exists in the document. */
function lineOf(document: ReturnType<typeof parseDocument>, lineCounter: LineCounter, path: ReadonlyArray<PropertyKey>): number | undefined {
  for (let length = path.length; length >= 0; length -= 1) {
    const node = length === 0 ? document.contents : document.getIn(path.slice(0, length) as Array<string | number>, true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

/**
 * Parse a JSONL eval file: one JSON object per line. A line with `input` is a case (its id
 * defaults to `line-N`); a line without one holds the settings (name, agents, repeat, judge,
 * pairwise). Blank lines and lines starting with `//` are skipped.
 */
export function parseEvalJsonl(text: string, source = 'eval.jsonl'): EvalFile {
  const settings: Record<string, unknown> = {};
  const cases: unknown[] = [];
  const caseLines: number[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = raw.trim();
    if (content === '' || content.startsWith('//')) return;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      problems.push(`line ${line}: not valid JSON (${(error as Error).message})`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`line ${line}: each line must be a JSON object`);
      return;
    }
    if ('input' in value) {
      cases.push({ id: `line-${line}`, ...value });
      caseLines.push(line);
    } else Object.assign(settings, value);
  });
  if (problems.length > 0) throw new EvalFileError(source, problems.slice(0, 10));
  const parsed = evalFileSchema.safeParse({ ...settings, cases });
  if (parsed.success) return parsed.data;
  throw new EvalFileError(
    source,
    parsed.error.issues.slice(0, 10).map((issue) => {
      const [first, second, ...rest] = issue.path;
      if (first === 'cases' && typeof second === 'number') return `line ${caseLines[second]}: ${fieldName(rest) === '(file)' ? 'case' : fieldName(rest)}: ${describeIssue(issue)}`;
      return `settings: ${fieldName(issue.path)}: ${describeIssue(issue)}`;
    }),
    { cause: parsed.error },
  );
}

/** Parse an eval file by its name: `.jsonl` / `.ndjson` as JSONL, `.json` as the JSON form, anything else as YAML. */
export function parseEvalText(text: string, fileName: string): EvalFile {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return parseEvalJsonl(text, fileName);
  if (lower.endsWith('.json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new EvalFileError(fileName, [`not valid JSON (${(error as Error).message})`], { cause: error });
    }
    return parseEvalObject(value, fileName);
  }
  return parseEvalYaml(text, fileName);
}
