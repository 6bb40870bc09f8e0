import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RUN_COLUMNS } from '../domain/run.js';
import { SCORE_COLUMNS } from '../domain/score.js';
import { encodeCsvRecord, writeFileAtomic, writeJsonAtomic } from '../store/index.js';
import { assertDataDir, checkSessions, readIfExists } from './check.js';
import { dataPaths } from './data-paths.js';
import { makeStampedDirectory, moveFile, sha256, writeNewFile } from './file-utils.js';
import { withRecoveryLock } from './lock.js';
import { noProgress, type ProgressCallback } from './progress.js';
import { fromFileSystemError } from './recovery-error.js';
import { checkRunsCsvBytes, type RunsCsvCheck } from './runs-csv-check.js';
import { checkScoresCsvBytes } from './scores-csv-check.js';
import { checkSessionBytes } from './session-check.js';
import { formatStamp } from './timestamp.js';

/**
 * `quarantine`: move damaged session files to `data/quarantined/<YYYYMMDD_HHMMSS>/` and
 * damaged runs.csv and scores.csv records to side files there; each clean file replaces the old one
 * atomically under the data lock. A manifest says why each thing moved. Nothing is deleted.
 */

export const QUARANTINE_MANIFEST = 'manifest.json';
/** Side files written in the quarantine folder for runs.csv. */
export const DAMAGED_RECORDS_FILE = 'runs.csv.damaged-records';
export const ORIGINAL_RUNS_CSV_FILE = 'runs.csv.original';
/** Side files written in the quarantine folder for scores.csv. */
export const DAMAGED_SCORES_FILE = 'scores.csv.damaged-records';
export const ORIGINAL_SCORES_CSV_FILE = 'scores.csv.original';

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
  runsCsv: CsvQuarantine;
  scoresCsv: CsvQuarantine;
}

/** What quarantine did (or would do) with one CSV file. */
export interface CsvQuarantine {
  /** Damaged records moved to the side file (the header too when it was damaged). */
  records: QuarantinedRecord[];
  headerReplaced: boolean;
  keptRows: number;
}

/** One of the lab's CSV files, as quarantine treats it. */
interface CsvFileSpec {
  key: 'runs_csv' | 'scores_csv';
  file: string;
  columns: readonly string[];
  check: (bytes: Buffer) => RunsCsvCheck;
  original: string;
  damaged: string;
}

interface CsvPlan {
  spec: CsvFileSpec;
  bytes: Buffer;
  check: RunsCsvCheck;
  summary: CsvQuarantine;
}

/** Which records of a CSV file move aside; undefined when the file is missing. */
function planCsv(spec: CsvFileSpec, bytes: Buffer | undefined): CsvPlan | undefined {
  if (bytes === undefined) return undefined;
  const check = spec.check(bytes);
  const headerReplaced = !check.headerOk;
  const records: QuarantinedRecord[] = check.records.flatMap((entry, index) =>
    entry.problems.length > 0 ? [{ line: entry.record.line, record: index + 1, reason: entry.problems.join('; ') }] : [],
  );
  if (headerReplaced && check.header) {
    records.unshift({ line: 1, record: 0, reason: check.problems.find((problem) => problem.record === 0)?.message ?? 'damaged header' });
  }
  const keptRows = check.records.filter((entry) => entry.problems.length === 0).length;
  return { spec, bytes, check, summary: { records, headerReplaced, keptRows } };
}

/** The original, then the damaged records alone, then the clean file in place (atomically). */
async function quarantineCsv(plan: CsvPlan, options: { directory: string; target: string }): Promise<void> {
  const { spec, bytes, check, summary } = plan;
  await writeNewFile(path.join(options.directory, spec.original), bytes);
  const side = [...(summary.headerReplaced && check.header ? [check.header.raw] : []), ...check.records.filter((entry) => entry.problems.length > 0).map((entry) => entry.record.raw)];
  await writeNewFile(path.join(options.directory, spec.damaged), Buffer.concat(side));
  const headerBytes = summary.headerReplaced || !check.header ? Buffer.from(encodeCsvRecord([...spec.columns])) : check.header.raw;
  const clean = Buffer.concat([headerBytes, ...check.records.filter((entry) => entry.problems.length === 0).map((entry) => entry.record.raw)]);
  await writeFileAtomic(options.target, clean);
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

    const specs: CsvFileSpec[] = [
      { key: 'runs_csv', file: paths.runsCsv, columns: RUN_COLUMNS, check: checkRunsCsvBytes, original: ORIGINAL_RUNS_CSV_FILE, damaged: DAMAGED_RECORDS_FILE },
      { key: 'scores_csv', file: paths.scoresCsv, columns: SCORE_COLUMNS, check: checkScoresCsvBytes, original: ORIGINAL_SCORES_CSV_FILE, damaged: DAMAGED_SCORES_FILE },
    ];
    const plans = await Promise.all(specs.map(async (spec) => planCsv(spec, await readIfExists(spec.file))));
    const changed = plans.filter((plan): plan is CsvPlan => plan !== undefined && plan.summary.records.length > 0);
    const none: CsvQuarantine = { records: [], headerReplaced: false, keptRows: 0 };

    const result: QuarantineResult = {
      dryRun: options.dryRun ?? false,
      directory: undefined,
      sessions: sessions.map(({ bytesContent, ...rest }) => rest),
      runsCsv: plans[0]?.summary ?? none,
      scoresCsv: plans[1]?.summary ?? none,
    };
    if (options.dryRun || (sessions.length === 0 && changed.length === 0)) return result;

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
      ...Object.fromEntries(
        specs.map((spec) => {
          const plan = changed.find((candidate) => candidate.spec.key === spec.key);
          return [
            spec.key,
            plan
              ? {
                  original: spec.original,
                  original_sha256: sha256(plan.bytes),
                  damaged_records_file: spec.damaged,
                  header_replaced: plan.summary.headerReplaced,
                  kept_rows: plan.summary.keptRows,
                  damaged_records: plan.summary.records,
                }
              : null,
          ];
        }),
      ),
      note: 'Nothing was deleted: damaged session files were moved here; runs.csv.original and scores.csv.original are the files as they were.',
    };
    try {
      for (const entry of sessions) {
        await moveFile(path.join(paths.dataDir, entry.file), path.join(directory, entry.file));
      }
      for (const plan of changed) await quarantineCsv(plan, { directory, target: plan.spec.file });
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
