import { z } from 'zod';
import { LabError } from './errors.js';
import { replaceExchange } from './exchange.js';
import type { Session, TranscriptEntry } from './session.js';
import { transcriptEntrySchema } from './session.js';
import type { AppendTurnOptions, SessionInput, SessionListEntry } from './session-repository.js';

/**
 * How a session changes (created, updated, a turn added) and how it is written down, as pure
 * functions, so every storage engine changes sessions the same way.
 */

const KNOWN_FIELDS = ['id', 'created_at', 'updated_at', 'name', 'notes', 'agent_config', 'model_id', 'transcript', 'runs'];
const transcriptSchema = z.array(transcriptEntrySchema);

/** An appendTurn call with its transcript entries already validated. */
export type SessionTurn = AppendTurnOptions & { entries: TranscriptEntry[] };

/** Validated transcript entries; a bad one is a LabError `bad_request:body` naming where. */
export function parseTranscript(entries: unknown): TranscriptEntry[] {
  const parsed = transcriptSchema.safeParse(entries);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LabError('bad_request:body', `transcript${issue ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** The session document: the lab's fields first, in a stable order, then any the lab does not know (kept as they were). */
export function toSessionDocument(session: Session): Record<string, unknown> {
  const extras = Object.fromEntries(Object.entries(session).filter(([key]) => !KNOWN_FIELDS.includes(key)));
  return {
    id: session.id,
    created_at: session.created_at,
    updated_at: session.updated_at,
    name: session.name,
    notes: session.notes,
    agent_config: session.agent_config,
    model_id: session.model_id,
    transcript: session.transcript,
    runs: session.runs,
    ...extras,
  };
}

/** A session's line in the session list. */
export function toSessionListEntry(session: Session): SessionListEntry {
  return {
    id: session.id,
    name: session.name,
    created_at: session.created_at,
    updated_at: session.updated_at,
    model_id: session.model_id,
    turns: session.transcript.filter((entry) => entry.role === 'user').length,
    runs: session.runs.length,
  };
}

function modelOf(agentConfig: Record<string, unknown> | null | undefined): string {
  return typeof agentConfig?.model === 'string' ? agentConfig.model : '';
}

/** Now, or just after `previous` if the clock is behind it, so updated_at never goes back. */
export function laterTimestamp(previous: string): string {
  const now = Date.now();
  const before = Date.parse(previous);
  return new Date(Number.isFinite(before) && before >= now ? before + 1 : now).toISOString();
}

function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

/** A new session with the given id from a client's fields. */
export function newSession(id: string, input: SessionInput): Session {
  const now = new Date().toISOString();
  return {
    id,
    created_at: now,
    updated_at: now,
    name: input.name ?? '',
    notes: input.notes ?? '',
    agent_config: input.agent_config ?? null,
    model_id: input.model_id ?? modelOf(input.agent_config),
    transcript: parseTranscript(input.transcript ?? []),
    runs: [],
  };
}

/** `session` with a client's changes (the transcript already validated by `parseTranscript`). */
export function withChanges(session: Session, patch: SessionInput & { transcript?: TranscriptEntry[] | undefined }): Session {
  return {
    ...session,
    ...definedOnly({ name: patch.name, notes: patch.notes, model_id: patch.model_id, transcript: patch.transcript }),
    ...(patch.agent_config === undefined ? {} : { agent_config: patch.agent_config }),
    updated_at: laterTimestamp(session.updated_at),
  };
}

/** A new, empty session for a chat that names no existing one. */
export function startSession(id: string, start: NonNullable<AppendTurnOptions['createIfMissing']>): Session {
  return newSession(id, { agent_config: start.agent_config, model_id: start.model_id, ...(start.name === undefined ? {} : { name: start.name }) });
}

/** `session` with one more turn: its entries, and its run (replacing one with the same `run_id`). */
export function withTurn(session: Session, turn: SessionTurn): Session {
  const runs = [...session.runs];
  if (turn.run) {
    const run: Record<string, unknown> = { ...turn.run };
    const existing = runs.findIndex((candidate) => candidate.run_id !== undefined && candidate.run_id === run.run_id);
    if (existing >= 0) runs[existing] = run;
    else runs.push(run);
  }
  return {
    ...session,
    transcript: turn.replaceRunId
      ? replaceExchange({ transcript: session.transcript, runId: turn.replaceRunId, entries: turn.entries })
      : [...session.transcript, ...turn.entries],
    runs,
    updated_at: laterTimestamp(session.updated_at),
  };
}
