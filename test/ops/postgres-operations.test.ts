import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_COLUMNS, type RunRecord } from '../../src/domain/run.js';
import { startBackupSchedule } from '../../src/recovery/backup-schedule.js';
import { createAuth, SESSION_COOKIE } from '../../src/server/plugins/auth.js';
import { createDatabase, PostgresRevokedSessions } from '../../src/store/postgres/index.js';
import { missing } from '../support/prerequisites.js';
import { POSTGRES_TEST_PASSWORD, postgresPrerequisite, startPostgres, type PostgresCluster } from '../support/postgres.js';
import { api, postSse } from '../support/sse-client.js';
import { CLI_ENTRY, startLab } from '../support/start-lab.js';

/**
 * PostgreSQL mode's operations through the real CLI against a real PostgreSQL: `import` of a
 * files data directory written by a real lab, `export` (the same runs.csv as files mode),
 * `check`, `backup` (pg_dump), `backup --verify` and `restore` after an incident, and the
 * files-only commands refusing with what to do instead. The password never shows.
 */

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const SECRETS = [POSTGRES_TEST_PASSWORD, encodeURIComponent(POSTGRES_TEST_PASSWORD)];
const today = () => new Date().toISOString().slice(0, 10).replaceAll('-', '');

describe.skipIf(missing(postgresPrerequisite()))('PostgreSQL mode operations: import, export, check, backup, restore', () => {
  let cluster: PostgresCluster;
  let databaseUrl: string;
  let root: string;
  let filesDir: string;
  let backupDir: string;
  let client: pg.Client;
  let runs: RunRecord[] = [];

  const cli = (args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
        cwd: root,
        env: Object.fromEntries(
          Object.entries({ PATH: process.env.PATH ?? '', HOME: root, DATA_DIR: path.join(root, 'pg-data'), BACKUP_DIR: backupDir, DATABASE_URL: databaseUrl, ...env }).filter(
            (entry): entry is [string, string] => entry[1] !== undefined,
          ),
        ),
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => {
        for (const secret of SECRETS) expect(`${stdout}${stderr}`.includes(secret), `agent-lab ${args.join(' ')} printed the database password`).toBe(false);
        resolve({ code, stdout, stderr });
      });
    });
  const count = async (table: string) => Number((await client.query(`select count(*) as n from ${table}`)).rows[0].n);

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-pgops-'));
    backupDir = path.join(root, 'backups');
    await mkdir(backupDir);
    await mkdir(path.join(root, 'pg-data'));
    cluster = await startPostgres();
    databaseUrl = await cluster.createDatabase();
    client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();

    // A files data directory, written by a real lab: an agent, three chats in two sessions, a rating.
    const lab = await startLab();
    filesDir = lab.dataDir;
    const agent = await api(`${lab.url}/api/agents`, { body: { name: 'Mover', model: 'openai/gpt-4o-mini', system_prompt: 'Be brief.' } });
    const chat = async (body: Record<string, unknown>) => {
      const result = await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: agent.json.id, ...body } });
      return result.events.find((event) => event.event === 'run-end')!.data.run as RunRecord;
    };
    const first = await chat({ message: 'Hi [[scenario:normal text="Hello, friend." cost=2.5e-05]]', tags: { experiment_id: 'move', run_notes: 'a, "quoted"\nnote' } });
    runs = [first, await chat({ session_id: first.session_id, message: 'Add [[scenario:tool-add a=2 b=3]]', tags: { experiment_id: 'move' } }), await chat({ message: 'Again' })];
    expect((await api(`${lab.url}/api/runs/${first.run_id}/scores`, { body: { kind: 'human', value: 1, rater: 'ana' } })).status).toBe(201);
    await lab.close({ keep: true });
  }, 240_000);

  afterAll(async () => {
    await client?.end();
    await cluster?.stop();
    if (root) await rm(root, { recursive: true, force: true });
    if (filesDir) await rm(path.dirname(filesDir), { recursive: true, force: true });
  });

  it('import loads agents, sessions, runs, scores and the logouts in force; a second import adds nothing; a damaged row is named and left out', async () => {
    await appendFile(path.join(filesDir, 'runs.csv'), 'not,a,run\n');
    const day = 24 * 3600_000;
    const logouts = { revoked: [{ id: 'signed-out', expires_at: new Date(Date.now() + day).toISOString() }, { id: 'long-expired', expires_at: new Date(Date.now() - day).toISOString() }] };
    await writeFile(path.join(filesDir, 'revoked-sessions.json'), JSON.stringify(logouts));
    const first = await cli(['import', filesDir, '--json']);
    expect(first.code, first.stderr).toBe(1);
    const report = JSON.parse(first.stdout);
    expect(report.runs).toEqual({ read: 3, imported: 3, skipped: 0 });
    expect(report.sessions).toEqual({ read: 2, imported: 2, skipped: 0 });
    expect(report.scores).toEqual({ read: 1, imported: 1, skipped: 0 });
    expect(report.logouts).toEqual({ read: 1, imported: 1, skipped: 0 }); // the expired one is not in force
    expect(report.agents.imported).toBeGreaterThanOrEqual(1);
    // Line 6: the header, then three runs, the first spanning two lines (its note holds a newline).
    expect(report.problems).toEqual([expect.objectContaining({ file: 'runs.csv', line: 6 })]);

    const again = await cli(['import', filesDir]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('runs: 0 imported, 3 already there (of 3 read)');
    expect(again.stdout).toContain('runs.csv:6');
    expect(again.stdout).toContain('logouts: 0 imported, 1 already there (of 1 read)');
    expect(await count('runs')).toBe(3);
    expect(await count('sessions')).toBe(2);
  });

  it('export writes the same runs.csv from PostgreSQL as from the files, and scores too', async () => {
    const fromDatabase = await cli(['export']);
    expect(fromDatabase.code, fromDatabase.stderr).toBe(0);
    expect(fromDatabase.stderr).toContain('Exported 3 runs');
    const fromFiles = await cli(['export'], { DATABASE_URL: undefined, DATA_DIR: filesDir });
    expect(fromFiles.code).toBe(0);
    expect(fromDatabase.stdout).toBe(fromFiles.stdout);
    const rows = parse(fromDatabase.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toEqual([...RUN_COLUMNS]);
    expect(rows.map((row) => row.run_id)).toEqual(runs.map((run) => run.run_id));
    expect(rows[0]!.run_notes).toBe('a, "quoted"\nnote');

    const out = path.join(root, 'scores-export.csv');
    const scores = await cli(['export', '--type', 'scores', '--out', out, '--json']);
    expect(scores.code).toBe(0);
    expect(JSON.parse(scores.stdout)).toMatchObject({ type: 'scores', rows: 1, file: out });
    expect(await readFile(out, 'utf8')).toContain(',human,1,true,');
    expect((await cli(['export', '--type', 'sessions'])).code).toBe(2);
  });

  it('check reports the database healthy, then names a session document it cannot read', async () => {
    const healthy = await cli(['check', '--json']);
    expect(healthy.code, healthy.stdout).toBe(0);
    expect(JSON.parse(healthy.stdout)).toMatchObject({ ok: true, engine: 'postgres', rows: { runs: 3, sessions: 2, scores: 1 }, schema: { pending: [] } });

    const [victim] = (await client.query('select id, document from sessions order by id limit 1')).rows as Array<{ id: string; document: unknown }>;
    await client.query(`update sessions set document = '{"transcript": 5}' where id = $1`, [victim!.id]);
    const damaged = await cli(['check']);
    expect(damaged.code).toBe(1);
    expect(damaged.stdout).toContain(`sessions ${victim!.id}: transcript`);
    await client.query('update sessions set document = $2 where id = $1', [victim!.id, JSON.stringify(victim!.document)]);
  });

  it('backup writes a verified pg_dump; restore brings deleted runs and a session back and keeps what it replaced', async () => {
    const backup = await cli(['backup', '--json']);
    expect(backup.code, backup.stderr).toBe(0);
    const snapshot = JSON.parse(backup.stdout);
    expect(snapshot.rows).toEqual({ agents: expect.any(Number), sessions: 2, runs: 3, scores: 1, revoked_sessions: 1 });
    expect(await readdir(snapshot.directory)).toEqual(['database.pgdump', 'manifest.json']);
    expect((await cli(['backup', '--verify'])).code).toBe(0);

    // The incident: runs and a session deleted by mistake.
    await client.query(`delete from runs where experiment_id = 'move'`);
    await client.query('delete from sessions where id = $1', [runs[2]!.session_id]);
    const dryRun = await cli(['restore', '--type', 'telemetry', '--date', today(), '--dry-run']);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain('Would replace runs (1 rows → 3)');
    expect(await count('runs')).toBe(1);

    const telemetry = await cli(['restore', '--type', 'telemetry', '--date', today(), '--json']);
    expect(telemetry.code, telemetry.stderr).toBe(0);
    const restored = JSON.parse(telemetry.stdout);
    expect(restored.tables).toEqual([{ table: 'runs', rows_before: 1, rows_after: 3 }]);
    expect(restored.preRestoreFile).toMatch(/quarantined\/pre-restore-.*\/database\.pgdump$/);
    expect(await count('runs')).toBe(3);
    expect(await count('sessions')).toBe(1);

    const all = await cli(['restore', '--type', 'all', '--date', today()]);
    expect(all.code, all.stderr).toBe(0);
    expect(await count('sessions')).toBe(2);
    // Runs recorded after a restore sort after the restored ones.
    const lab = await startLab({ env: { DATABASE_URL: databaseUrl } });
    try {
      const agents = (await api(`${lab.url}/api/agents`)).json.agents as Array<{ id: string; name: string }>;
      const mover = agents.find((agent) => agent.name === 'Mover')!;
      const result = await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: mover.id, message: 'After the restore' } });
      const after = result.events.find((event) => event.event === 'run-end')!.data.run as RunRecord;
      const listed = (await api(`${lab.url}/api/runs`)).json.runs as RunRecord[];
      expect(listed.map((run) => run.run_id)).toEqual([...runs.map((run) => run.run_id), after.run_id]);
    } finally {
      await lab.close();
    }
  }, 120_000);

  it("the server's scheduled backup writes a pg_dump snapshot in this mode", async () => {
    const scheduledDir = path.join(root, 'scheduled');
    await mkdir(scheduledDir);
    const db = createDatabase({ url: databaseUrl, maxConnections: 2 });
    const logged: string[] = [];
    const log = (context: unknown, message?: string) => void logged.push(message === 'scheduled backup failed' ? `${message}: ${JSON.stringify(context)}` : String(message));
    const schedule = startBackupSchedule({
      config: { dataDir: path.join(root, 'pg-data'), backupDir: scheduledDir, backupIntervalHours: 24, backupRetentionDays: 7 },
      logger: { info: log, warn: log, error: log },
      database: { url: databaseUrl, db },
      firstDelayMs: 3_600_000,
    });
    try {
      await schedule.runNow();
    } finally {
      schedule.stop();
      await db.destroy();
    }
    expect(logged).toContain('scheduled database backup written');
    const [snapshot] = await readdir(scheduledDir);
    expect(await readdir(path.join(scheduledDir, snapshot!))).toEqual(['database.pgdump', 'manifest.json']);
    expect(JSON.parse(await readFile(path.join(scheduledDir, snapshot!, 'manifest.json'), 'utf8')).rows.runs).toBe(4);
  });

  it('a logout on one instance holds on every instance on the database (revoked_sessions)', async () => {
    const token = 'shared-lab-token-0123';
    const first = createDatabase({ url: databaseUrl, maxConnections: 2 });
    const second = createDatabase({ url: databaseUrl, maxConnections: 2 });
    try {
      const instanceA = createAuth({ token, revocations: new PostgresRevokedSessions({ db: first }) });
      const instanceB = createAuth({ token, revocations: new PostgresRevokedSessions({ db: second }) });
      const setCookie = instanceA.sessionCookie({ secure: false });
      const request = { headers: { cookie: setCookie.split(';')[0]! } } as Parameters<typeof instanceA.authorized>[0];
      expect(setCookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
      expect(instanceB.authorized(request)).toBe(true);
      expect(await instanceA.revoke(request)).toBe(true);
      await instanceB.refreshRevocations();
      expect(instanceB.authorized(request)).toBe(false);
      // A restarted instance reads it too.
      const restarted = createAuth({ token, revocations: new PostgresRevokedSessions({ db: second }) });
      await restarted.refreshRevocations();
      expect(restarted.authorized(request)).toBe(false);
    } finally {
      await first.destroy();
      await second.destroy();
    }
  });

  it('backup keeps the logouts; restore --type all merges them with those made since, so nobody is signed back in', async () => {
    const token = 'restore-lab-token-0123';
    const db = createDatabase({ url: databaseUrl, maxConnections: 2 });
    const instance = () => createAuth({ token, revocations: new PostgresRevokedSessions({ db }) });
    try {
      const auth = instance();
      const signIn = () => ({ headers: { cookie: auth.sessionCookie({ secure: false }).split(';')[0]! } }) as Parameters<typeof auth.authorized>[0];
      const beforeBackup = signIn();
      const afterBackup = signIn();
      const stillIn = signIn();
      expect(await auth.revoke(beforeBackup)).toBe(true);
      const inForce = await count('revoked_sessions');
      const backup = await cli(['backup', '--json']);
      expect(backup.code, backup.stderr).toBe(0);
      expect(JSON.parse(backup.stdout).rows.revoked_sessions).toBe(inForce);

      // The incident: the logouts are lost; then someone signs out after the snapshot.
      await client.query('delete from revoked_sessions');
      expect(await auth.revoke(afterBackup)).toBe(true);
      const lost = instance();
      await lost.refreshRevocations();
      expect(lost.authorized(beforeBackup)).toBe(true);

      // Restoring runs alone leaves the logouts as they are.
      expect((await cli(['restore', '--type', 'telemetry', '--date', today()])).code).toBe(0);
      expect(await count('revoked_sessions')).toBe(1);

      const dryRun = await cli(['restore', '--type', 'all', '--date', today(), '--dry-run']);
      expect(dryRun.code, dryRun.stderr).toBe(0);
      expect(dryRun.stdout).toContain(`Would merge the snapshot's ${inForce} logouts into revoked_sessions (1 rows;`);
      expect(await count('revoked_sessions')).toBe(1);

      const all = await cli(['restore', '--type', 'all', '--date', today(), '--json']);
      expect(all.code, all.stderr).toBe(0);
      expect(JSON.parse(all.stdout).tables).toContainEqual({ table: 'revoked_sessions', merged: true, rows_before: 1, snapshot_rows: inForce, rows_after: inForce + 1 });
      const restarted = instance();
      await restarted.refreshRevocations();
      expect(restarted.authorized(beforeBackup)).toBe(false);
      expect(restarted.authorized(afterBackup)).toBe(false);
      expect(restarted.authorized(stillIn)).toBe(true);
    } finally {
      await db.destroy();
    }
  });

  it('a damaged dump is refused before anything changes', async () => {
    const snapshots = (await readdir(backupDir)).filter((name) => /^\d{8}_\d{6}$/.test(name)).sort();
    const dump = path.join(backupDir, snapshots[snapshots.length - 1]!, 'database.pgdump');
    const bytes = await readFile(dump);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10]! + 1) % 256;
    await writeFile(dump, bytes);
    const verify = await cli(['backup', '--verify']);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain('SHA-256 does not match');
    const before = await count('runs');
    const restore = await cli(['restore', '--type', 'all', '--date', today()]);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain('nothing was changed');
    expect(await count('runs')).toBe(before);
  });

  it('files-only commands refuse in PostgreSQL mode, and import needs DATABASE_URL', async () => {
    const quarantine = await cli(['quarantine']);
    expect(quarantine.code).toBe(2);
    expect(quarantine.stderr).toContain('PostgreSQL');
    const rebuild = await cli(['rebuild-csv']);
    expect(rebuild.code).toBe(2);
    expect(rebuild.stderr).toContain('agent-lab export');
    const noDatabase = await cli(['import', filesDir], { DATABASE_URL: undefined });
    expect(noDatabase.code).toBe(2);
    expect(noDatabase.stderr).toContain('DATABASE_URL is not set');
    const unreachable = await cli(['check'], { DATABASE_URL: `postgres://lab:${encodeURIComponent(POSTGRES_TEST_PASSWORD)}@127.0.0.1:1/none` });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain('cannot be used');
  });
});
