import { sessionSchema } from '../domain/session.js';

/**
 * Validation of one session file as the playbooks see it: strict UTF-8, JSON that
 * `python -m json.tool` accepts, and the session schema (legacy Python files included).
 */

export type SessionProblemKind = 'empty' | 'encoding' | 'json' | 'schema';

export interface SessionProblem {
  kind: SessionProblemKind;
  message: string;
  /** 1-based line of the problem, when it has one. */
  line?: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Line number (1-based) of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let index = 0; index < end; index += 1) if (text.charCodeAt(index) === 10) line += 1;
  return line;
}

/** 1-based line holding the first invalid UTF-8 sequence (UTF-8 never uses 0x0a inside a character). */
function firstInvalidUtf8Line(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(10, start);
    if (end === -1) end = bytes.length;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    line += 1;
    start = end + 1;
  }
  return 1;
}

/** Check a session file's bytes; undefined when it is valid. */
export function checkSessionBytes(bytes: Buffer): SessionProblem | undefined {
  if (bytes.length === 0) return { kind: 'empty', message: 'the file is empty', line: 1 };
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { kind: 'encoding', message: 'contains bytes that are not UTF-8 (garbage)', line: firstInvalidUtf8Line(bytes) };
  }
  if (text.charCodeAt(0) === 0xfeff) {
    return { kind: 'encoding', message: 'starts with a byte-order mark, which JSON readers refuse', line: 1 };
  }
  if (text.trim() === '') return { kind: 'empty', message: 'the file holds only whitespace', line: 1 };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    // A parse error at the very end of the text means the file stops early (a torn write).
    const truncated = /end of JSON input/i.test(message) || (position !== null && Number(position[1]) >= text.trimEnd().length);
    const line = position ? lineAt(text, Number(position[1])) : lineAt(text, text.length);
    return { kind: 'json', message: truncated ? `truncated JSON (${message})` : `invalid JSON (${message})`, line };
  }
  const parsed = sessionSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(the top level)';
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
    return { kind: 'schema', message: `does not match the session schema at ${where}: ${issue?.message ?? 'invalid'}${more}` };
  }
  return undefined;
}
