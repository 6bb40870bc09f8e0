import { foldAsciiCase } from './history.js';
import type { RunRecord } from './run.js';
import type { Session, TranscriptEntry } from './session.js';

/**
 * Where sessions are kept, as the routes, the chat and scoring ask for them: implemented by
 * the files engine (`data/sessions/<id>.json`, src/store SessionStore) and by PostgreSQL
 * (src/store/postgres). Ids outside 1-64 `[A-Za-z0-9_-]` reject with `bad_request:id`,
 * missing sessions with `not_found:session`.
 */
export interface SessionRepository {
  /**
   * Sessions newest first (the files engine also lists damaged files): every one, or the
   * newest `limit`; with `q`, only those whose name, id or model contain every word of it
   * (A–Z and a–z alike, as in `GET /api/experiments`).
   */
  list(options?: SessionListOptions): Promise<SessionSummary[]>;
  get(id: string): Promise<Session>;
  /** Start a session with a new UUIDv7 id. */
  create(input?: SessionInput): Promise<Session>;
  /** Change the given fields (the others, and fields the lab does not know, are kept). */
  update(id: string, patch: SessionInput): Promise<Session>;
  delete(id: string): Promise<void>;
  /**
   * Add one turn after a run: its transcript entries and the full run record. Safe when
   * several writers (instances) add turns to one session at once: every turn lands.
   */
  appendTurn(options: AppendTurnOptions): Promise<Session>;
}

export interface SessionListOptions {
  limit?: number;
  q?: string;
}

/** The words of a session-list search with A–Z lowered (none for a blank search). */
export function searchWords(q: string | undefined): string[] {
  return foldAsciiCase(q ?? '').split(/\s+/).filter(Boolean);
}

/** Whether a listed session matches every search word (in its name, id or model). */
export function matchesSearch(summary: SessionSummary, words: readonly string[]): boolean {
  if (words.length === 0) return true;
  const haystack = foldAsciiCase(summary.damaged ? summary.id : `${summary.name} ${summary.id} ${summary.model_id}`);
  return words.every((word) => haystack.includes(word));
}

/** A session in the list: enough to show and sort it without its transcript. */
export interface SessionListEntry {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  model_id: string;
  /** User messages in the transcript (one turn = a message and its answer). */
  turns: number;
  /** Runs recorded in the session. */
  runs: number;
  damaged?: false;
}

/** A stored session that cannot be read as one. */
export interface DamagedSessionEntry {
  id: string;
  damaged: true;
  error: string;
}

/** One line of the session list: a readable session, or one that could not be read. */
export type SessionSummary = SessionListEntry | DamagedSessionEntry;

/** Fields a client may set when creating or updating a session. */
export interface SessionInput {
  name?: string;
  notes?: string;
  agent_config?: Record<string, unknown> | null;
  model_id?: string;
  transcript?: TranscriptEntry[];
}

/** What the chat runner records after each run. */
export interface AppendTurnOptions {
  sessionId: string;
  /** Start the session with this id when it does not exist yet (a chat without `session_id`). */
  createIfMissing?: { name?: string; agent_config: Record<string, unknown> | null; model_id: string };
  /** The transcript entries of the turn (the user message, the assistant answer, tool turns). */
  entries: TranscriptEntry[];
  /** The full run record; one with the same `run_id` already present is replaced. */
  run?: RunRecord | Record<string, unknown>;
  /** Regenerate/retry: these entries take the place of that run's exchange (its run record stays in `runs`). */
  replaceRunId?: string;
}
