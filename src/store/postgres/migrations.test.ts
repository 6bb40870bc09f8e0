import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../../../test/support/prerequisites.js';
import { postgresPrerequisite, startPostgres, type PostgresCluster } from '../../../test/support/postgres.js';
import { createDatabase, redactDatabaseUrl } from './database.js';
import { MIGRATIONS, migrateToLatest } from './migrations.js';

describe.skipIf(missing(postgresPrerequisite()))('PostgreSQL schema and migrations', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('creates every table once when two instances migrate the same empty database at the same moment', async () => {
    const url = await cluster.createDatabase();
    const first = createDatabase({ url });
    const second = createDatabase({ url });
    try {
      const [appliedByFirst, appliedBySecond] = await Promise.all([migrateToLatest(first), migrateToLatest(second)]);
      // one of them applied every migration, the other found the schema current
      expect([...appliedByFirst, ...appliedBySecond].sort()).toEqual(Object.keys(MIGRATIONS).sort());
      const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(first);
      expect(tables.rows.map((row) => row.table_name)).toEqual(expect.arrayContaining(['agents', 'runs', 'scores', 'sessions']));
      expect(await migrateToLatest(first)).toEqual([]);
    } finally {
      await Promise.all([first.destroy(), second.destroy()]);
    }
  }, 60_000);

  it('names a database it cannot reach without showing the password', async () => {
    const url = cluster.url('no_such_database');
    const db = createDatabase({ url });
    try {
      const failure = await migrateToLatest(db).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(failure?.message).toMatch(/no_such_database/);
      expect(failure?.message).not.toContain('p@ss');
      expect(redactDatabaseUrl(url)).not.toContain('p%40ss');
      expect(redactDatabaseUrl(url)).toMatch(/^postgres:\/\/lab:\*\*\*@127\.0\.0\.1:\d+\/no_such_database$/);
    } finally {
      await db.destroy();
    }
  }, 60_000);
});
