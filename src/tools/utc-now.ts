import { z } from 'zod';
import type { ToolDefinition } from '../domain/stream-part.js';

/**
 * `utc_now(fmt?)`: the current time in UTC, as ISO 8601 (`2025-01-02T03:04:05Z`) or in a
 * strftime-like format. Only the directives below are understood; anything else is an
 * error the model can read, rather than a silently wrong date.
 */

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

function dayOfYear(date: Date): number {
  return Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

const DIRECTIVES: Readonly<Record<string, (date: Date) => string>> = {
  Y: (date) => String(date.getUTCFullYear()),
  m: (date) => pad(date.getUTCMonth() + 1),
  d: (date) => pad(date.getUTCDate()),
  H: (date) => pad(date.getUTCHours()),
  M: (date) => pad(date.getUTCMinutes()),
  S: (date) => pad(date.getUTCSeconds()),
  z: () => '+0000',
  Z: () => 'UTC',
  j: (date) => pad(dayOfYear(date), 3),
  a: (date) => WEEKDAYS[date.getUTCDay()] ?? '',
  b: (date) => MONTHS[date.getUTCMonth()] ?? '',
  '%': () => '%',
};

const SUPPORTED = Object.keys(DIRECTIVES)
  .map((letter) => `%${letter}`)
  .join(' ');

export const utcNowArguments = z.object({
  fmt: z
    .string({ error: 'must be a string such as "%Y-%m-%d %H:%M:%S"' })
    .max(200, 'must be at most 200 characters')
    .nullish(),
});

export const utcNowDefinition: ToolDefinition = {
  type: 'function',
  function: {
    name: 'utc_now',
    description: `Get the current date and time in UTC. Without fmt, ISO 8601 (2025-01-02T03:04:05Z). fmt is a strftime-like format supporting ${SUPPORTED}.`,
    parameters: {
      type: 'object',
      properties: {
        fmt: { type: 'string', description: `Optional strftime-like format, e.g. "%Y-%m-%d %H:%M:%S %Z". Supported: ${SUPPORTED}.` },
      },
      required: [],
      additionalProperties: false,
    },
  },
};

/** `date` in `fmt`, or an `Error: ...` text naming the unsupported directive. */
export function formatUtc(options: { date: Date; fmt?: string | null | undefined }): string {
  const { date, fmt } = options;
  if (fmt === undefined || fmt === null || fmt.trim() === '') return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
  let output = '';
  for (let index = 0; index < fmt.length; index += 1) {
    const character = fmt[index];
    if (character !== '%') {
      output += character;
      continue;
    }
    const letter = fmt[index + 1];
    const directive = letter !== undefined && Object.hasOwn(DIRECTIVES, letter) ? DIRECTIVES[letter] : undefined;
    if (letter === undefined || directive === undefined) {
      const shown = letter === undefined ? "a lone '%' at the end" : `'%${letter}'`;
      return `Error: unsupported format directive ${shown} in fmt. Supported: ${SUPPORTED} (write %% for a literal %).`;
    }
    output += directive(date);
    index += 1;
  }
  return output;
}

/** The current UTC time in `fmt` (ISO 8601 by default). `now` is the clock, for tests. */
export function utcNow(options: { fmt?: string | null | undefined; now?: () => Date }): string {
  return formatUtc({ date: (options.now ?? (() => new Date()))(), fmt: options.fmt });
}
