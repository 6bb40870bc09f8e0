/**
 * The deterministic checks of an evaluation (SPEC.md "Evaluations"): each looks at one run
 * (its answer, its tool calls, its measurements) and says pass or fail with a reason a
 * person can read. Pure: no I/O; a regex that could backtrack for long runs in a separate
 * V8 context with a time limit.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import safeRegex from 'safe-regex2';
import { runInContext, createContext } from 'node:vm';
import { z } from 'zod';

/** Longest regex pattern a check accepts (characters). */
export const MAX_REGEX_PATTERN = 1_000;
/** A regex gets this long to match before the check fails (catastrophic backtracking). */
export const REGEX_TIMEOUT_MS = 250;

const text = z.string().max(10_000);
const limit = z.number().finite().min(0);

/** The check assertions, as an eval file or `POST /api/runs/:id/scores` gives them. */
export const checkAssertSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('contains'), value: text.min(1) }).strict(),
  z.object({ type: z.literal('not-contains'), value: text.min(1) }).strict(),
  z.object({ type: z.literal('icontains'), value: text.min(1) }).strict(),
  z.object({ type: z.literal('equals'), value: text }).strict(),
  z
    .object({
      type: z.literal('regex'),
      value: z.string().min(1).max(MAX_REGEX_PATTERN, `a pattern of at most ${MAX_REGEX_PATTERN} characters`),
      flags: z.string().regex(/^[imsu]*$/, 'flags may only be i, m, s, u').optional(),
    })
    .strict()
    .superRefine((assert, context) => {
      try {
        new RegExp(assert.value, assert.flags);
      } catch (error) {
        context.addIssue({ code: 'custom', path: ['value'], message: `not a valid regular expression: ${(error as Error).message}` });
      }
    }),
  z.object({ type: z.literal('is-json') }).strict(),
  z
    .object({ type: z.literal('json-schema'), value: z.record(z.string(), z.unknown()) })
    .strict()
    .superRefine((assert, context) => {
      const compiled = compileSchema(assert.value);
      if (typeof compiled === 'string') context.addIssue({ code: 'custom', path: ['value'], message: `not a valid JSON Schema: ${compiled}` });
    }),
  z
    .object({
      type: z.literal('tool-called'),
      value: z.string().min(1).max(200),
      args: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
  z.object({ type: z.literal('max-latency-ms'), value: limit }).strict(),
  z.object({ type: z.literal('max-ttft-ms'), value: limit }).strict(),
  z.object({ type: z.literal('max-cost-usd'), value: limit }).strict(),
  z.object({ type: z.literal('min-tokens-per-s'), value: limit }).strict(),
  z.object({ type: z.literal('finish-reason'), value: z.union([z.string().min(1).max(100), z.array(z.string().min(1).max(100)).min(1)]) }).strict(),
]);
export type CheckAssert = z.output<typeof checkAssertSchema>;
export type CheckType = CheckAssert['type'];

/** Every check type, in SPEC order. */
export const CHECK_TYPES: readonly CheckType[] = [
  'contains',
  'not-contains',
  'icontains',
  'equals',
  'regex',
  'is-json',
  'json-schema',
  'tool-called',
  'max-latency-ms',
  'max-ttft-ms',
  'max-cost-usd',
  'min-tokens-per-s',
  'finish-reason',
];

/** What a check sees of a run. */
export interface CheckSubject {
  /** The assistant's final text. */
  answer: string;
  /** The tool calls the agent made during the run, in order (args as JSON text or object). */
  tool_calls: ReadonlyArray<{ name: string; args: unknown }>;
  latency_ms: number;
  ttft_ms: number | null;
  tokens_per_s: number | null;
  cost_usd: number | null;
  finish_reason: string;
  aborted: boolean;
  error: string;
}

/** A check's verdict: value 1 (pass) or 0 (fail), always with a reason. */
export interface CheckResult {
  pass: boolean;
  value: 0 | 1;
  reason: string;
}

const verdict = (pass: boolean, reason: string): CheckResult => ({ pass, value: pass ? 1 : 0, reason });
const quote = (value: string, max = 80) => JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);

