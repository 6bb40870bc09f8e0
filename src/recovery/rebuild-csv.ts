import path from 'node:path';
import { RUN_COLUMNS, runToCsvFields } from '../domain/run.js';
import { sessionSchema } from '../domain/session.js';
import { CSV_PROBLEMS, decodeCsvRecords, encodeCsvRecord, encodeCsvRecords, fileTimestamp, parseRunRow, writeFileAtomic, type RunRow } from '../store/index.js';
import { assertDataDir, listSessionFiles, readIfExists } from './check.js';
import { dataPaths } from './data-paths.js';
import { writeNewFile } from './file-utils.js';
import { withRecoveryLock } from './lock.js';
import { mapLimit } from './parallel.js';
import { noProgress, type ProgressCallback } from './progress.js';
import { fromFileSystemError } from './recovery-error.js';
import { checkSessionBytes } from './session-check.js';

/**
 * `rebuild-csv`: runs.csv from the sessions' `runs` arrays, each row exactly the row the lab
 * appends for that run (runToCsvFields). Rows of the old file that no session can reproduce
 * (legacy rows without run_id, run_ids in no session) are kept as they are. The old file is
 * kept as `runs.csv.bak-<timestamp>`; the new one replaces it atomically under the data
 * lock, so the server's next append goes to the new file.
 */

export interface RebuildResult {
  dryRun: boolean;
  /** Rows in the new runs.csv. */
  rows: number;
  /** Rows written from session run records. */
  fromSessions: number;
  /** Old rows kept as they were (no session holds their run). */
  keptFromOldFile: number;
  /** Old rows replaced by the session's row for the same run_id. */
  replacedOldRows: number;
  /** Old records that were not well-formed CSV (wrong field count, torn); only the .bak keeps them. */
  droppedDamagedRecords: number;
  /** Session files skipped because they are damaged (run `check`/`quarantine`). */
  damagedSessions: string[];
  /** Where the old file was kept; undefined when there was none (or dry run). */
  backupPath: string | undefined;
}

