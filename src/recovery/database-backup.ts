import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { redactDatabaseUrl, type Database } from '../store/postgres/index.js';
import { fsyncDirectory, fsyncPath } from '../store/atomic-file.js';
import { assertBackupDir, BACKUP_MANIFEST, listBackups, type SnapshotInfo } from './backup.js';
import { sha256File } from './file-utils.js';
import { findPostgresTool, runPostgresTool } from './postgres-tools.js';
import { RecoveryError } from './recovery-error.js';
import { chooseSnapshot, parseRestoreType } from './restore.js';
import { formatStamp, formatStampMillis } from './timestamp.js';

/**
 * Backup and restore in PostgreSQL mode (docs/runbook.md "PostgreSQL mode"), with
 * PostgreSQL's own tools: a snapshot is `BACKUP_DIR/<YYYYMMDD_HHMMSS>/database.pgdump`
 * (pg_dump's custom format) with a manifest holding its SHA-256 and each table's row count.
 * Restore verifies the checksum, saves the current tables to
 * `DATA_DIR/quarantined/pre-restore-<timestamp>/database.pgdump`, then replaces the chosen
 * tables with the snapshot's rows in one transaction: all of them land or none do. `all` also
 * brings back the logouts (`revoked_sessions`), merged with those made since the snapshot:
 * replacing them would sign people back in.
 */

export const DATABASE_BACKUP_FORMAT = 'agent-lab-postgres-backup/1';
const DUMP_FILE = 'database.pgdump';
/** The tables a restore `--type` names. */
const TABLES_OF_TYPE = {
  sessions: ['sessions'],
  telemetry: ['runs'],
  scores: ['scores'],
  agents: ['agents'],
  all: ['agents', 'sessions', 'runs', 'scores', 'revoked_sessions'],
} as const;
type LabTable = 'agents' | 'sessions' | 'runs' | 'scores' | 'revoked_sessions';
const LAB_TABLES: readonly LabTable[] = ['agents', 'sessions', 'runs', 'scores', 'revoked_sessions'];
/** Tables a restore merges into instead of replacing: a logout is never undone. */
const MERGED_TABLES: ReadonlySet<LabTable> = new Set(['revoked_sessions']);

const rowCount = z.number().int().nonnegative();
const rowCounts = z.object({
  agents: rowCount,
  sessions: rowCount,
  runs: rowCount,
  scores: rowCount,
  /** Absent in snapshots written before logouts were counted. */
  revoked_sessions: rowCount.optional(),
});
export const databaseManifestSchema = z.object({
  format: z.literal(DATABASE_BACKUP_FORMAT),
  name: z.string(),
  created_at: z.string(),
  /** DATABASE_URL with its password replaced by `***`. */
  database: z.string(),
  rows: rowCounts,
  files: z.array(z.object({ path: z.literal(DUMP_FILE), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() })).length(1),
});
export type DatabaseManifest = z.infer<typeof databaseManifestSchema>;
export type TableRows = z.infer<typeof rowCounts>;

/** Rows in each of the lab's tables now. */
export async function countRows(db: Database): Promise<TableRows> {
  const counts = await Promise.all(
    LAB_TABLES.map(async (table) => Number((await db.selectFrom(table).select((builder) => builder.fn.countAll<string>().as('rows')).executeTakeFirstOrThrow()).rows)),
  );
  return { agents: counts[0]!, sessions: counts[1]!, runs: counts[2]!, scores: counts[3]!, revoked_sessions: counts[4]! };
}

export interface DatabaseBackupResult {
  name: string;
  directory: string;
  rows: TableRows;
  bytes: number;
  durationMs: number;
}