/** Apply one check to a run. A run that failed or was stopped fails every check (its answer is not one). */
export function applyCheck(assert: CheckAssert, subject: CheckSubject): CheckResult {
  if (subject.error !== '') return verdict(false, `the run failed: ${subject.error.slice(0, 200)}`);
  if (subject.aborted) return verdict(false, 'the run was stopped before it finished');
  const { answer } = subject;
  switch (assert.type) {
    case 'contains':
      return answer.includes(assert.value)
        ? verdict(true, `the answer contains ${quote(assert.value)}`)
        : verdict(false, `the answer does not contain ${quote(assert.value)}`);
    case 'not-contains':
      return answer.includes(assert.value)
        ? verdict(false, `the answer contains ${quote(assert.value)}`)
        : verdict(true, `the answer does not contain ${quote(assert.value)}`);
    case 'icontains':
      return answer.toLowerCase().includes(assert.value.toLowerCase())
        ? verdict(true, `the answer contains ${quote(assert.value)} (ignoring case)`)
        : verdict(false, `the answer does not contain ${quote(assert.value)} (ignoring case)`);
    case 'equals':
      return answer.trim() === assert.value.trim()
        ? verdict(true, 'the answer equals the expected text')
        : verdict(false, `the answer ${quote(answer.trim())} is not ${quote(assert.value)}`);
    case 'regex': {
      const matched = regexTest(assert.value, assert.flags ?? '', answer);
      if (matched === 'timeout') return verdict(false, `the pattern took longer than ${REGEX_TIMEOUT_MS} ms to match; simplify it`);
      return matched ? verdict(true, `the answer matches /${assert.value}/`) : verdict(false, `the answer does not match /${assert.value}/`);
    }
    case 'is-json': {
      const parsed = parseJson(answer);
      return parsed.ok ? verdict(true, 'the answer is valid JSON') : verdict(false, `the answer is not valid JSON: ${parsed.message}`);
    }
    case 'json-schema': {
      const parsed = parseJson(answer);
      if (!parsed.ok) return verdict(false, `the answer is not valid JSON: ${parsed.message}`);
      const validate = compileSchema(assert.value);
      if (typeof validate === 'string') return verdict(false, `the schema is not valid: ${validate}`);
      if (validate(parsed.value)) return verdict(true, 'the answer matches the JSON Schema');
      const first = validate.errors?.[0];
      return verdict(false, `the answer does not match the JSON Schema: ${first ? `${first.instancePath || '(root)'} ${first.message ?? ''}`.trim() : 'invalid'}`);
    }
    case 'tool-called': {
      const calls = subject.tool_calls.filter((call) => call.name === assert.value);
      if (calls.length === 0) {
        const made = subject.tool_calls.map((call) => call.name);
        return verdict(false, `${assert.value} was not called (${made.length === 0 ? 'no tool calls' : `called: ${[...new Set(made)].join(', ')}`})`);
      }
      if (!assert.args) return verdict(true, `${assert.value} was called`);
      const wanted = assert.args;
      const match = calls.some((call) => {
        const args = typeof call.args === 'string' ? parseJson(call.args) : { ok: true as const, value: call.args };
        return args.ok && isSubset(wanted, args.value);
      });
      return match
        ? verdict(true, `${assert.value} was called with ${JSON.stringify(wanted)}`)
        : verdict(false, `${assert.value} was called, but never with ${JSON.stringify(wanted)}`);
    }
    case 'max-latency-ms':
      return subject.latency_ms <= assert.value
        ? verdict(true, `latency ${subject.latency_ms} ms ≤ ${assert.value} ms`)
        : verdict(false, `latency ${subject.latency_ms} ms > ${assert.value} ms`);
    case 'max-ttft-ms':
      if (subject.ttft_ms === null) return verdict(false, 'no time to first token was measured (no token arrived)');
      return subject.ttft_ms <= assert.value
        ? verdict(true, `time to first token ${subject.ttft_ms} ms ≤ ${assert.value} ms`)
        : verdict(false, `time to first token ${subject.ttft_ms} ms > ${assert.value} ms`);
    case 'max-cost-usd':
      if (subject.cost_usd === null) return verdict(false, 'the run is unpriced (the model has no known price), so its cost cannot be checked');
      return subject.cost_usd <= assert.value
        ? verdict(true, `cost $${subject.cost_usd} ≤ $${assert.value}`)
        : verdict(false, `cost $${subject.cost_usd} > $${assert.value}`);
    case 'min-tokens-per-s':
      if (subject.tokens_per_s === null) return verdict(false, 'tokens/s was not measurable for this run (too few streamed chunks or too short a window)');
      return subject.tokens_per_s >= assert.value
        ? verdict(true, `${subject.tokens_per_s} tokens/s ≥ ${assert.value}`)
        : verdict(false, `${subject.tokens_per_s} tokens/s < ${assert.value}`);
    case 'finish-reason': {
      const allowed = Array.isArray(assert.value) ? assert.value : [assert.value];
      return allowed.includes(subject.finish_reason)
        ? verdict(true, `finish reason ${quote(subject.finish_reason)}`)
        : verdict(false, `finish reason ${quote(subject.finish_reason || '(none)')} is not ${allowed.map((value) => quote(value)).join(' or ')}`);
    }
  }
}

