import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyCheck, checkAssertSchema, needsRegexGuard, type CheckSubject } from './checks.js';

const subject = (overrides: Partial<CheckSubject> = {}): CheckSubject => ({
  answer: 'Hello there, the answer is 42.',
  tool_calls: [],
  latency_ms: 800,
  ttft_ms: 120,
  tokens_per_s: 35.5,
  cost_usd: 0.0002,
  finish_reason: 'stop',
  aborted: false,
  error: '',
  ...overrides,
});
const check = (assert: unknown, overrides: Partial<CheckSubject> = {}) => applyCheck(checkAssertSchema.parse(assert), subject(overrides));

describe('deterministic checks', () => {
  it('text checks pass and fail with a reason', () => {
    expect(check({ type: 'contains', value: 'Hello' })).toMatchObject({ pass: true, value: 1 });
    expect(check({ type: 'contains', value: 'hello' })).toMatchObject({ pass: false, value: 0 });
    expect(check({ type: 'icontains', value: 'HELLO' }).pass).toBe(true);
    expect(check({ type: 'not-contains', value: '42' })).toMatchObject({ pass: false, reason: 'the answer contains "42"' });
    expect(check({ type: 'equals', value: 'ok' }, { answer: ' ok\n' }).pass).toBe(true);
    expect(check({ type: 'equals', value: 'ok' }, { answer: 'okay' }).pass).toBe(false);
  });

  it('regex matches, refuses a bad pattern at the boundary, and stops a catastrophic one', () => {
    expect(check({ type: 'regex', value: '\\b4\\d\\b' }).pass).toBe(true);
    expect(check({ type: 'regex', value: '^hello', flags: 'i' }).pass).toBe(true);
    expect(checkAssertSchema.safeParse({ type: 'regex', value: '(' }).success).toBe(false);
    const slow = check({ type: 'regex', value: '^(a+)+$' }, { answer: `${'a'.repeat(40)}!` });
    expect(slow.pass).toBe(false);
    expect(slow.reason).toMatch(/longer than/);
    // Ambiguous alternation under repetition, which star height alone does not catch.
    expect(check({ type: 'regex', value: '^(a|a)*b$' }, { answer: `${'a'.repeat(40)}c` }).reason).toMatch(/longer than/);
    expect(needsRegexGuard('\\bhel+o\\b')).toBe(false);
    expect(needsRegexGuard('(\\w+)\\s\\1')).toBe(true);
  });

  it('is-json and json-schema', () => {
    expect(check({ type: 'is-json' }).pass).toBe(false);
    expect(check({ type: 'is-json' }, { answer: '{"a":1}' }).pass).toBe(true);
    const schema = { type: 'json-schema', value: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } };
    expect(check(schema, { answer: '{"name":"Ada"}' }).pass).toBe(true);
    const failed = check(schema, { answer: '{"name":3}' });
    expect(failed.pass).toBe(false);
    expect(failed.reason).toMatch(/\/name/);
    expect(checkAssertSchema.safeParse({ type: 'json-schema', value: { type: 'no-such-type' } }).success).toBe(false);
  });

  it('tool-called looks at the name and an args subset', () => {
    const calls = [{ name: 'add_numbers', args: '{"a":2,"b":3}' }];
    expect(check({ type: 'tool-called', value: 'add_numbers' }, { tool_calls: calls }).pass).toBe(true);
    expect(check({ type: 'tool-called', value: 'add_numbers', args: { a: 2 } }, { tool_calls: calls }).pass).toBe(true);
    expect(check({ type: 'tool-called', value: 'add_numbers', args: { a: 5 } }, { tool_calls: calls }).pass).toBe(false);
    expect(check({ type: 'tool-called', value: 'utc_now' }, { tool_calls: calls }).reason).toMatch(/called: add_numbers/);
  });

  it('measurement checks: unpriced and unmeasurable runs fail with a reason, never pass', () => {
    expect(check({ type: 'max-latency-ms', value: 1000 }).pass).toBe(true);
    expect(check({ type: 'max-latency-ms', value: 500 }).pass).toBe(false);
    expect(check({ type: 'max-ttft-ms', value: 100 }).pass).toBe(false);
    expect(check({ type: 'max-cost-usd', value: 0.001 }).pass).toBe(true);
    expect(check({ type: 'max-cost-usd', value: 1 }, { cost_usd: null })).toMatchObject({ pass: false, reason: expect.stringMatching(/unpriced/) });
    expect(check({ type: 'min-tokens-per-s', value: 1 }, { tokens_per_s: null })).toMatchObject({ pass: false, reason: expect.stringMatching(/not measurable/) });
    expect(check({ type: 'min-tokens-per-s', value: 30 }).pass).toBe(true);
    expect(check({ type: 'finish-reason', value: ['stop', 'length'] }).pass).toBe(true);
    expect(check({ type: 'finish-reason', value: 'length' }).pass).toBe(false);
  });

  it('a failed run fails every check', () => {
    expect(check({ type: 'not-contains', value: 'zzz' }, { error: 'provider:timeout' })).toMatchObject({ pass: false, reason: expect.stringMatching(/run failed/) });
    expect(check({ type: 'max-latency-ms', value: 1e9 }, { aborted: true }).pass).toBe(false);
  });

  it('contains and not-contains always disagree (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (answer, needle) => {
        const contains = check({ type: 'contains', value: needle }, { answer }).pass;
        const absent = check({ type: 'not-contains', value: needle }, { answer }).pass;
        expect(contains).toBe(!absent);
        if (contains) expect(check({ type: 'icontains', value: needle.toUpperCase() }, { answer }).pass).toBe(true);
      }),
    );
  });
});
