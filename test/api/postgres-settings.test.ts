import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../support/prerequisites.js';
import { postgresPrerequisite, startPostgres, type PostgresCluster } from '../support/postgres.js';
import { api } from '../support/sse-client.js';
import { startLab, type RunningLab } from '../support/start-lab.js';

/**
 * DATABASE_POOL_SIZE and DATABASE_STATEMENT_TIMEOUT_SECONDS against a real PostgreSQL: a query
 * stuck behind a lock fails with a clear 503 after the timeout instead of hanging, the lab
 * never holds more connections than the pool size, and it answers again once the lock is gone.
 */
describe.skipIf(missing(postgresPrerequisite()))('PostgreSQL pool size and statement timeout', () => {
  let cluster: PostgresCluster;
  let databaseUrl: string;
  let lab: RunningLab;
  let client: pg.Client;

  beforeAll(async () => {
    cluster = await startPostgres();
    databaseUrl = await cluster.createDatabase();
    lab = await startLab({ env: { DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '2', DATABASE_STATEMENT_TIMEOUT_SECONDS: '1' } });
    client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
  }, 180_000);
  afterAll(async () => {
    await client?.end();
    await lab?.close();
    await cluster?.stop();
  });

  it('a query stuck behind a lock gets 503 after the timeout, on at most DATABASE_POOL_SIZE connections; then the lab answers again', async () => {
    expect((await api(`${lab.url}/api/agents`, { body: { name: 'Waiter', model: 'openai/gpt-4o-mini' } })).status).toBe(201);

    // Another session holds the agents table (a long migration, a stuck transaction).
    await client.query('begin');
    await client.query('lock table agents in access exclusive mode');
    let mostConnections = 0;
    let mostWaiting = 0;
    let settled = false;
    const watch = (async () => {
      const watcher = new pg.Client({ connectionString: databaseUrl });
      await watcher.connect();
      try {
        while (!settled) {
          const { rows } = await watcher.query<{ connections: number; waiting: number }>(
            `select count(*)::int as connections, count(*) filter (where wait_event_type = 'Lock')::int as waiting
               from pg_stat_activity where datname = current_database() and application_name = 'agent-lab'`,
          );
          mostConnections = Math.max(mostConnections, rows[0]!.connections);
          mostWaiting = Math.max(mostWaiting, rows[0]!.waiting);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      } finally {
        await watcher.end();
      }
    })();

    let responses: Array<{ status: number; body: { error?: { code?: string; message?: string } } }>;
    try {
      responses = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const response = await fetch(`${lab.url}/api/agents`, { signal: AbortSignal.timeout(20_000) });
          return { status: response.status, body: (await response.json()) as { error?: { code?: string; message?: string } } };
        }),
      );
    } finally {
      settled = true;
      await watch;
      await client.query('rollback');
    }

    for (const response of responses) {
      expect(response.status).toBe(503);
      expect(response.body.error?.code).toBe('unavailable:store');
      expect(response.body.error?.message).toContain('statement timeout');
      expect(response.body.error?.message).toContain('listing agents');
    }
    // Four requests at once, but never more connections than the pool holds.
    expect(mostWaiting).toBe(2);
    expect(mostConnections).toBeLessThanOrEqual(2);

    const again = await api(`${lab.url}/api/agents`);
    expect(again.status).toBe(200);
    expect(again.json.agents.map((agent: { name: string }) => agent.name)).toContain('Waiter');
  }, 60_000);
});