/** A short name for a check, as the `scorer` column records it. */
export function checkName(assert: CheckAssert): string {
  if (assert.type === 'is-json') return 'is-json';
  if (assert.type === 'json-schema') return 'json-schema';
  const value = Array.isArray(assert.value) ? assert.value.join('|') : String(assert.value);
  return `${assert.type}:${value.length > 60 ? `${value.slice(0, 60)}…` : value}`;
}

function parseJson(textValue: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(textValue) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** True when every key of `wanted` is in `actual` with a deeply equal (or, for objects, subset) value. */
export function isSubset(wanted: unknown, actual: unknown): boolean {
  if (wanted === actual) return true;
  if (typeof wanted === 'number' && typeof actual === 'string') return String(wanted) === actual.trim();
  if (typeof wanted !== 'object' || wanted === null || typeof actual !== 'object' || actual === null) return false;
  if (Array.isArray(wanted)) {
    return Array.isArray(actual) && wanted.length === actual.length && wanted.every((item, index) => isSubset(item, actual[index]));
  }
  return Object.entries(wanted as Record<string, unknown>).every(([key, value]) => isSubset(value, (actual as Record<string, unknown>)[key]));
}

const ajv = new Ajv({ allErrors: false, strict: false });
const schemaCache = new Map<string, ValidateFunction | string>();

/** Compile a JSON Schema once (cached by its text); a string is the compile error. */
function compileSchema(schema: Record<string, unknown>): ValidateFunction | string {
  const key = JSON.stringify(schema);
  let compiled = schemaCache.get(key);
  if (compiled === undefined) {
    try {
      compiled = ajv.compile(schema);
    } catch (error) {
      compiled = (error as Error).message;
    }
    if (schemaCache.size > 1_000) schemaCache.clear();
    schemaCache.set(key, compiled);
  }
  return compiled;
}

/**
 * A user's pattern could backtrack for hours. One that might (safe-regex2's star height, a
 * repeated group with alternation, a backreference) runs in its own V8 context with a time
 * limit: vm's `timeout` interrupts even a regex stuck in the engine, but starts a watchdog
 * thread per call (~0.3 ms), so patterns that cannot blow up run directly.
 */
const regexContext = createContext({ expression: /$^/, subject: '' });
const regexCache = new Map<string, { expression: RegExp; guarded: boolean }>();

/** True when a pattern might backtrack exponentially, so it must run under the time limit. */
export function needsRegexGuard(pattern: string): boolean {
  if (!safeRegex(pattern)) return true;
  if (/\\[1-9]|\\k</.test(pattern)) return true;
  // safe-regex2 misses ambiguous alternation under repetition, such as (a|a)*.
  return pattern.includes('|') && /\)(?:[*+]|\{\d*,)/.test(pattern);
}

function regexTest(pattern: string, flags: string, subject: string): boolean | 'timeout' {
  const key = `${flags}/${pattern}`;
  let compiled = regexCache.get(key);
  if (!compiled) {
    compiled = { expression: new RegExp(pattern, flags), guarded: needsRegexGuard(pattern) };
    if (regexCache.size > 1_000) regexCache.clear();
    regexCache.set(key, compiled);
  }
  const { expression } = compiled;
  expression.lastIndex = 0;
  if (!compiled.guarded) return expression.test(subject);
  regexContext.expression = expression;
  regexContext.subject = subject;
  try {
    return runInContext('expression.test(subject)', regexContext, { timeout: REGEX_TIMEOUT_MS }) as boolean;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return 'timeout';
    throw error;
  }
}
