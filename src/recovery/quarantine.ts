import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RUN_COLUMNS } from '../domain/run.js';
import { encodeCsvRecord, writeFileAtomic, writeJsonAtomic } from '../store/index.js';
import { assertDataDir, checkSessions, readIfExists } from './check.js';
import { dataPaths } from './data-paths.js';
import { makeStampedDirectory, moveFile, sha256, writeNewFile } from './file-utils.js';
import { withRecoveryLock } from './lock.js';
import { noProgress, type ProgressCallback } from './progress.js';
import { fromFileSystemError } from './recovery-error.js';
import { checkRunsCsvBytes } from './runs-csv-check.js';
import { checkSessionBytes } from './session-check.js';
import { formatStamp } from './timestamp.js';

/**
 * `quarantine`: move damaged session files to `data/quarantined/<YYYYMMDD_HHMMSS>/` and
 * damaged runs.csv records to a side file there; the clean runs.csv replaces the old one
 * atomically under the data lock. A manifest says why each thing moved. Nothing is deleted.
 */

export const QUARANTINE_MANIFEST = 'manifest.json';
/** Side files written in the quarantine folder for runs.csv. */
export const DAMAGED_RECORDS_FILE = 'runs.csv.damaged-records';
export const ORIGINAL_RUNS_CSV_FILE = 'runs.csv.original';

export interface QuarantinedSession {
  /** `sessions/<name>`, relative to the data directory and to the quarantine folder. */
  file: string;
  kind: string;
  reason: string;
  line?: number;
  sha256: string;
  bytes: number;
}

export interface QuarantinedRecord {
  line: number;
  record: number;
  reason: string;
}

export interface QuarantineResult {
  dryRun: boolean;
  /** Absolute path of the quarantine folder; undefined when nothing was damaged (or dry run). */
  directory: string | undefined;
  sessions: QuarantinedSession[];
  runsCsv: {
    /** Damaged records moved to the side file (the header too when it was damaged). */
    records: QuarantinedRecord[];
    headerReplaced: boolean;
    keptRows: number;
  };
}

/** Move damaged data aside. With `dryRun`, only report what would move. */
export async function quarantineData(options: {
  dataDir: string;
  dryRun?: boolean;
  now?: () => Date;
  onProgress?: ProgressCallback;
}): Promise<QuarantineResult> {
  const paths = dataPaths(options.dataDir);
  const now = options.now ?? (() => new Date());
  await assertDataDir(paths.dataDir);
  // Scan without the lock (session files are replaced atomically), then confirm each
  // candidate under it, so the server's writers wait only for the moves.
  const scan = await checkSessions({ sessionsDir: paths.sessionsDir, onProgress: options.onProgress ?? noProgress });
  const candidates = scan.filter((entry) => entry.problem !== undefined).map((entry) => entry.name);

  return withRecoveryLock(paths.dataDir, async () => {
    const sessions: Array<QuarantinedSession & { bytesContent: Buffer }> = [];
    for (const name of candidates) {
      const file = path.join(paths.sessionsDir, name);
      const bytes = await readIfExists(file);
      if (bytes === undefined) continue;
      const problem = checkSessionBytes(bytes);
      if (!problem) continue;
      sessions.push({
        file: `sessions/${name}`,
        kind: problem.kind,
        reason: problem.message,
        ...(problem.line === undefined ? {} : { line: problem.line }),
        sha256: sha256(bytes),
        bytes: bytes.length,
        bytesContent: bytes,
      });
    }

    const csvBytes = await readIfExists(paths.runsCsv);
    const csv = csvBytes === undefined ? undefined : checkRunsCsvBytes(csvBytes);
    const headerReplaced = csv !== undefined && !csv.headerOk;
    const damagedRecords = csv ? csv.records.filter((entry) => entry.problems.length > 0) : [];
    const records: QuarantinedRecord[] = damagedRecords.map((entry) => ({
      line: entry.record.line,
      record: csv!.records.indexOf(entry) + 1,
      reason: entry.problems.join('; '),
    }));
    if (headerReplaced && csv?.header) {
      records.unshift({ line: 1, record: 0, reason: csv.problems.find((problem) => problem.record === 0)?.message ?? 'damaged header' });
    }
    const keptRows = csv ? csv.records.length - damagedRecords.length : 0;
    const csvChanged = records.length > 0;

    const result: QuarantineResult = {
      dryRun: options.dryRun ?? false,
      directory: undefined,
      sessions: sessions.map(({ bytesContent, ...rest }) => rest),
      runsCsv: { records, headerReplaced, keptRows },
    };
    if (options.dryRun || (sessions.length === 0 && !csvChanged)) return result;

    const { directory, name } = await makeStampedDirectory({ parent: paths.quarantineDir, date: now(), format: formatStamp }).catch(
      (error: unknown) => {
        throw fromFileSystemError(error, { action: 'create a folder in', path: paths.quarantineDir });
      },
    );
    result.directory = directory;
    const manifest = {
      tool: 'agent-lab quarantine',
      created_at: now().toISOString(),
      data_dir: paths.dataDir,
      folder: name,
      sessions: result.sessions.map((entry) => ({ ...entry, moved_from: entry.file, moved_to: entry.file })),
      runs_csv: csvChanged
        ? {
            original: ORIGINAL_RUNS_CSV_FILE,
            original_sha256: sha256(csvBytes!),
            damaged_records_file: DAMAGED_RECORDS_FILE,
            header_replaced: headerReplaced,
            kept_rows: keptRows,
            damaged_records: records,
          }
        : null,
      note: 'Nothing was deleted: damaged session files were moved here; runs.csv.original is the file as it was.',
    };
    try {
      for (const entry of sessions) {
        await moveFile(path.join(paths.dataDir, entry.file), path.join(directory, entry.file));
      }
      if (csvChanged && csv && csvBytes) {
        // The whole original first, then the damaged records alone, then the clean file.
        await writeNewFile(path.join(directory, ORIGINAL_RUNS_CSV_FILE), csvBytes);
        const side = [
          ...(headerReplaced && csv.header ? [csv.header.raw] : []),
          ...damagedRecords.map((entry) => entry.record.raw),
        ];
        await writeNewFile(path.join(directory, DAMAGED_RECORDS_FILE), Buffer.concat(side));
        const headerBytes = headerReplaced || !csv.header ? Buffer.from(encodeCsvRecord([...RUN_COLUMNS])) : csv.header.raw;
        const clean = Buffer.concat([
          headerBytes,
          ...csv.records.filter((entry) => entry.problems.length === 0).map((entry) => entry.record.raw),
        ]);
        await writeFileAtomic(paths.runsCsv, clean);
      }
    } catch (error) {
      const failure = fromFileSystemError(error, { action: 'move damaged data to', path: directory });
      // Record what had moved before the failure; the operator needs the original error.
      await writeJsonAtomic(path.join(directory, QUARANTINE_MANIFEST), { ...manifest, incomplete: failure.message }).catch(
        (manifestError: unknown) => void manifestError,
      );
      throw failure;
    }
    await writeJsonAtomic(path.join(directory, QUARANTINE_MANIFEST), manifest);
    return result;
  });
}

/** Read a quarantine manifest (for tools and tests). */
export async function readQuarantineManifest(directory: string): Promise<unknown> {
  return JSON.parse(await readFile(path.join(directory, QUARANTINE_MANIFEST), 'utf8')) as unknown;
}
