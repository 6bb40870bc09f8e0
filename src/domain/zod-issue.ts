import type { z } from 'zod';

/**
 * Parse options that keep each issue's input: with them a missing field is known by its value
 * (undefined), whatever message the schema words for it (`z.string({ message })` replaces zod's
 * "received undefined"). Pass them to `safeParse` wherever `isMissingField` reads the issues.
 */
export const REPORT_INPUT = { reportInput: true } as const;

/**
 * True when the issue is a field that is not there at all (as opposed to one of the wrong type).
 * An issue parsed without REPORT_INPUT has no input to look at, so zod's own wording decides.
 */
export function isMissingField(issue: z.core.$ZodIssue): boolean {
  if (issue.code !== 'invalid_type') return false;
  if ('input' in issue) return issue.input === undefined;
  return /received undefined$/.test(issue.message);
}
