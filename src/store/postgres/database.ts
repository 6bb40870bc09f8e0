import { Kysely, PostgresDialect, type ColumnType, type Generated } from 'kysely';
import pg from 'pg';

/**
 * The PostgreSQL database of `DATABASE_URL` mode (docs/data-files.md "PostgreSQL mode"): the
 * table types, and `createDatabase`, which opens a pool and a typed Kysely instance on it.
 * Numbers come back as numbers (int8 and numeric too: token counts and sums stay far below
 * 2^53), timestamps as Date.
 */

/** A jsonb column: read as the parsed document, written as its JSON text. */
export type JsonDocument = ColumnType<Record<string, unknown>, string, string>;

/** `agents`: one row per agent, its whole record in `document`, creation order in `seq`. */
export interface AgentsTable {
  id: string;
  seq: Generated<number>;
  name: string;
  created_at: string;
  updated_at: string;
  /** The agent as the API returns it (fields a newer lab adds are kept). */
  document: JsonDocument;
}

/** `sessions`: the session document plus the columns the session list needs. */
export interface SessionsTable {
  id: string;
  created_at: string;
  updated_at: string;
  /** updated_at (else created_at) as a time: the list's newest-first order. */
  sort_at: Date | null;
  name: string;
  model_id: string;
  /** User messages in the transcript. */
  turns: number;
  /** Runs recorded in the session. */
  runs: number;
  /** The session as its JSON file would hold it. */
  document: JsonDocument;
}

/** `runs`: every RUN_COLUMNS field typed, plus the order runs were recorded in. */
export interface RunsTable {
  seq: Generated<number>;
  run_id: string;
  /** ISO 8601 text as recorded (exported as is). */
  ts: string;
  /** `ts` as a time, for `since`; null when `ts` is not a date. */
  started_at: Date | null;
  agent_name: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  latency_ms: number;
  cost_usd: number | null;
  experiment_id: string;
  task_label: string;
  run_notes: string;
  streaming: boolean;
  model_list_source: string;
  tool_web_enabled: boolean;
  web_status: string;
  aborted: boolean;
  session_id: string;
  agent_id: string;
  ttft_ms: number | null;
  tokens_per_s: number | null;
  finish_reason: string;
  error: string;
  bakeoff_id: string;
}

/** `scores`: every SCORE_COLUMNS field typed, plus the order scores were recorded in. */
export interface ScoresTable {
  seq: Generated<number>;
  score_id: string;
  ts: string;
  /** `ts` as a time, for `since`; null when `ts` is not a date. */
  scored_at: Date | null;
  run_id: string;
  experiment_id: string;
  agent_id: string;
  model: string;
  scorer: string;
  kind: string;
  value: number | null;
  pass: boolean | null;
  reason: string;
  judge_run_id: string;
  opponent_run_id: string;
  eval_case: string;
  rater: string;
}

/** `revoked_sessions`: sign-in sessions signed out before their cookie expires. */
export interface RevokedSessionsTable {
  id: string;
  expires_at: Date;
}

/** Every table of the lab's schema. */
export interface LabDatabase {
  agents: AgentsTable;
  sessions: SessionsTable;
  runs: RunsTable;
  scores: ScoresTable;
  revoked_sessions: RevokedSessionsTable;
}

/** The typed database handle the PostgreSQL engine and the CLI share. */
export type Database = Kysely<LabDatabase>;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** pg's parsers, except that int8 and numeric become JS numbers. */
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

/** A postgres URL as it may be shown (logs, health, errors): the password replaced by `***`. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://[unparseable url]';
  }
}

/**
 * Open the database at `url` (`postgres://user:pass@host:port/db`): a pg pool of at most
 * `maxConnections` and a Kysely instance on it. Nothing connects until the first query.
 * `db.destroy()` closes the pool.
 */
export function createDatabase(options: {
  url: string;
  maxConnections?: number;
  /**
   * PostgreSQL's `statement_timeout` for every connection of the pool (ms; 0 or absent = none):
   * the server cancels a longer query, lock waits included, so a stuck query fails instead of hanging.
   */
  statementTimeoutMs?: number;
  applicationName?: string;
  /** Told when an idle connection fails (the server restarted); the pool replaces it. */
  onIdleError?: (error: Error) => void;
}): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'agent-lab',
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    types: typeParsers,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  });
  // An idle client's connection dying (the server restarted) must not crash the lab: the pool
  // drops the client, and the next query opens a new connection.
  pool.on('error', (error) => options.onIdleError?.(error));
  return new Kysely<LabDatabase>({ dialect: new PostgresDialect({ pool }) });
}
