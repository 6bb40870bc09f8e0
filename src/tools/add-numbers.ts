import { z } from 'zod';
import type { ToolDefinition } from '../domain/stream-part.js';
import { numberLike } from './tool-arguments.js';

/** `add_numbers(a, b)`: the sum of two numbers, for models that should not do arithmetic. */

export const addNumbersArguments = z.object({ a: numberLike, b: numberLike });

export const addNumbersDefinition: ToolDefinition = {
  type: 'function',
  function: {
    name: 'add_numbers',
    description: 'Add two numbers and return their sum.',
    parameters: {
      type: 'object',
      properties: {
        a: { type: 'number', description: 'The first number.' },
        b: { type: 'number', description: 'The second number.' },
      },
      required: ['a', 'b'],
      additionalProperties: false,
    },
  },
};

/**
 * The sum as text (`5`, `0.3`). Rounded to 15 significant digits so that binary
 * floating-point noise (`0.30000000000000004`) does not reach the model.
 */
export function addNumbers(options: z.output<typeof addNumbersArguments>): string {
  const sum = options.a + options.b;
  if (!Number.isFinite(sum)) return 'Error: the sum is too large to represent.';
  return String(Number(sum.toPrecision(15)));
}