/** pg_dump the database into a new snapshot folder of BACKUP_DIR. */
export async function createDatabaseBackup(options: { databaseUrl: string; db: Database; backupDir: string; now?: () => Date }): Promise<DatabaseBackupResult> {
  const started = performance.now();
  await assertBackupDir(options.backupDir, { writable: true });
  const now = options.now ?? (() => new Date());
  let moment = now();
  // Snapshot names are whole seconds: a second backup in the same second waits for the next.
  while (await exists(path.join(options.backupDir, formatStamp(moment)))) {
    await new Promise((resolve) => setTimeout(resolve, 1000 - moment.getUTCMilliseconds()));
    moment = now();
  }
  const name = formatStamp(moment);
  const temporary = path.join(options.backupDir, `.tmp-${formatStampMillis(moment)}-${process.pid}`);
  const directory = path.join(options.backupDir, name);
  await mkdir(temporary);
  try {
    const dump = path.join(temporary, DUMP_FILE);
    // Counted in the same snapshot pg_dump sees would be better; counting just before is close enough for a report.
    const rows = await countRows(options.db);
    await runPostgresTool({ tool: 'pg_dump', args: ['--format=custom', '--no-owner', '--no-privileges', `--file=${dump}`], databaseUrl: options.databaseUrl, what: 'writing the backup' });
    await fsyncPath(dump);
    const bytes = (await stat(dump)).size;
    const manifest: DatabaseManifest = {
      format: DATABASE_BACKUP_FORMAT,
      name,
      created_at: moment.toISOString(),
      database: redactDatabaseUrl(options.databaseUrl),
      rows,
      files: [{ path: DUMP_FILE, sha256: await sha256File(dump), bytes }],
    };
    await writeFile(path.join(temporary, BACKUP_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await fsyncPath(path.join(temporary, BACKUP_MANIFEST));
    await rename(temporary, directory);
    await fsyncDirectory(options.backupDir);
    return { name, directory, rows, bytes, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

/** A PostgreSQL-mode snapshot's manifest; `integrity:manifest` when it is missing, damaged or a files-mode snapshot. */
export async function readDatabaseManifest(snapshot: SnapshotInfo): Promise<DatabaseManifest> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path.join(snapshot.directory, BACKUP_MANIFEST), 'utf8'));
  } catch (error) {
    throw new RecoveryError('integrity:manifest', `The snapshot ${snapshot.directory} has no readable ${BACKUP_MANIFEST}`, { cause: error, hint: 'it is incomplete or damaged; use another snapshot' });
  }
  if (typeof value === 'object' && value !== null && (value as { format?: unknown }).format === 'agent-lab-backup/1') {
    throw new RecoveryError('integrity:manifest', `The snapshot ${snapshot.name} is a files-mode snapshot (sessions, runs.csv), not a database dump`, {
      hint: 'restore it into a files DATA_DIR without DATABASE_URL, then load that directory with `agent-lab import DIR`',
    });
  }
  const parsed = databaseManifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RecoveryError('integrity:manifest', `The manifest of the snapshot ${snapshot.directory} is not one agent-lab wrote (${issue.path.join('.') || 'manifest'}: ${issue.message})`, {
      hint: 'the snapshot was altered or damaged; nothing was changed; use another snapshot',
    });
  }
  return parsed.data;
}

export interface DatabaseVerifyResult {
  ok: boolean;
  name: string;
  directory: string;
  rows: TableRows;
  problems: Array<{ file: string; message: string }>;
}

/** Check a snapshot's dump against its checksum and that pg_restore can read it. */
export async function verifyDatabaseSnapshot(snapshot: SnapshotInfo): Promise<DatabaseVerifyResult> {
  const manifest = await readDatabaseManifest(snapshot);
  const dump = path.join(snapshot.directory, DUMP_FILE);
  const problems: DatabaseVerifyResult['problems'] = [];
  const actual = await sha256File(dump).catch(() => undefined);
  if (actual === undefined) problems.push({ file: DUMP_FILE, message: 'missing or unreadable' });
  else if (actual !== manifest.files[0]?.sha256) problems.push({ file: DUMP_FILE, message: 'SHA-256 does not match the manifest (the dump was changed or damaged)' });
  else {
    await runPostgresTool({ tool: 'pg_restore', args: ['--list', dump], what: `reading ${DUMP_FILE}` }).catch((error: unknown) =>
      problems.push({ file: DUMP_FILE, message: `pg_restore cannot read it: ${(error as Error).message}` }),
    );
  }
  return { ok: problems.length === 0, name: snapshot.name, directory: snapshot.directory, rows: manifest.rows, problems };
}

/** `backup --verify [NAME]` in PostgreSQL mode: the named snapshot, or the newest. */
export async function verifyDatabaseBackup(options: { backupDir: string; name?: string }): Promise<DatabaseVerifyResult> {
  await assertBackupDir(options.backupDir, { writable: false });
  const snapshots = await listBackups(options.backupDir);
  const snapshot = options.name === undefined ? snapshots[snapshots.length - 1] : snapshots.find((candidate) => candidate.name === options.name);
  if (!snapshot) {
    throw new RecoveryError('not_found:snapshot', options.name === undefined ? `There is no snapshot in ${options.backupDir}` : `There is no snapshot ${options.name} in ${options.backupDir}`, {
      hint: 'make one with `npx --no-install agent-lab backup`',
    });
  }
  return verifyDatabaseSnapshot(snapshot);
}

/** One table a restore touched: replaced by the snapshot's rows, or (logouts) merged with them. */
export type RestoredTable =
  | { table: LabTable; rows_before: number; rows_after: number }
  /** `rows_after` is counted after the merge (absent on a dry run); `snapshot_rows` is what the snapshot held. */
  | { table: LabTable; merged: true; rows_before: number; snapshot_rows: number | null; rows_after?: number };

export interface DatabaseRestoreResult {
  snapshot: string;
  snapshotDirectory: string;
  types: string[];
  dryRun: boolean;
  tables: RestoredTable[];
  /** The dump of the tables as they were before the restore (not written on a dry run). */
  preRestoreFile: string | undefined;
  durationMs: number;
}

/**
 * Replace the tables `type` names with a verified snapshot's rows. Refuses before changing
 * anything when the checksum fails; the replaced rows are kept in a pre-restore dump.
 */
