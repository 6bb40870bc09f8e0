import { sql } from 'kysely';
import { createDatabase, redactDatabaseUrl, type Database } from './database.js';
import { migrateToLatest } from './migrations.js';
import { PostgresAgentStore } from './postgres-agent-store.js';
import { PostgresRunHistory } from './postgres-run-history.js';
import { PostgresScoreHistory } from './postgres-score-history.js';
import { PostgresSessionStore } from './postgres-session-store.js';

/** Every store of PostgreSQL mode on one database, for the composition root (src/server/lab.ts). */
export interface PostgresStorage {
  db: Database;
  /** The URL as it may be shown: the password replaced by `***`. */
  displayUrl: string;
  agents: PostgresAgentStore;
  sessions: PostgresSessionStore;
  runs: PostgresRunHistory;
  scores: PostgresScoreHistory;
  /** The migrations this start applied (none when the schema was current). */
  migrationsApplied: string[];
  /** `SELECT 1`; resolves with the round trip in ms, rejects when the database does not answer. */
  ping(): Promise<number>;
  /** Close the connection pool. */
  close(): Promise<void>;
}

/**
 * Open the database, bring its schema up to date (under the migration lock, so instances
 * starting together are safe) and build the stores. Rejects when the database cannot be
 * reached or migrated; the error never holds the password. The migrations run on a connection
 * of their own without the statement timeout: waiting for another instance's migration, or
 * building an index on a long table, may rightly take longer than any one query should.
 */
export async function openPostgresStorage(options: {
  url: string;
  maxConnections?: number;
  /** PostgreSQL's statement_timeout for the stores' queries (ms; 0 or absent = none). */
  statementTimeoutMs?: number;
  onIdleError?: (error: Error) => void;
}): Promise<PostgresStorage> {
  const onIdleError = options.onIdleError ? { onIdleError: options.onIdleError } : {};
  const migrator = createDatabase({ url: options.url, maxConnections: 1, ...onIdleError });
  let migrationsApplied: string[];
  try {
    migrationsApplied = await migrateToLatest(migrator);
  } finally {
    await migrator.destroy().catch(() => undefined);
  }
  const db = createDatabase({
    url: options.url,
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    ...(options.statementTimeoutMs ? { statementTimeoutMs: options.statementTimeoutMs } : {}),
    ...onIdleError,
  });
  return {
    db,
    displayUrl: redactDatabaseUrl(options.url),
    agents: new PostgresAgentStore({ db }),
    sessions: new PostgresSessionStore({ db }),
    runs: new PostgresRunHistory({ db }),
    scores: new PostgresScoreHistory({ db }),
    migrationsApplied,
    async ping() {
      const started = performance.now();
      await sql`select 1`.execute(db);
      return Math.round((performance.now() - started) * 10) / 10;
    },
    close: () => db.destroy(),
  };
}
