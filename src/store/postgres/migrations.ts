import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './database.js';

/**
 * The schema of PostgreSQL mode, as migrations in code (no files to ship), applied at
 * start-up by `migrateToLatest` under Kysely's migration lock (a transaction-scoped advisory
 * lock), so instances starting together apply each migration once. Never edit a migration
 * that has shipped: add the next one.
 */

// Migrations see an untyped database: the schema they build is what the table types describe.
type AnyDatabase = Kysely<unknown>;

const RUN_FILTER_COLUMNS = ['experiment_id', 'task_label', 'model', 'agent_name', 'agent_id', 'session_id', 'bakeoff_id'] as const;

const initialSchema: Migration = {
  async up(db: AnyDatabase) {
    await db.schema
      .createTable('agents')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('seq', 'bigint', (column) => column.generatedAlwaysAsIdentity().notNull().unique())
      .addColumn('name', 'text', (column) => column.notNull())
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('updated_at', 'text', (column) => column.notNull())
      .addColumn('document', 'jsonb', (column) => column.notNull())
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('updated_at', 'text', (column) => column.notNull())
      .addColumn('sort_at', 'timestamptz')
      .addColumn('name', 'text', (column) => column.notNull())
      .addColumn('model_id', 'text', (column) => column.notNull())
      .addColumn('turns', 'integer', (column) => column.notNull())
      .addColumn('runs', 'integer', (column) => column.notNull())
      .addColumn('document', 'jsonb', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('sessions_sort_at').on('sessions').expression(sql`sort_at desc nulls last, id desc`).execute();

    await db.schema
      .createTable('runs')
      .addColumn('seq', 'bigint', (column) => column.generatedAlwaysAsIdentity().notNull().unique())
      .addColumn('run_id', 'text', (column) => column.primaryKey())
      .addColumn('ts', 'text', (column) => column.notNull())
      .addColumn('started_at', 'timestamptz')
      .addColumn('agent_name', 'text', (column) => column.notNull())
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('prompt_tokens', 'bigint', (column) => column.notNull())
      .addColumn('completion_tokens', 'bigint', (column) => column.notNull())
      .addColumn('total_tokens', 'bigint', (column) => column.notNull())
      .addColumn('latency_ms', 'double precision', (column) => column.notNull())
      .addColumn('cost_usd', 'double precision')
      .addColumn('experiment_id', 'text', (column) => column.notNull())
      .addColumn('task_label', 'text', (column) => column.notNull())
      .addColumn('run_notes', 'text', (column) => column.notNull())
      .addColumn('streaming', 'boolean', (column) => column.notNull())
      .addColumn('model_list_source', 'text', (column) => column.notNull())
      .addColumn('tool_web_enabled', 'boolean', (column) => column.notNull())
      .addColumn('web_status', 'text', (column) => column.notNull())
      .addColumn('aborted', 'boolean', (column) => column.notNull())
      .addColumn('session_id', 'text', (column) => column.notNull())
      .addColumn('agent_id', 'text', (column) => column.notNull())
      .addColumn('ttft_ms', 'double precision')
      .addColumn('tokens_per_s', 'double precision')
      .addColumn('finish_reason', 'text', (column) => column.notNull())
      .addColumn('error', 'text', (column) => column.notNull())
      .addColumn('bakeoff_id', 'text', (column) => column.notNull())
      .execute();
    // Each filter column with seq: an equality filter reads its rows in file order, and
    // "the last N" reads N index entries backwards.
    for (const column of RUN_FILTER_COLUMNS) {
      await db.schema.createIndex(`runs_${column}_seq`).on('runs').columns([column, 'seq']).execute();
    }
    await db.schema.createIndex('runs_started_at').on('runs').column('started_at').execute();

    await db.schema
      .createTable('scores')
      .addColumn('seq', 'bigint', (column) => column.generatedAlwaysAsIdentity().notNull().unique())
      .addColumn('score_id', 'text', (column) => column.primaryKey())
      .addColumn('ts', 'text', (column) => column.notNull())
      .addColumn('scored_at', 'timestamptz')
      .addColumn('run_id', 'text', (column) => column.notNull())
      .addColumn('experiment_id', 'text', (column) => column.notNull())
      .addColumn('agent_id', 'text', (column) => column.notNull())
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('scorer', 'text', (column) => column.notNull())
      .addColumn('kind', 'text', (column) => column.notNull().check(sql`kind in ('check', 'judge', 'pairwise', 'human')`))
      .addColumn('value', 'double precision', (column) => column.check(sql`value >= 0 and value <= 1`))
      .addColumn('pass', 'boolean')
      .addColumn('reason', 'text', (column) => column.notNull())
      .addColumn('judge_run_id', 'text', (column) => column.notNull())
      .addColumn('opponent_run_id', 'text', (column) => column.notNull())
      .addColumn('eval_case', 'text', (column) => column.notNull())
      .addColumn('rater', 'text', (column) => column.notNull())
      .execute();
    for (const column of ['run_id', 'experiment_id', 'kind'] as const) {
      await db.schema.createIndex(`scores_${column}_seq`).on('scores').columns([column, 'seq']).execute();
    }
    await db.schema.createIndex('scores_scored_at').on('scores').column('scored_at').execute();
  },
  async down(db: AnyDatabase) {
    for (const table of ['scores', 'runs', 'sessions', 'agents']) await db.schema.dropTable(table).ifExists().execute();
  },
};

/** Logouts shared by every instance (the files engine keeps them in revoked-sessions.json). */
const revokedSessions: Migration = {
  async up(db: AnyDatabase) {
    await db.schema
      .createTable('revoked_sessions')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('expires_at', 'timestamptz', (column) => column.notNull())
      .execute();
  },
  async down(db: AnyDatabase) {
    await db.schema.dropTable('revoked_sessions').ifExists().execute();
  },
};

/** Every migration by name; names sort in the order they apply. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_initial_schema': initialSchema,
  '0002_revoked_sessions': revokedSessions,
};

/** Kysely's bookkeeping tables (named for the lab, so they never meet another app's). */
export const MIGRATION_TABLE = 'agent_lab_migration';
export const MIGRATION_LOCK_TABLE = 'agent_lab_migration_lock';

class InCodeMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...MIGRATIONS };
  }
}

/** Thrown when the schema cannot be brought up to date; `cause` is the database's error. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  readonly code = 'migration_failed';
}

/**
 * Create or bring the schema up to date. Safe when several instances start at once: Kysely
 * holds its migration lock while it reads what was applied and applies the rest. Resolves
 * with the names of the migrations this call applied (none when already current).
 */
export async function migrateToLatest(db: Database): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new InCodeMigrationProvider(),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new MigrationError(`Could not migrate the PostgreSQL schema${failed ? ` (migration ${failed})` : ''}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