export async function restoreDatabase(options: {
  databaseUrl: string;
  db: Database;
  dataDir: string;
  backupDir: string;
  type: string;
  date: string;
  time?: string;
  dryRun: boolean;
}): Promise<DatabaseRestoreResult> {
  const started = performance.now();
  const type = parseRestoreType(options.type);
  const snapshot = await chooseSnapshot({ backupDir: options.backupDir, date: options.date, ...(options.time === undefined ? {} : { time: options.time }) });
  const verified = await verifyDatabaseSnapshot(snapshot);
  if (!verified.ok) {
    throw new RecoveryError('integrity:checksum', `The snapshot ${snapshot.name} fails its check (${verified.problems.map((problem) => `${problem.file}: ${problem.message}`).join('; ')})`, {
      hint: 'nothing was changed; restore from another snapshot',
    });
  }
  const tables = [...TABLES_OF_TYPE[type]] as LabTable[];
  const before = await countRows(options.db);
  const outcome = (preRestoreFile: string | undefined, after: TableRows | undefined): DatabaseRestoreResult => ({
    snapshot: snapshot.name,
    snapshotDirectory: snapshot.directory,
    types: [type],
    dryRun: options.dryRun,
    tables: tables.map((table): RestoredTable => {
      const rowsBefore = before[table] ?? 0;
      if (!MERGED_TABLES.has(table)) return { table, rows_before: rowsBefore, rows_after: verified.rows[table] ?? 0 };
      return { table, merged: true, rows_before: rowsBefore, snapshot_rows: verified.rows[table] ?? null, ...(after ? { rows_after: after[table] ?? 0 } : {}) };
    }),
    preRestoreFile,
    durationMs: Math.round(performance.now() - started),
  });
  if (options.dryRun) return outcome(undefined, undefined);

  const preRestoreDirectory = path.join(path.resolve(options.dataDir), 'quarantined', `pre-restore-${formatStampMillis(new Date())}`);
  await mkdir(preRestoreDirectory, { recursive: true });
  const preRestoreFile = path.join(preRestoreDirectory, DUMP_FILE);
  await runPostgresTool({
    tool: 'pg_dump',
    args: ['--format=custom', '--no-owner', '--no-privileges', ...tables.map((table) => `--table=public.${table}`), `--file=${preRestoreFile}`],
    databaseUrl: options.databaseUrl,
    what: 'saving the tables before the restore',
  });
  await fsyncPath(preRestoreFile);

  await runPostgresTool({
    tool: 'psql',
    args: ['--no-psqlrc', '--quiet', '--single-transaction', '--set=ON_ERROR_STOP=1', '--file=-'],
    databaseUrl: options.databaseUrl,
    input: restoreScript({ tables, dump: path.join(snapshot.directory, DUMP_FILE) }),
    what: `restoring ${tables.join(', ')} from ${snapshot.name}`,
  });
  return outcome(preRestoreFile, await countRows(options.db));
}

/**
 * The psql script of a restore: empty the tables, then the snapshot's rows as pg_restore
 * writes them (COPY), then the identity sequence of each table ordered by `seq` (all but
 * sessions and the logouts) moved past its largest, so rows recorded after the restore sort
 * after the restored ones. The logouts are merged: the current rows are set aside (the table
 * locked first, so a logout made meanwhile waits instead of being lost) and added back.
 */
function restoreScript(options: { tables: LabTable[]; dump: string }): Readable {
  const quoted = options.tables.map((table) => `public.${table}`).join(', ');
  const merged = options.tables.filter((table) => MERGED_TABLES.has(table));
  const program = findPostgresTool('pg_restore');
  return Readable.from(
    (async function* script() {
      for (const table of merged) {
        yield `LOCK TABLE public.${table} IN EXCLUSIVE MODE;\n`;
        yield `CREATE TEMPORARY TABLE agent_lab_${table}_before ON COMMIT DROP AS SELECT * FROM public.${table};\n`;
      }
      yield `TRUNCATE TABLE ${quoted};\n`;
      const child = spawn(program, ['--data-only', '--no-owner', ...options.tables.map((table) => `--table=${table}`), '--file=-', options.dump], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
      const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
      for await (const chunk of child.stdout) yield chunk as Buffer;
      const status = await closed;
      // A failed pg_restore must fail the transaction: psql stops at this error and rolls back.
      if (status !== 0) yield `\\echo pg_restore failed: ${JSON.stringify(stderr.trim().slice(-500))}\nSELECT 1/0 AS pg_restore_failed;\n`;
      // pg_restore's script empties search_path: every name below is qualified.
      for (const table of merged) {
        yield (
          `INSERT INTO public.${table} (id, expires_at) SELECT id, expires_at FROM pg_temp.agent_lab_${table}_before ` +
          `ON CONFLICT (id) DO UPDATE SET expires_at = GREATEST(public.${table}.expires_at, EXCLUDED.expires_at);\n` +
          `DELETE FROM public.${table} WHERE expires_at <= pg_catalog.now();\n`
        );
      }
      for (const table of options.tables.filter((name) => name !== 'sessions' && !MERGED_TABLES.has(name))) {
        yield `SELECT setval(pg_get_serial_sequence('public.${table}', 'seq'), coalesce((SELECT max(seq) FROM public.${table}), 0) + 1, false);\n`;
      }
    })(),
  );
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
