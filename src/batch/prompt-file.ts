import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { BatchError } from './batch-error.js';
import { isMissingField, REPORT_INPUT } from '../domain/zod-issue.js';

/**
 * The prompt file of a batch: JSON Lines (`{"prompt": "...", "task_label": "..."}` per line)
 * or CSV with a `prompt` column (and optionally `task_label`). A malformed line is named by
 * its line number and either skipped or stops the batch.
 */

/** Longest prompt the lab accepts (characters), as `POST /api/chat` does. */
const MAX_PROMPT_CHARS = 100_000;
const MAX_LABEL_CHARS = 10_000;

/** One prompt of the file. `number` is its record position in the file (bad records count too), so pair keys stay stable when a bad line is skipped. */
export interface BatchPrompt {
  number: number;
  line: number;
  prompt: string;
  task_label: string;
}

export interface BadLine {
  line: number;
  reason: string;
}

export type BadLinePolicy = 'skip' | 'stop';
export type PromptFileFormat = 'jsonl' | 'csv';

export interface PromptFile {
  format: PromptFileFormat;
  prompts: BatchPrompt[];
  skipped: BadLine[];
}

const promptRecordSchema = z.object({
  prompt: z
    .string({ message: '"prompt" must be a string' })
    .refine((value) => value.trim() !== '', '"prompt" must not be empty')
    .refine((value) => value.length <= MAX_PROMPT_CHARS, `"prompt" must be at most ${MAX_PROMPT_CHARS} characters`),
  task_label: z
    .union([z.string(), z.null()], { message: '"task_label" must be a string' })
    .optional()
    .refine((value) => (value ?? '').length <= MAX_LABEL_CHARS, `"task_label" must be at most ${MAX_LABEL_CHARS} characters`),
});

function check(record: unknown): { ok: true; prompt: string; task_label: string } | { ok: false; reason: string } {
  const result = promptRecordSchema.safeParse(record, REPORT_INPUT);
  if (result.success) return { ok: true, prompt: result.data.prompt, task_label: result.data.task_label ?? '' };
  const issue = result.error.issues[0];
  const missing = issue !== undefined && issue.path[0] === 'prompt' && isMissingField(issue);
  return { ok: false, reason: missing ? 'no "prompt" field' : (issue?.message ?? 'not a prompt record') };
}

/** The format from the file name, else from its first character. */
export function detectFormat(options: { fileName: string; text: string }): PromptFileFormat {
  const extension = path.extname(options.fileName).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson' || extension === '.json') return 'jsonl';
  return options.text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

function parseJsonLines(text: string): Array<{ line: number; result: ReturnType<typeof check> }> {
  const records: Array<{ line: number; result: ReturnType<typeof check> }> = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      records.push({ line: index + 1, result: { ok: false, reason: `not valid JSON (${(error as Error).message})` } });
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      records.push({ line: index + 1, result: { ok: false, reason: 'expected a JSON object like {"prompt": "..."}' } });
      return;
    }
    records.push({ line: index + 1, result: check(value) });
  });
  return records;
}

function parseCsv(text: string): Array<{ line: number; result: ReturnType<typeof check> }> {
  const records: Array<{ line: number; result: ReturnType<typeof check> }> = [];
  let header: string[] | undefined;
  let parsed: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    parsed = parse(text, {
      columns: (names: string[]) => {
        header = names.map((name) => name.trim());
        return header;
      },
      info: true,
      bom: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error: { message: string; lines?: number } | undefined) => {
        if (error) records.push({ line: error.lines ?? 0, result: { ok: false, reason: error.message.replace(/ on line \d+$/, '').replace(/ at line \d+$/, '') } });
      },
    }) as Array<{ record: Record<string, string>; info: { lines: number } }>;
  } catch (error) {
    const lines = (error as { lines?: number }).lines;
    throw new BatchError('batch:bad_line', `The CSV prompt file cannot be read${lines ? ` (line ${lines})` : ''}: ${(error as Error).message}`, { cause: error });
  }
  if (header && !header.includes('prompt')) {
    throw new BatchError('batch:no_prompt_column', `The CSV prompt file has no "prompt" column (its header is: ${header.join(', ') || 'empty'}).`);
  }
  for (const { record, info } of parsed) records.push({ line: info.lines, result: check({ prompt: record.prompt, task_label: record.task_label }) });
  return records.sort((a, b) => a.line - b.line);
}

/** Parse the text of a prompt file; throws BatchError for an empty file, or a bad line under `stop`. */
export function parsePromptFile(options: { text: string; format: PromptFileFormat; onBadLine?: BadLinePolicy; fileName?: string }): PromptFile {
  const { text, format, onBadLine = 'stop' } = options;
  const name = options.fileName ?? 'the prompt file';
  if (text.trim() === '') throw new BatchError('batch:prompt_file_empty', `${name} is empty: give one prompt per line (JSON Lines) or a CSV with a "prompt" column.`);
  const records = format === 'jsonl' ? parseJsonLines(text) : parseCsv(text);
  const prompts: BatchPrompt[] = [];
  const skipped: BadLine[] = [];
  records.forEach((record, index) => {
    if (record.result.ok) {
      prompts.push({ number: index + 1, line: record.line, prompt: record.result.prompt, task_label: record.result.task_label });
      return;
    }
    if (onBadLine === 'stop') {
      throw new BatchError('batch:bad_line', `${name}, line ${record.line}: ${record.result.reason} (use --on-bad-line skip to skip bad lines).`);
    }
    skipped.push({ line: record.line, reason: record.result.reason });
  });
  if (prompts.length === 0) {
    throw new BatchError(
      'batch:prompt_file_empty',
      skipped.length > 0 ? `${name} has no usable prompt: all ${skipped.length} line(s) are malformed (first: line ${skipped[0]!.line}: ${skipped[0]!.reason}).` : `${name} has no prompts (only a header?).`,
    );
  }
  return { format, prompts, skipped };
}

/** Read and parse a prompt file from disk. */
export async function readPromptFile(options: { path: string; onBadLine?: BadLinePolicy }): Promise<PromptFile> {
  let text: string;
  try {
    text = await readFile(options.path, 'utf8');
  } catch (error) {
    throw new BatchError('batch:prompt_file_missing', `Cannot read the prompt file ${options.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  return parsePromptFile({ text, format: detectFormat({ fileName: options.path, text }), fileName: options.path, ...(options.onBadLine ? { onBadLine: options.onBadLine } : {}) });
}
