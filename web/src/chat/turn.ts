import type { RunRecord, TranscriptEntry, WebStatus } from '../api/types.js';

/** A transcript as the UI shows it: turns made of text and tool parts, in the order they arrived. */

export interface TextPart {
  kind: 'text';
  text: string;
}

export interface ToolPart {
  kind: 'tool';
  id: string;
  name: string;
  args: unknown;
  /** Undefined until the tool-result arrives. */
  result?: unknown;
  webStatus?: WebStatus | null;
}

export type Part = TextPart | ToolPart;

export interface TurnError {
  code: string;
  message: string;
  retryable: boolean;
}

export interface Turn {
  key: string;
  role: 'user' | 'assistant' | 'system';
  parts: Part[];
  runId?: string | undefined;
  /** How an assistant turn ended. */
  state: 'done' | 'aborted' | 'error';
  error?: TurnError | undefined;
  ts?: string | undefined;
  /** The run record of an assistant turn, once the lab has sent or stored it. */
  run?: Partial<RunRecord> | undefined;
}

let counter = 0;
/** A key unique within this page. */
export function nextKey(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** The plain text of a turn (its text parts joined). */
export function turnText(turn: Turn): string {
  return turn.parts
    .filter((part): part is TextPart => part.kind === 'text')
    .map((part) => part.text)
    .join('');
}

/** Adds text to the last text part, or starts one after a tool part. */
export function appendText(parts: Part[], delta: string): Part[] {
  const last = parts[parts.length - 1];
  if (last?.kind === 'text') return [...parts.slice(0, -1), { kind: 'text', text: last.text + delta }];
  return [...parts, { kind: 'text', text: delta }];
}

function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** A run record's `error` text (`provider:credits: The provider ...`) → the code and message it carries. */
export function errorFromRecord(text: string): TurnError {
  const match = /^([a-z_]+:[a-z_]+):\s*([\s\S]*)$/.exec(text);
  return match ? { code: match[1] ?? 'run:error', message: match[2] || text, retryable: true } : { code: 'run:error', message: text, retryable: true };
}

/** A stored session transcript → turns: tool entries join the assistant turn they belong to. */
export function transcriptToTurns(transcript: TranscriptEntry[], runs: Array<Partial<RunRecord>> = []): Turn[] {
  const abortedRuns = new Set(runs.filter((run) => run.aborted === true && run.run_id).map((run) => run.run_id));
  const failedRuns = new Map(
    runs.filter((run) => run.run_id && run.error && !run.aborted).map((run) => [run.run_id, run.error ?? '']),
  );
  const runsById = new Map(runs.filter((run) => run.run_id).map((run) => [run.run_id, run]));
  const turns: Turn[] = [];
  for (const entry of transcript) {
    if (entry.role === 'tool') {
      const previous = turns[turns.length - 1];
      const part: ToolPart = {
        kind: 'tool',
        id: entry.tool_call_id ?? nextKey('tool'),
        name: entry.name ?? 'tool',
        args: undefined,
        result: parseMaybeJson(entry.content),
      };
      const existing = previous?.role === 'assistant'
        ? previous.parts.find((candidate): candidate is ToolPart => candidate.kind === 'tool' && candidate.id === part.id)
        : undefined;
      if (existing) existing.result = part.result;
      else if (previous?.role === 'assistant') previous.parts.push(part);
      else turns.push({ key: nextKey('turn'), role: 'assistant', parts: [part], state: 'done', runId: entry.run_id ?? undefined });
      continue;
    }
    const parts: Part[] = [];
    if (entry.role === 'assistant' && Array.isArray(entry.tool_calls)) {
      for (const call of entry.tool_calls as Array<Record<string, unknown>>) {
        const fn = (call.function ?? {}) as Record<string, unknown>;
        parts.push({
          kind: 'tool',
          id: typeof call.id === 'string' ? call.id : nextKey('tool'),
          name: typeof fn.name === 'string' ? fn.name : typeof call.name === 'string' ? call.name : 'tool',
          args: parseMaybeJson(fn.arguments ?? call.args),
        });
      }
    }
    if (entry.content !== '') parts.push({ kind: 'text', text: entry.content });
    const runId = entry.run_id ?? undefined;
    const failure = runId ? failedRuns.get(runId) : undefined;
    turns.push({
      key: nextKey('turn'),
      role: entry.role,
      parts,
      runId,
      ts: entry.ts ?? undefined,
      state: runId && abortedRuns.has(runId) ? 'aborted' : failure ? 'error' : 'done',
      error: failure ? errorFromRecord(failure) : undefined,
      run: entry.role === 'assistant' && runId ? runsById.get(runId) : undefined,
    });
  }
  return turns;
}
