import { z } from 'zod';

/**
 * Argument parsing shared by the tools: models send numbers as JSON numbers or as
 * strings ("2.5"), and need errors they can act on, naming each bad argument.
 */

const NUMERIC_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A finite number, or a string holding one in plain decimal/exponent notation. */
export const numberLike = z.union(
  [
    z.number(),
    z
      .string()
      .trim()
      .regex(NUMERIC_TEXT)
      .transform((text) => Number(text)),
  ],
  { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number (or a string holding one)') },
).pipe(z.number({ error: 'must be a finite number' }));

/** `a: must be a number; b: is required` — one clause per issue, for the model. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return `${path === '' ? 'arguments' : path}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Parse the raw JSON arguments of a tool call. Empty text counts as `{}` (models send it
 * for tools without required arguments). Returns the error text to show the model.
 */
export function parseToolArguments<Schema extends z.ZodType>(options: {
  tool: string;
  raw: string;
  schema: Schema;
}): { ok: true; value: z.output<Schema> } | { ok: false; message: string } {
  const { tool, raw, schema } = options;
  let json: unknown = {};
  if (raw.trim() !== '') {
    try {
      json = JSON.parse(raw);
    } catch (error) {
      return { ok: false, message: `Error: the arguments for ${tool} are not valid JSON (${(error as Error).message}).` };
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, message: `Error: the arguments for ${tool} must be a JSON object.` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, message: `Error: invalid arguments for ${tool}: ${describeIssues(parsed.error)}.` };
  return { ok: true, value: parsed.data };
}
