import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isMissingField, REPORT_INPUT } from './zod-issue.js';

const schema = z.object({ message: z.string({ message: 'message must be a string' }), count: z.number(), nested: z.object({ name: z.string() }) });

function missing(value: unknown, options?: typeof REPORT_INPUT): Record<string, boolean> {
  const result = schema.safeParse(value, options);
  if (result.success) return {};
  return Object.fromEntries(result.error.issues.map((issue) => [issue.path.join('.'), isMissingField(issue)]));
}

describe('isMissingField', () => {
  it('tells a missing field from one of the wrong type, even when the schema words its own message', () => {
    expect(missing({ count: 'x', nested: {} }, REPORT_INPUT)).toEqual({ message: true, count: false, 'nested.name': true });
    expect(missing({ message: 5, count: 1, nested: { name: null } }, REPORT_INPUT)).toEqual({ message: false, 'nested.name': false });
  });

  it('without the input, falls back to zod’s own wording', () => {
    expect(missing({ count: 'x', nested: {} })).toEqual({ message: false, count: false, 'nested.name': true });
  });
});
