/**
 * PostgreSQL mode (`DATABASE_URL`): the database handle, its schema and migrations, and the
 * stores that keep agents, sessions, runs and scores in it. See docs/data-files.md.
 */
export { createDatabase, redactDatabaseUrl } from './database.js';
export type { AgentsTable, Database, LabDatabase, RunsTable, ScoresTable, SessionsTable } from './database.js';
export { MIGRATIONS, MIGRATION_LOCK_TABLE, MIGRATION_TABLE, MigrationError, migrateToLatest } from './migrations.js';