/** A run record kept in a session → the RunRow the store parses (numbers, booleans and nulls as CSV text). */
function sessionRunToRow(run: Record<string, unknown>, sessionId: string): RunRow {
  const row: RunRow = {};
  for (const [key, value] of Object.entries(run)) {
    if (value === null || value === undefined) row[key] = '';
    else if (typeof value === 'string') row[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') row[key] = String(value);
  }
  if (!row.session_id) row.session_id = sessionId;
  return row;
}

/** Milliseconds of a row's ts for ordering; rows with no readable ts go last. */
function timeOf(ts: string | undefined): number {
  const value = Date.parse((ts ?? '').trim().replace(' ', 'T'));
  return Number.isNaN(value) ? Number.POSITIVE_INFINITY : value;
}

/** Rebuild runs.csv from the sessions. With `dryRun`, only report what it would write. */
export async function rebuildRunsCsv(options: {
  dataDir: string;
  dryRun?: boolean;
  now?: () => Date;
  onProgress?: ProgressCallback;
}): Promise<RebuildResult> {
  const paths = dataPaths(options.dataDir);
  const onProgress = options.onProgress ?? noProgress;
  const now = options.now ?? (() => new Date());
  await assertDataDir(paths.dataDir);

  // Sessions are read before the lock: the lab appends a run to runs.csv before saving it
  // in its session, so a run saved meanwhile is already an old row and is kept.
  const names = await listSessionFiles(paths.sessionsDir);
  let done = 0;
  const damagedSessions: string[] = [];
  const perSession = await mapLimit(names, { concurrency: 32 }, async (name) => {
    const bytes = await readIfExists(path.join(paths.sessionsDir, name));
    done += 1;
    onProgress({ phase: 'sessions', done, total: names.length });
    if (bytes === undefined) return [];
    if (checkSessionBytes(bytes)) {
      damagedSessions.push(`sessions/${name}`);
      return [];
    }
    const session = sessionSchema.parse(JSON.parse(bytes.toString('utf8')));
    const sessionId = name.slice(0, -'.json'.length);
    return (session.runs ?? []).map((run) => parseRunRow(sessionRunToRow(run, sessionId)));
  });
  const sessionRuns = new Map<string, ReturnType<typeof parseRunRow>>();
  for (const runs of perSession) {
    for (const run of runs) if (run.run_id && !sessionRuns.has(run.run_id)) sessionRuns.set(run.run_id, run);
  }

  return withRecoveryLock(paths.dataDir, async () => {
    const oldBytes = await readIfExists(paths.runsCsv);
    const oldRecords = oldBytes ? decodeCsvRecords(oldBytes) : [];
    const oldHeader = oldRecords[0]?.fields.map((field, index) => (index === 0 ? field.replace(/^\uFEFF/, '') : field)) ?? [];
    const headerKnown = RUN_COLUMNS.every((column, index) => oldHeader[index] === column) ||
      ['ts', 'agent_name', 'model'].every((column) => oldHeader.includes(column));
    const oldColumns = headerKnown ? oldHeader : [...RUN_COLUMNS];
    const extras = oldColumns.filter((column) => !(RUN_COLUMNS as readonly string[]).includes(column));
    const columns = [...RUN_COLUMNS, ...extras];
    const sameLayout = columns.length === oldColumns.length && columns.every((column, index) => oldColumns[index] === column);

    type OutputRow = { ts: string; bytes: Buffer };
    const output: OutputRow[] = [];
    let keptFromOldFile = 0;
    let replacedOldRows = 0;
    let droppedDamagedRecords = 0;
    for (const record of oldRecords.slice(headerKnown ? 1 : 0)) {
      if (record.problems.includes(CSV_PROBLEMS.blank)) continue;
      const onlyUnterminated = record.problems.every((problem) => problem === CSV_PROBLEMS.unterminated);
      if (record.fields.length !== oldColumns.length || !onlyUnterminated) {
        droppedDamagedRecords += 1;
        continue;
      }
      const byName = new Map(oldColumns.map((column, index) => [column, record.fields[index] ?? '']));
      const runId = byName.get('run_id') ?? '';
      if (runId && sessionRuns.has(runId)) {
        replacedOldRows += 1;
        continue;
      }
      keptFromOldFile += 1;
      const bytes =
        sameLayout && record.terminated
          ? record.raw
          : Buffer.from(encodeCsvRecord(columns.map((column) => byName.get(column) ?? '')));
      output.push({ ts: byName.get('ts') ?? '', bytes });
    }
    for (const run of sessionRuns.values()) {
      const fields = runToCsvFields(run);
      output.push({ ts: run.ts, bytes: Buffer.from(encodeCsvRecord([...fields, ...extras.map(() => '')])) });
    }
    // Stable sort by time: equal times keep file order, then session order.
    const ordered = output.map((row, index) => ({ row, index, time: timeOf(row.ts) }));
    ordered.sort((a, b) => (a.time === b.time ? a.index - b.index : a.time < b.time ? -1 : 1));

    const result: RebuildResult = {
      dryRun: options.dryRun ?? false,
      rows: ordered.length,
      fromSessions: sessionRuns.size,
      keptFromOldFile,
      replacedOldRows,
      droppedDamagedRecords,
      damagedSessions: damagedSessions.sort(),
      backupPath: undefined,
    };
    if (options.dryRun) return result;

    const content = Buffer.concat([Buffer.from(encodeCsvRecords([columns])), ...ordered.map((entry) => entry.row.bytes)]);
    try {
      if (oldBytes !== undefined) {
        result.backupPath = await keepOldFile(paths.runsCsv, fileTimestamp(now()), oldBytes);
      }
      await writeFileAtomic(paths.runsCsv, content);
    } catch (error) {
      throw fromFileSystemError(error, { action: 'write', path: paths.runsCsv });
    }
    return result;
  });
}

/** Keep the old bytes as `runs.csv.bak-<stamp>` (never over an existing file), fsynced. */
async function keepOldFile(runsCsv: string, stamp: string, bytes: Buffer): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    const candidate = `${runsCsv}.bak-${stamp}${attempt === 0 ? '' : `.${attempt}`}`;
    try {
      await writeNewFile(candidate, bytes);
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
