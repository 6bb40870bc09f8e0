import { sql } from 'kysely';
import { agentSchema } from '../domain/agent.js';
import { sessionSchema } from '../domain/session.js';
import { MIGRATIONS, MIGRATION_TABLE, redactDatabaseUrl, type Database } from '../store/postgres/index.js';
import { countRows, type TableRows } from './database-backup.js';

/**
 * `agent-lab check` in PostgreSQL mode: the database answers, its schema is the one this lab
 * migrates to, and every stored agent and session document is one the lab can read (runs and
 * scores are typed columns, so PostgreSQL itself keeps them whole). Runs whose session is gone
 * and scores whose run is gone are warnings: deleting a session keeps its runs by design.
 */

export interface DatabaseCheckReport {
  ok: boolean;
  engine: 'postgres';
  /** DATABASE_URL with its password replaced by `***`. */
  database: string;
  ping_ms: number;
  schema: { applied: string[]; pending: string[]; unknown: string[] };
  rows: TableRows;
  problems: Array<{ table: 'agents' | 'sessions'; id: string; message: string }>;
  warnings: string[];
}

/** Documents read per query (memory stays flat however many sessions there are). */
const BATCH_SIZE = 1_000;

export async function checkDatabase(options: { db: Database; databaseUrl: string }): Promise<DatabaseCheckReport> {
  const { db } = options;
  const started = performance.now();
  await sql`select 1`.execute(db);
  const pingMs = Math.round((performance.now() - started) * 10) / 10;

  const applied = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`
    .execute(db)
    .then((result) => result.rows.map((row) => row.name))
    .catch(() => [] as string[]);
  const known = Object.keys(MIGRATIONS);
  const schema = { applied, pending: known.filter((name) => !applied.includes(name)), unknown: applied.filter((name) => !known.includes(name)) };
  const warnings: string[] = [];
  if (schema.pending.length > 0) warnings.push(`the schema lacks ${schema.pending.length} migration(s) (${schema.pending.join(', ')}): the lab applies them when it starts`);
  if (schema.unknown.length > 0) warnings.push(`the database has migrations this lab does not know (${schema.unknown.join(', ')}): a newer lab wrote it`);
  if (schema.pending.length === known.length) {
    return { ok: false, engine: 'postgres', database: redactDatabaseUrl(options.databaseUrl), ping_ms: pingMs, schema, rows: { agents: 0, sessions: 0, runs: 0, scores: 0 }, problems: [], warnings };
  }

  const problems: DatabaseCheckReport['problems'] = [];
  for await (const row of documents(db, 'agents')) {
    const parsed = agentSchema.loose().safeParse(row.document);
    if (!parsed.success) problems.push({ table: 'agents', id: row.id, message: describe(parsed.error) });
  }
  for await (const row of documents(db, 'sessions')) {
    const parsed = sessionSchema.safeParse(row.document);
    if (!parsed.success) problems.push({ table: 'sessions', id: row.id, message: describe(parsed.error) });
  }

  const orphanRuns = await db
    .selectFrom('runs')
    .select((builder) => builder.fn.countAll<string>().as('count'))
    .where('session_id', '!=', '')
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('sessions').select('sessions.id').whereRef('sessions.id', '=', 'runs.session_id'))))
    .executeTakeFirstOrThrow();
  if (Number(orphanRuns.count) > 0) warnings.push(`${orphanRuns.count} run(s) belong to a session that no longer exists (deleted sessions keep their runs)`);
  const orphanScores = await db
    .selectFrom('scores')
    .select((builder) => builder.fn.countAll<string>().as('count'))
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('runs').select('runs.run_id').whereRef('runs.run_id', '=', 'scores.run_id'))))
    .executeTakeFirstOrThrow();
  if (Number(orphanScores.count) > 0) warnings.push(`${orphanScores.count} score(s) name a run that is not in the runs table`);

  return {
    ok: problems.length === 0 && schema.unknown.length === 0,
    engine: 'postgres',
    database: redactDatabaseUrl(options.databaseUrl),
    ping_ms: pingMs,
    schema,
    rows: await countRows(db),
    problems,
    warnings,
  };
}

/** Every row's id and document, a batch at a time, in id order. */
async function* documents(db: Database, table: 'agents' | 'sessions'): AsyncGenerator<{ id: string; document: unknown }> {
  let after = '';
  for (;;) {
    const rows = await db.selectFrom(table).select(['id', 'document']).where('id', '>', after).orderBy('id').limit(BATCH_SIZE).execute();
    yield* rows;
    if (rows.length < BATCH_SIZE) return;
    after = rows[rows.length - 1]!.id;
  }
}

function describe(error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }): string {
  const issue = error.issues[0];
  if (!issue) return 'not a valid document';
  return issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message;
}
