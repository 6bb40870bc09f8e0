/**
 * PostgreSQL mode (`DATABASE_URL`): the database handle, its schema and migrations, and the
 * stores that keep agents, sessions, runs and scores in it. See docs/data-files.md.
 */
export { createDatabase, redactDatabaseUrl } from './database.js';
export type { AgentsTable, Database, JsonDocument, LabDatabase, RevokedSessionsTable, RunsTable, ScoresTable, SessionsTable } from './database.js';
export { MIGRATIONS, MIGRATION_LOCK_TABLE, MIGRATION_TABLE, MigrationError, migrateToLatest } from './migrations.js';
export { databaseCall } from './database-error.js';
export { replaceUnstorableCharacters } from './storable-text.js';
export { PostgresAgentStore, agentRow } from './postgres-agent-store.js';
export { PostgresRunHistory, runRow, toRunRecord } from './postgres-run-history.js';
export { PostgresScoreHistory, scoreRow, toScoreRecord } from './postgres-score-history.js';
export { PostgresSessionStore, sessionRow } from './postgres-session-store.js';
export { openPostgresStorage } from './postgres-storage.js';
export type { PostgresStorage } from './postgres-storage.js';
export { PostgresRevokedSessions } from './postgres-revoked-sessions.js';
